"""The 本登録 of a 出生 asks the national node for the newborn's 個人番号 through the CS, in the same
transaction (番号法 第7条第1項; system.md F06 steps 3–4; docs/jukinet.md Flow 5)."""

from __future__ import annotations

import pytest

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.checkdigits import check_digit_for
from jumin.domain.errors import DomainError
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.common.sending_address import PRINT_NEW_NUMBER
from jumin.jukinet.cs import relays
from jumin.jukinet.cs.models import CsIdentity, SendingAddressRecord
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.jukinet.national.models import IndividualNumberRegister, SendingAddressReceipt
from jumin.messaging import queries
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from jumin.messaging.tls import PeerUnreachable, RawResponse
from jumin.registry.models import Change, ChangeState, JuminhyoCodePool, ResidentSnapshot
from jumin.registry.numbering import load_code_pool
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.birth import record_birth
from tests.registry.conftest import PURPOSE, current, family_move_in
from tests.registry.test_birth import birth

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")


@pytest.fixture
def household(federation: TestFederation, clerk: User, reviewer: User) -> str:
    """A committed household at 佐世保市, its 住民票コード pool filled from the national node."""
    with federation.acting_as(SASEBO):
        load_code_pool(relays.fetch_resident_codes(5, actor=clerk, purpose="registry_batch"))
        moved_in = record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=family_move_in().members[:1])
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved_in.change_id)
    federation.pump()
    return moved_in.household_number


def _record_birth(federation: TestFederation, clerk: User, household: str) -> DraftRecorded:
    with federation.acting_as(SASEBO):
        return record_birth(actor=clerk, purpose=PURPOSE, birth=birth(household))


def test_a_committed_birth_gets_its_individual_number_from_the_national_node(
    federation: TestFederation, clerk: User, reviewer: User, household: str
) -> None:
    draft = _record_birth(federation, clerk, household)
    with federation.acting_as(SASEBO):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    child = current(draft.atena_numbers[0])
    number = child.get_individual_number()
    assert number is not None
    assert len(number) == 12
    issued = IndividualNumberRegister.objects.get(resident_code=child.juminhyo_code)
    assert issued.get_individual_number() == number
    assert issued.status == IndividualNumberRegister.Status.CURRENT
    # The CS update (異動事由 出生) carried it to the CS file and on to the national node.
    assert CsIdentity.objects.get(resident_code=child.juminhyo_code).current.get_individual_number() == number
    assert NationalRecord.objects.get(resident_code=child.juminhyo_code).get_individual_number() == number
    # 送付先情報 for the 個人番号通知書 (F15) in the same commit.
    stored = SendingAddressRecord.objects.get()
    assert stored.items["resident_code"] == child.juminhyo_code
    assert stored.items["print_category"] == PRINT_NEW_NUMBER
    assert stored.get_individual_number() == number
    # N4 accepted it, although it overtook the 本人確認情報 that travels through the prefecture.
    receipt = SendingAddressReceipt.objects.get(resident_code=child.juminhyo_code)
    assert (receipt.result, receipt.refusal_code) == ("accepted", "")
    # Audited at the CS (with the registry's purpose) and at the national node.
    relay = AuditEntry.objects.get(action="cs:individual_number:request")
    assert (relay.purpose, relay.reason, relay.individual_number_used) == (PURPOSE, "new", True)
    assert AuditEntry.objects.filter(action="national:individual_number:issue").count() == 1


def test_a_birth_the_national_node_refuses_is_not_committed(
    federation: TestFederation, clerk: User, reviewer: User, household: str
) -> None:
    # A code the national node never issued (a pool filled by hand): the 生成要求 is refused.
    JuminhyoCodePool.objects.all().delete()
    stray = "2472705960"
    load_code_pool([stray + check_digit_for("juminhyo", stray, juminhyo_rule=RESIDENT_CODE_RULE)])
    draft = _record_birth(federation, clerk, household)
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert refused.value.code == "registry.birth_number_refused"
    assert "全国サーバ" in refused.value.reason
    _assert_nothing_committed(draft)
    _assert_refusal_audited(draft, "registry.birth_number_refused")
    assert JuminhyoCodePool.objects.count() == 1  # the code went back with the rollback


def test_an_unreachable_national_node_refuses_the_birth_commit_and_the_retry_succeeds(
    federation: TestFederation, clerk: User, reviewer: User, household: str
) -> None:
    draft = _record_birth(federation, clerk, household)

    def unreachable(*_: object) -> RawResponse:
        raise PeerUnreachable("connection_refused")

    working = queries.set_transport(unreachable)
    try:
        with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused:
            commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    finally:
        queries.set_transport(working)
    assert refused.value.code == "registry.birth_number_node_unreachable"
    _assert_nothing_committed(draft)
    _assert_refusal_audited(draft, "registry.birth_number_node_unreachable")
    with federation.acting_as(SASEBO):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(draft.atena_numbers[0]).get_individual_number() is not None


def _assert_nothing_committed(draft: DraftRecorded) -> None:
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT
    row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    assert (row.history_no, row.juminhyo_code, row.individual_number) == (None, "", None)
    assert not SendingAddressRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="cs:individual_number:request").exists()


def _assert_refusal_audited(draft: DraftRecorded, code: str) -> None:
    refused = AuditEntry.objects.get(action="resident:change:commit", outcome="refused")
    assert (refused.subject_id, refused.outcome_reason) == (str(draft.change_id), code)
