"""転入予定連絡 (引越しワンストップ; standard 7.2.5-a): 転出元 → the e-application service → 転入先.

The family at 佐世保市 files a 転出届 to 千代田区 with the card; when 佐世保市 commits the 転出, a signed
MOVE_IN_PLAN goes to the national e-application service, which relays it to 千代田区. There it waits on
the 転入予定 list until a 転入 of one of the movers is committed, or until 30 days after the planned date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet.cs.services import NATIONAL
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.services import enqueue
from jumin.messaging.testing import TestFederation
from jumin.registry import e_applications, move_in_plans
from jumin.registry.models import MoveInPlan, MoveInPlanPerson
from jumin.registry.services import Address, DraftRecorded, commit_change, record_move_in
from tests.certificates.test_e_applications import application, apply
from tests.certificates.test_wide_area import NAGASAKI, SASEBO, card_of, code_pool, family
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, family_move_in, person

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family"]  # fixtures, imported for use here

CHIYODA = NodeRef("municipality", "131016")


@pytest.fixture
def moved_out(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    reviewer: User,
) -> None:
    """The family's e-application 転出 to 千代田区, committed at 佐世保市; its plan delivered."""
    outcome = apply(federation, application(card_of(family.atena_numbers[0]), days_ahead=7))
    with federation.acting_as(SASEBO):
        draft = e_applications.draft_move_out(
            actor=clerk, purpose=PURPOSE, receipt_number=outcome.receipt_number
        )
        assert not OutboxMessage.objects.filter(type="jukinet.move_in_plan").exists()  # a draft tells no one
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert OutboxMessage.objects.filter(type="jukinet.move_in_plan", receiver_kind="national").count() == 1
    federation.pump()


def test_a_committed_e_application_move_out_reaches_the_destination_list_through_the_service(
    federation: TestFederation, moved_out: None, make_staff: Callable[..., Any]
) -> None:
    relayed = AuditEntry.objects.get(action="national:move_in_plan:relay")
    assert (relayed.outcome, relayed.result_count) == ("done", 3)
    assert "青木" not in relayed.reason
    plan = MoveInPlan.objects.get()
    assert (plan.from_municipality_code, plan.planned_date) == (
        SASEBO.code,
        clock.today() + timedelta(days=7),
    )
    assert plan.drop_on == plan.planned_date + timedelta(days=30)
    assert MoveInPlanPerson.objects.count() == 3
    assert AuditEntry.objects.filter(action="resident:move_in_plan:send").count() == 1

    client = make_staff([Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW])
    with federation.acting_as(CHIYODA):
        page = client.post(reverse("registry:move_in_plans"), {"purpose": PURPOSE}).content.decode()
    assert "青木　花子" in page
    assert "東京都千代田区千代田１番１号" in page
    assert "長崎県佐世保市相生町1番1号" in page
    assert AuditEntry.objects.get(action="resident:move_in_plan:list").result_count == 3


def test_the_move_in_committed_at_the_destination_closes_the_plan_and_clears_its_items(
    federation: TestFederation,
    moved_out: None,
    family: DraftRecorded,
    code_pool: list[str],
    clerk: User,
    reviewer: User,
) -> None:
    # The test federation's nodes share one database, where 佐世保市's 転出予定者 still holds the head's
    # code: the plan names an unused code instead, and 千代田区 records the 転入 under it.
    head_code = code_pool[-1]
    MoveInPlanPerson.objects.filter(resident_code=current(family.atena_numbers[0]).juminhyo_code).update(
        resident_code=head_code
    )
    with federation.acting_as(CHIYODA):
        draft = record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(
                members=[person(juminhyo_code=head_code)],
                address=Address(address="東京都千代田区千代田1番1号", katagaki="", postal_code="1000001"),
                former_municipality_code=SASEBO.code,
                move_in_date=clock.today(),
                notification_date=clock.today(),
            ),
        )
        assert MoveInPlan.objects.get().state == MoveInPlan.State.WAITING  # a draft closes nothing
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
        assert move_in_plans.waiting_plans(actor=clerk, purpose=PURPOSE) == []
    plan = MoveInPlan.objects.get()
    assert (plan.state, plan.items) == (MoveInPlan.State.ARRIVED, {})
    assert not MoveInPlanPerson.objects.exists()
    assert AuditEntry.objects.get(action="resident:move_in_plan:close").result_count == 1


def test_a_plan_no_move_in_used_is_dropped_30_days_after_the_planned_date(
    federation: TestFederation, moved_out: None
) -> None:
    drop_on = MoveInPlan.objects.get().drop_on
    with federation.acting_as(CHIYODA):
        assert move_in_plans.drop_expired(today=drop_on) == 0
        assert move_in_plans.drop_expired(today=drop_on + timedelta(days=1)) == 1
    plan = MoveInPlan.objects.get()
    assert (plan.state, plan.items) == (MoveInPlan.State.EXPIRED, {})


def test_a_counter_move_out_and_an_e_application_without_a_destination_code_send_nothing(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    reviewer: User,
) -> None:
    payload = application(card_of(family.atena_numbers[1]), movers="self", destination_municipality_code="")
    outcome = apply(federation, payload)
    with federation.acting_as(SASEBO):
        draft = e_applications.draft_move_out(
            actor=clerk, purpose=PURPOSE, receipt_number=outcome.receipt_number
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert not OutboxMessage.objects.filter(type="jukinet.move_in_plan").exists()


def test_the_service_relays_a_plan_only_from_the_municipality_it_names(federation: TestFederation) -> None:
    """A node cannot pass itself off as another 転出元: the relay is refused, audited, and nothing arrives."""
    mover = {
        "resident_code": resident_code(1),
        "surname": "青木",
        "given_name": "太郎",
        "surname_kana": "アオキ",
        "given_name_kana": "タロウ",
        "birth_date": "1960年1月1日",
        "sex": "男",
        "relationship": "世帯主",
    }
    plan = {
        "receipt_number": "EA20261124-ABCDEF",
        "from_municipality_code": SASEBO.code,
        "to_municipality_code": CHIYODA.code,
        "planned_date": "2026-12-01",
        "destination": "東京都千代田区千代田１番１号",
        "from_address": "長崎県佐世保市相生町1番1号",
        "movers": [mover],
    }
    with federation.acting_as(NAGASAKI):
        enqueue(message_type="jukinet.move_in_plan", receiver=NATIONAL, subject="mip-forged", payload=plan)
    federation.pump()
    relayed = AuditEntry.objects.get(action="national:move_in_plan:relay")
    assert (relayed.outcome, relayed.outcome_reason) == (
        "refused",
        "jukinet.national.e_application.plan_sender",
    )
    assert not MoveInPlan.objects.exists()
