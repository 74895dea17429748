"""Postal and address codes of the 転入前住所 and the 転出先（予定） (standard 1.1.1-d, 1.1.17-a)."""

from __future__ import annotations

import pytest

from jumin.accounts.models import User
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry.inquiry import resident_timeline
from jumin.registry.models import Change
from jumin.registry.selectors import resident_record
from jumin.registry.selectors_review import confirmation
from jumin.registry.services import PREVIOUS_POSTAL_CODE_UNKNOWN, DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.move_out import DESTINATION_POSTAL_CODE_UNKNOWN, record_move_out
from tests.registry.conftest import PURPOSE, current, family_move_in
from tests.registry.test_move_in_notice_postal_code import dictionary
from tests.registry.test_move_out import move_out

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dictionary", "code_pool")]

__all__ = ["dictionary"]  # the fixture, imported for this module's tests

EDO = "長崎県長崎市江戸町2番13号"  # one postal code in the dictionary: 8500861
OURA = "長崎県長崎市大浦町1番"  # 大浦町 spans two postal codes: not guessed


def moved_in(clerk: User, reviewer: User, **overrides: object) -> DraftRecorded:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(**overrides))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def test_the_previous_address_gets_its_codes_from_the_dictionary_and_shows_them(
    clerk: User, reviewer: User
) -> None:
    draft = moved_in(clerk, reviewer, previous_address=EDO)
    assert PREVIOUS_POSTAL_CODE_UNKNOWN not in draft.alerts
    head = draft.atena_numbers[0]
    row = current(head)
    assert (row.previous_address_postal_code, row.previous_address_code) == ("8500861", "42201000000")
    assert not row.previous_address_postal_unknown
    record = resident_record(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert record.previous_address_postal_code == "8500861"
    [entry] = resident_timeline(actor=reviewer, purpose=PURPOSE, atena_number=head).entries
    shown = {change.label: change.after for change in entry.changes}
    assert shown["転入前住所 郵便番号"] == "8500861"
    assert shown["転入前住所 住所コード"] == "42201000000"


def test_a_typed_postal_code_wins_and_a_malformed_one_is_refused_changing_nothing(
    clerk: User, reviewer: User
) -> None:
    before = Change.objects.count()
    with pytest.raises(DomainError) as refused:
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(previous_address=EDO, previous_postal_code="85-1"),
        )
    assert (refused.value.field, refused.value.code) == (
        "previous_postal_code",
        "registry.postal_code_format",
    )
    assert "7桁" in refused.value.reason
    assert Change.objects.count() == before
    draft = moved_in(clerk, reviewer, previous_address=OURA, previous_postal_code="850-0911")
    assert PREVIOUS_POSTAL_CODE_UNKNOWN not in draft.alerts
    row = current(draft.atena_numbers[0])
    assert (row.previous_address_postal_code, row.previous_address_postal_unknown) == ("8500911", False)


def test_a_previous_address_the_dictionary_cannot_code_is_left_blank_and_flagged(
    clerk: User, reviewer: User
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(previous_address=OURA))
    assert PREVIOUS_POSTAL_CODE_UNKNOWN in draft.alerts
    [preview] = confirmation(actor=reviewer, purpose=PURPOSE, change_ids=[draft.change_id])
    shown = {change.label: change.after for change in preview.people[0].changes}
    assert "住所辞書で特定できません" in shown["転入前住所 郵便番号"]
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    row = current(draft.atena_numbers[0])
    assert (row.previous_address_postal_code, row.previous_address_postal_unknown) == ("", True)


@pytest.mark.parametrize("previous", ["東京都日野市神明1丁目1番1号", "不明"])
def test_an_address_outside_the_dictionary_or_unknown_is_not_flagged(clerk: User, previous: str) -> None:
    move_in = family_move_in(previous_address=previous)
    assert (
        PREVIOUS_POSTAL_CODE_UNKNOWN
        not in record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in).alerts
    )


def test_the_planned_destination_gets_its_codes_and_later_rows_keep_the_previous_ones(
    clerk: User, reviewer: User
) -> None:
    people = moved_in(clerk, reviewer, previous_address=EDO).atena_numbers
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(people, destination=EDO))
    assert DESTINATION_POSTAL_CODE_UNKNOWN not in draft.alerts
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    row = current(people[0])
    assert row.history_no == 2
    assert (row.planned_destination_postal_code, row.planned_destination_address_code) == (
        "8500861",
        "42201000000",
    )
    assert row.previous_address_postal_code == "8500861"  # carried onto the new row
    record = resident_record(actor=reviewer, purpose=PURPOSE, atena_number=people[0])
    assert (record.planned_destination, record.planned_destination_postal_code) == (EDO, "8500861")


@pytest.mark.parametrize(
    ("destination", "reason", "flagged"),
    [
        (OURA, ChangeReason.DOMESTIC_MOVE_OUT, True),
        ("長崎県長崎市", ChangeReason.DOMESTIC_MOVE_OUT, False),  # the municipality alone has no code
        ("アメリカ合衆国", ChangeReason.MOVE_OUT_ABROAD, False),
    ],
)
def test_a_planned_destination_without_a_dictionary_postal_code_is_flagged_only_inside_a_town(
    clerk: User, reviewer: User, destination: str, reason: ChangeReason, flagged: bool
) -> None:
    people = moved_in(clerk, reviewer).atena_numbers
    draft = record_move_out(
        actor=clerk, purpose=PURPOSE, move_out=move_out(people, destination=destination, reason=reason)
    )
    assert (DESTINATION_POSTAL_CODE_UNKNOWN in draft.alerts) is flagged
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    row = current(people[0])
    assert (row.planned_destination_postal_code, row.planned_destination_postal_unknown) == ("", flagged)


def test_a_malformed_planned_destination_postal_code_is_refused(clerk: User, reviewer: User) -> None:
    people = moved_in(clerk, reviewer).atena_numbers
    with pytest.raises(DomainError) as refused:
        record_move_out(
            actor=clerk,
            purpose=PURPOSE,
            move_out=move_out(people, destination=EDO, destination_postal_code="abc"),
        )
    assert refused.value.field == "destination_postal_code"
    assert current(people[0]).history_no == 1
