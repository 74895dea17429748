"""At the 転入先 a 転出元's 支援措置 notice protects the person at once (standard 3.4-h, 3.4-g); a cancelled
転出 withdraws the notice without lifting anything; a waiting 転送情報 can be sent again (「再送」)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.handlers import HandlerRefused
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from jumin.registry.models import SupportForwarding, SupportMeasure
from jumin.registry.models_review import RegistryEvent
from jumin.registry.restrictions import RestrictedProcess, check_restrictions
from jumin.registry.selectors_restrictions import person_notices, support_measure_detail
from jumin.registry.services import DraftRecorded, record_move_in
from jumin.registry.support_database import incoming_notices
from jumin.registry.support_forwarding import (
    SUPPORT_MEASURE_NOTICE,
    SUPPORT_MEASURE_RETRACTION,
    apply_notice,
    apply_retraction,
    resend_forwarding,
    validate_retraction,
)
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in, person
from tests.registry.test_support_database import officer, open_measure
from tests.registry.test_support_forwarding import SASEBO, move_out

pytestmark = pytest.mark.django_db

CREATE = "resident:support_measure:create"
__all__ = ["officer"]  # the fixture, imported for use here
ARRIVING_CODE = "24727059691"  # outside the test code pool: the code the 転出元 gave the person


def notice(code: str, *, sender: NodeRef = SASEBO, message_id: str = "") -> Envelope:
    return Envelope(
        id=message_id or str(uuid.uuid4()),
        type=SUPPORT_MEASURE_NOTICE,
        sender=sender,
        receiver=NodeRef("municipality", "422011"),
        subject="spf-1",
        seq=1,
        created=timezone.now(),
        payload={
            "juminhyo_code": code,
            "former_municipality_code": sender.code,
            "moved_on": clock.today().isoformat(),
            "covered_services": ["copies", "inspection"],
            "provisional": True,
        },
    )


def retraction(code: str, notice_id: str, *, sender: NodeRef = SASEBO) -> Envelope:
    payload = {
        "juminhyo_code": code,
        "former_municipality_code": sender.code,
        "notice_message_id": notice_id,
        "cancelled_on": clock.today().isoformat(),
    }
    validate_retraction(payload)
    return Envelope(
        id=str(uuid.uuid4()),
        type=SUPPORT_MEASURE_RETRACTION,
        sender=sender,
        receiver=NodeRef("municipality", "422011"),
        subject="spf-2",
        seq=2,
        created=timezone.now(),
        payload=payload,
    )


def blocked_as_provisional(atena_number: str) -> bool:
    findings = check_restrictions([atena_number], process=RestrictedProcess.CERTIFICATE).findings
    return [f.source for f in findings] == ["provisional_support_measure"]


def test_a_notice_about_a_resident_here_opens_a_provisional_measure_at_once(family: DraftRecorded) -> None:
    head, wife, _child = family.atena_numbers
    assert not blocked_as_provisional(wife)
    envelope = notice(current(wife).juminhyo_code)
    apply_notice(envelope)
    apply_notice(envelope)  # re-applied (a restored backup): still one row and one measure
    measure = SupportMeasure.objects.get()
    assert (measure.created_by, measure.periods.count(), measure.provisional_since) == (
        None,
        0,
        timezone.localdate(),
    )
    assert measure.start_reason == f"転出元（{SASEBO.code}）からの支援措置の連絡による仮支援措置"
    assert sorted(measure.covered_services) == ["copies", "inspection"]
    assert list(measure.people.values_list("resident__atena_number", "role")) == [(wife, "applicant")]
    assert SupportForwarding.objects.get().measure_id == measure.pk
    # Certificates and 閲覧 refused, banner and pop-up shown; the head of household is untouched.
    assert blocked_as_provisional(wife)
    assert not check_restrictions([head], process=RestrictedProcess.CERTIFICATE).findings
    shown = person_notices(wife)
    assert (shown.support_measure, shown.provisional) == (True, True)
    entry = AuditEntry.objects.get(action=CREATE)
    assert (entry.actor_id, entry.subject_id, entry.support_measure) == (None, str(measure.pk), True)
    row_id = SupportForwarding.objects.get().pk
    assert entry.reason.startswith(f"provisional from incoming forwarding={row_id};")
    # Sent on like any new measure: the 宛名 feed has the set.
    sets = RegistryEvent.objects.filter(event_type="resident.restriction_set", restriction_id=measure.pk)
    assert list(sets.values_list("atena_number", flat=True)) == [wife]


def test_a_notice_before_the_move_in_protects_the_person_when_the_move_in_is_committed(
    clerk: User, reviewer: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    apply_notice(notice(ARRIVING_CODE))
    apply_notice(notice("24727059683"))  # someone else, who never comes
    assert not SupportMeasure.objects.exists()
    arrival = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(
                members=[
                    person(juminhyo_code=ARRIVING_CODE),
                    person("青木", "次郎", "アオキ", "ジロウ", relationship="子"),
                ],
                former_municipality_unknown=True,
            ),
        )
    )
    arriving, other = arrival.atena_numbers
    measure = SupportMeasure.objects.get()
    assert measure.created_by == reviewer  # the committing clerk
    assert list(measure.people.values_list("resident__atena_number", flat=True)) == [arriving]
    assert blocked_as_provisional(arriving)
    assert not check_restrictions([other], process=RestrictedProcess.CERTIFICATE).findings
    linked = SupportForwarding.objects.filter(measure=measure).values_list("juminhyo_code", flat=True)
    assert list(linked) == [ARRIVING_CODE]
    assert SupportForwarding.objects.filter(measure__isnull=True).count() == 1
    assert AuditEntry.objects.get(action=CREATE).actor_id == reviewer.pk


def test_a_person_already_protected_here_gets_no_second_measure(family: DraftRecorded, officer: User) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    apply_notice(notice(current(wife).juminhyo_code))
    assert SupportMeasure.objects.count() == 1
    assert SupportForwarding.objects.get().measure_id == measure_id
    linked = AuditEntry.objects.get(action="resident:support_measure:forwarding_record")
    assert linked.reason.endswith("linked")


def test_a_retraction_is_recorded_and_lifts_nothing(family: DraftRecorded, officer: User) -> None:
    _head, wife, _child = family.atena_numbers
    code = current(wife).juminhyo_code
    received = notice(code)
    apply_notice(received)
    measure = SupportMeasure.objects.get()
    withdrawn = retraction(code, received.id)
    apply_retraction(withdrawn)
    apply_retraction(withdrawn)  # once only
    row = SupportForwarding.objects.get(retracts_message_id=received.id)
    assert (row.direction, row.measure_id) == ("incoming", measure.pk)
    assert row.note == "転出の取消しによる連絡の撤回"
    measure.refresh_from_db()
    assert measure.ended_at is None  # never silently lifted: staff end it
    assert blocked_as_provisional(wife)
    detail = support_measure_detail(actor=officer, purpose=PURPOSE, measure_id=measure.pk)
    assert [f.state for f in detail.forwardings] == ["受信", "受信：連絡の撤回（転出の取消し）"]
    listed = incoming_notices(actor=officer, purpose=PURPOSE)
    assert [(n.retraction, n.measure_id, n.atena_number) for n in listed] == [
        (True, measure.pk, wife),
        (False, measure.pk, wife),
    ]
    # A retraction from another municipality than the notice's is refused.
    with pytest.raises(HandlerRefused):
        apply_retraction(retraction(code, received.id, sender=NodeRef("municipality", "131016")))


@pytest.mark.parametrize(
    "change",
    [{"address": "長崎県長崎市桜町2番2号"}, {"notice_message_id": "spf-1"}, {"cancelled_on": "2026-02-30"}],
)
def test_the_retraction_schema_refuses_anything_but_its_identifiers(change: dict[str, Any]) -> None:
    payload = {
        "juminhyo_code": ARRIVING_CODE,
        "former_municipality_code": SASEBO.code,
        "notice_message_id": str(uuid.uuid4()),
        "cancelled_on": date(2026, 11, 1).isoformat(),
    }
    payload.update(change)
    with pytest.raises(DomainError) as caught:
        validate_retraction(payload)
    assert caught.value.code == "registry.support_notice_payload"


def test_a_cancelled_move_out_sends_a_retraction_of_each_notice_sent(
    federation: TestFederation,
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    _head, wife, child = family.atena_numbers
    open_measure(officer, wife, child)
    with federation.acting_as(SASEBO):
        draft = commit(move_out(clerk, [wife, child]))
        commit(
            record_cancellation(
                actor=clerk,
                purpose=PURPOSE,
                cancellation=Cancellation(change_id=draft.change_id, reason="届出の誤り"),
            )
        )
    notices = list(SupportForwarding.objects.filter(direction="outgoing", retracts_message_id=""))
    retractions = list(SupportForwarding.objects.filter(direction="outgoing").exclude(retracts_message_id=""))
    assert sorted(r.retracts_message_id for r in retractions) == sorted(n.message_id for n in notices)
    assert all(r.sent_at is not None for r in retractions)
    assert OutboxMessage.objects.filter(type=SUPPORT_MEASURE_RETRACTION).count() == 2
    federation.pump()
    received = SupportForwarding.objects.filter(direction="incoming").exclude(retracts_message_id="")
    assert sorted(received.values_list("retracts_message_id", flat=True)) == sorted(
        n.message_id for n in notices
    )


def test_a_waiting_forwarding_is_sent_again_once_the_destination_is_a_peer(
    federation: TestFederation,
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    commit(move_out(clerk, [wife]))  # this node has no peers yet: the row waits
    row = SupportForwarding.objects.get()
    assert row.sent_at is None
    with pytest.raises(DomainError) as caught:
        resend_forwarding(actor=officer, purpose=PURPOSE, measure_id=measure_id, forwarding_id=row.pk)
    assert caught.value.code == "registry.forwarding_not_resendable"
    api = logged_in(officer).post(
        f"/api/registry/restrictions/support-measures/{measure_id}/forwardings/{row.pk}/resend",
        {"purpose": PURPOSE},
        content_type="application/json",
    )
    assert (api.status_code, api.json()["code"]) == (400, "registry.forwarding_not_resendable")
    with pytest.raises(AccessRefused):
        resend_forwarding(actor=clerk, purpose=PURPOSE, measure_id=measure_id, forwarding_id=row.pk)
    with federation.acting_as(SASEBO):
        detail = support_measure_detail(actor=officer, purpose=PURPOSE, measure_id=measure_id)
        assert [f.resendable for f in detail.forwardings] == [True]
        response = logged_in(officer).post(
            reverse("registry:support_forwarding_resend", args=[measure_id]),
            {"purpose": PURPOSE, "forwarding_id": row.pk},
        )
        assert "転入先へ送信しました" in response.content.decode()
        with pytest.raises(DomainError) as again:
            resend_forwarding(actor=officer, purpose=PURPOSE, measure_id=measure_id, forwarding_id=row.pk)
    assert again.value.reason.startswith("この転送情報は既に")
    row.refresh_from_db()
    assert row.sent_at is not None
    assert OutboxMessage.objects.filter(type=SUPPORT_MEASURE_NOTICE).count() == 1
    reasons = AuditEntry.objects.filter(
        action="resident:support_measure:forwarding_record", reason__startswith="outgoing"
    )
    assert [r.reason.split(" ")[-1] for r in reasons.order_by("pk")] == ["waiting", "422011"]
    federation.pump()
    assert SupportForwarding.objects.filter(direction="incoming").count() == 1
