"""A 国外転入等 that gives someone their first 住民票コード asks the national node for their 個人番号
through the CS in the same transaction, as a 出生 does; a person returning from abroad keeps theirs
(番号法 第7条第1項; system.md F06 steps 3–4, F15; docs/jukinet.md Flow 5)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from jumin.accounts.clock import today
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.jukinet.common.sending_address import PRINT_NEW_NUMBER
from jumin.jukinet.cs import relays
from jumin.jukinet.cs.models import CsIdentity, SendingAddressRecord
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.jukinet.national.models import IndividualNumberRegister
from jumin.messaging import queries
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from jumin.messaging.tls import PeerUnreachable, RawResponse
from jumin.registry.models import Change, ChangeState, JuminhyoCodePool, ResidentSnapshot
from jumin.registry.numbering import load_code_pool
from jumin.registry.services import DraftRecorded, MoveIn, commit_change, record_move_in
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.jukinet.cs.factories import individual_number
from tests.registry.conftest import PURPOSE, current, family_move_in

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
ABROAD = ChangeReason.MOVE_IN_FROM_ABROAD


@pytest.fixture
def pool(federation: TestFederation, clerk: User) -> None:
    """佐世保市's 住民票コード pool, filled from the national node."""
    with federation.acting_as(SASEBO):
        load_code_pool(relays.fetch_resident_codes(5, actor=clerk, purpose="registry_batch"))


@pytest.fixture
def number_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "maker_mn", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.INDIVIDUAL_NUMBER_ACCESS
    )


def from_abroad(members: int = 1, **changes: object) -> MoveIn:
    """A 国外転入等 of the first ``members`` of the usual family, none holding a 住民票コード here."""
    return family_move_in(
        members=family_move_in().members[:members],
        reason=ABROAD,
        previous_address="アメリカ合衆国",
        **changes,
    )


def commit(federation: TestFederation, clerk: User, reviewer: User, move_in: MoveIn) -> DraftRecorded:
    with federation.acting_as(SASEBO):
        draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in)
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    return draft


def requests() -> int:
    return AuditEntry.objects.filter(action="cs:individual_number:request", outcome="done").count()


def test_a_first_move_in_from_abroad_gets_its_individual_number_from_the_national_node(
    federation: TestFederation, clerk: User, reviewer: User, pool: None
) -> None:
    draft = commit(federation, clerk, reviewer, from_abroad())
    person = current(draft.atena_numbers[0])
    number = person.get_individual_number()
    assert number is not None
    assert len(number) == 12
    issued = IndividualNumberRegister.objects.get(resident_code=person.juminhyo_code)
    assert issued.get_individual_number() == number
    assert issued.status == IndividualNumberRegister.Status.CURRENT
    # The CS update (異動事由 国外転入等) carried it to the CS file and on to the national node.
    cs_row = CsIdentity.objects.get(resident_code=person.juminhyo_code).current
    assert cs_row.get_individual_number() == number
    assert NationalRecord.objects.get(resident_code=person.juminhyo_code).get_individual_number() == number
    # 送付先情報 for the 個人番号通知書 (F15, 印刷区分 新規) in the same commit.
    stored = SendingAddressRecord.objects.get()
    assert (stored.items["print_category"], stored.get_individual_number()) == (PRINT_NEW_NUMBER, number)
    relay = AuditEntry.objects.get(action="cs:individual_number:request")
    assert (relay.purpose, relay.reason, relay.individual_number_used) == (PURPOSE, "new", True)
    assert AuditEntry.objects.filter(action="national:individual_number:issue").count() == 1


def test_a_member_who_brings_a_number_keeps_it_and_only_the_others_get_one(
    federation: TestFederation, number_clerk: User, reviewer: User, pool: None
) -> None:
    brought = individual_number(9301)
    draft = commit(federation, number_clerk, reviewer, from_abroad(2, individual_numbers=(brought, "")))
    first, second = (current(atena) for atena in draft.atena_numbers)
    assert first.get_individual_number() == brought
    generated = second.get_individual_number()
    assert generated is not None
    assert generated != brought
    assert requests() == 1
    issued = IndividualNumberRegister.objects.get(source=IndividualNumberRegister.Source.ISSUED)
    assert issued.resident_code == second.juminhyo_code


def test_a_resident_returning_from_abroad_keeps_their_number_and_asks_for_none(
    federation: TestFederation, clerk: User, reviewer: User, pool: None
) -> None:
    draft = commit(federation, clerk, reviewer, from_abroad())
    before = current(draft.atena_numbers[0])
    number = before.get_individual_number()
    assert number is not None
    with federation.acting_as(SASEBO):
        left = record_move_out(
            actor=clerk,
            purpose=PURPOSE,
            move_out=MoveOut(
                atena_numbers=draft.atena_numbers,
                planned_date=today(),
                destination="アメリカ合衆国",
                notification_date=today(),
                reason=ChangeReason.MOVE_OUT_ABROAD,
            ),
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=left.change_id)
    federation.pump()
    members = [dataclasses.replace(from_abroad().members[0], juminhyo_code=before.juminhyo_code)]
    returning = family_move_in(
        members=members,
        reason=ABROAD,
        previous_address="アメリカ合衆国",
        move_in_date=today(),
        notification_date=today(),
    )
    back = commit(federation, clerk, reviewer, returning)
    assert back.atena_numbers == draft.atena_numbers  # the 再転入 reuses the 宛名番号
    again = current(back.atena_numbers[0])
    assert (again.juminhyo_code, again.get_individual_number()) == (before.juminhyo_code, number)
    assert requests() == 1  # the first registration's only
    assert IndividualNumberRegister.objects.count() == 1


def test_an_unreachable_national_node_refuses_the_commit_and_the_retry_succeeds(
    federation: TestFederation, clerk: User, reviewer: User, pool: None
) -> None:
    with federation.acting_as(SASEBO):
        draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=from_abroad())
    pooled = JuminhyoCodePool.objects.count()

    def unreachable(*_: object) -> RawResponse:
        raise PeerUnreachable("connection_refused")

    working = queries.set_transport(unreachable)
    try:
        with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused:
            commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    finally:
        queries.set_transport(working)
    assert refused.value.code == "registry.move_in_number_node_unreachable"
    assert "国外から転入した方" in refused.value.reason
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT
    row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    assert (row.history_no, row.juminhyo_code, row.individual_number) == (None, "", None)
    assert JuminhyoCodePool.objects.count() == pooled  # the code went back with the rollback
    assert not SendingAddressRecord.objects.exists()
    assert requests() == 0
    audited = AuditEntry.objects.get(action="resident:change:commit", outcome="refused")
    assert (audited.subject_id, audited.outcome_reason) == (
        str(draft.change_id),
        "registry.move_in_number_node_unreachable",
    )
    with federation.acting_as(SASEBO):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(draft.atena_numbers[0]).get_individual_number() is not None


def test_a_domestic_move_in_given_a_pool_code_asks_for_no_number(
    federation: TestFederation, clerk: User, reviewer: User, pool: None
) -> None:
    draft = commit(federation, clerk, reviewer, family_move_in(members=family_move_in().members[:1]))
    assert current(draft.atena_numbers[0]).individual_number is None
    assert requests() == 0
