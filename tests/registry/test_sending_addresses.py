"""Registry → CS: 送付先情報 of persons who newly need a 個人番号通知書 (system.md F06 step 8, F15)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet.common.sending_address import PRINT_CHANGED_NUMBER, PRINT_NEW_NUMBER
from jumin.jukinet.cs.models import SendingAddressRecord, SendingAddressState, UnlinkedUpdate
from jumin.registry import sending_addresses
from jumin.registry.cs_link import birth_date_code
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.sending_addresses import MailTo, Place, needs_notice, produce_for
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.birth import record_birth
from tests.jukinet.cs.factories import individual_number
from tests.registry.conftest import PURPOSE, current, family_move_in
from tests.registry.test_birth import birth
from tests.registry.test_cs_link import code_pool, family

pytestmark = pytest.mark.django_db
__all__ = ["code_pool", "family"]  # the fixtures, imported for use here


def numbered(atena: str, n: int) -> ResidentSnapshot:
    """The person's current row with a 個人番号 (as F06 step 4 would record it)."""
    row = current(atena)
    row.set_individual_number(individual_number(n))
    row.save()
    return row


def test_produce_for_stores_the_67_items_of_the_committed_row_at_the_cs(
    family: DraftRecorded, clerk: User
) -> None:
    row = numbered(family.atena_numbers[0], 9001)
    control = produce_for(row, reason="個人番号の変更", actor=clerk)
    stored = SendingAddressRecord.objects.select_related("send").get(send__control_number=control)
    items = stored.items
    assert stored.send.state == SendingAddressState.PENDING  # no national peer in this test
    assert items["print_category"] == PRINT_CHANGED_NUMBER
    assert items["name"] == f"{row.surname}\u3000{row.given_name}"
    assert (items["address"], items["birth_date"]) == (row.address, birth_date_code(row.birth_date))
    assert items["mail_address"].startswith(row.address)
    assert items["mail_name"] == items["name"]
    assert items["resident_code"] == row.juminhyo_code
    assert items["operator_id"] == clerk.get_username()
    assert stored.get_individual_number() == individual_number(9001)


def test_a_mail_to_address_replaces_the_address_on_the_envelope_only(
    family: DraftRecorded, clerk: User
) -> None:
    row = numbered(family.atena_numbers[0], 9002)
    mail = MailTo(postal_code="1000001", address="東京都千代田区千代田1番1号", name="試験\u3000様方")
    control = produce_for(row, reason="birth", actor=clerk, mail_to=mail)
    items = SendingAddressRecord.objects.get(send__control_number=control).items
    assert (items["mail_postal_code"], items["mail_address"]) == ("1000001", mail.address)
    assert items["address"] == row.address  # the 4情報 stay the 住所's
    assert items["print_category"] == PRINT_NEW_NUMBER


def test_produce_for_refuses_without_a_number_a_removed_person_or_another_reason(
    family: DraftRecorded, clerk: User
) -> None:
    atena = family.atena_numbers[0]
    with pytest.raises(DomainError) as no_number:
        produce_for(current(atena), reason="出生", actor=clerk)
    assert no_number.value.code == "registry.sending_address_no_number"
    row = numbered(atena, 9003)
    with pytest.raises(DomainError):
        produce_for(row, reason="転居", actor=clerk)
    row.status = ResidentStatus.REMOVED  # in memory only: a removed (e.g. deceased) person
    with pytest.raises(DomainError) as removed:
        produce_for(row, reason="出生", actor=clerk)
    assert removed.value.code == "registry.sending_address_not_resident"
    assert not SendingAddressRecord.objects.exists()


def test_a_committed_birth_with_a_number_sends_the_newborns_sending_address(
    family: DraftRecorded,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    assert not SendingAddressRecord.objects.exists()  # a 国内転入 needs no number notice
    draft = record_birth(actor=clerk, purpose=PURPOSE, birth=birth(family.household_number))
    row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    row.set_individual_number(individual_number(9004))
    row.save()
    commit(draft)
    stored = SendingAddressRecord.objects.get()
    assert stored.items["resident_code"] == current(draft.atena_numbers[0]).juminhyo_code
    assert stored.items["print_category"] == PRINT_NEW_NUMBER


def test_a_committed_birth_without_a_number_yet_sends_nothing(
    family: DraftRecorded, clerk: User, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    commit(record_birth(actor=clerk, purpose=PURPOSE, birth=birth(family.household_number)))
    assert not SendingAddressRecord.objects.exists()


@pytest.fixture
def number_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "maker_sa", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.INDIVIDUAL_NUMBER_ACCESS
    )


def test_a_first_registration_from_abroad_sends_only_for_numbers_new_to_the_registry(
    number_clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    numbers = (individual_number(9101), individual_number(9102), "")
    abroad = ChangeReason.MOVE_IN_FROM_ABROAD
    first = record_move_in(
        actor=number_clerk,
        purpose=PURPOSE,
        move_in=family_move_in(individual_numbers=numbers, reason=abroad, previous_address="アメリカ合衆国"),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=first.change_id)
    stored = SendingAddressRecord.objects.order_by("pk")
    assert [row.get_individual_number() for row in stored] == list(numbers[:2])  # the third has none
    assert {row.items["batch_count"] for row in stored} == {2}
    assert not UnlinkedUpdate.objects.exists()
    # A later 国外転入等 (a 再転入) carrying a number an earlier row holds: already notified.
    row = current(first.atena_numbers[0])
    assert needs_notice(first_change(first), row)
    assert not needs_notice(Change(reason=abroad), row)


def first_change(draft: DraftRecorded) -> Change:
    return Change.objects.get(pk=draft.change_id)


def test_produce_many_reads_the_offices_once_and_lists_a_refused_person_as_unlinked(
    family: DraftRecorded, clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third = (numbered(atena, 9100 + n) for n, atena in enumerate(family.atena_numbers))
    third.set_individual_number(None)  # in memory only: no number yet, so refused
    lookups: list[str] = []
    real_offices = sending_addresses.offices

    def counted(code: str) -> tuple[str, Place, Place, Place]:
        lookups.append(code)
        return real_offices(code)

    monkeypatch.setattr(sending_addresses, "offices", counted)
    stored = sending_addresses.produce_many([first, second, third], reason="出生", actor=clerk)
    assert stored == 2
    assert len(lookups) == 1  # once for the batch, not once per person
    assert SendingAddressRecord.objects.count() == 2
    assert {record.items["batch_count"] for record in SendingAddressRecord.objects.all()} == {3}
    unlinked = UnlinkedUpdate.objects.get()
    assert (unlinked.request_number, unlinked.reason_code) == (
        f"{third.resident.atena_number}-{third.history_no}",
        "registry.sending_address_no_number",
    )
