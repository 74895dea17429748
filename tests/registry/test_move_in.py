from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.checkdigits import validate_atena_number
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentKind
from jumin.domain.wareki import WarekiDate
from jumin.registry.models import Change, ChangeState, JuminhyoCodePool, Resident, ResidentSnapshot
from jumin.registry.services import commit_change, discard_change, record_move_in
from tests.registry.conftest import ADDRESS as ADDRESS  # re-exported: other tests import it from here
from tests.registry.conftest import PURPOSE, family_move_in, logged_in, person

pytestmark = pytest.mark.django_db


def test_move_in_creates_an_invisible_draft_with_valid_numbers(clerk: User, code_pool: list[str]) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    assert len(draft.atena_numbers) == 3
    for number in (*draft.atena_numbers, draft.household_number):
        validate_atena_number(number)
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT
    # Drafts have no 履歴番号 and no resident points at them as current.
    assert not ResidentSnapshot.objects.filter(history_no__isnull=False).exists()
    assert not Resident.objects.filter(current__isnull=False).exists()
    assert AuditEntry.objects.filter(action="resident:move_in:record", outcome="done").count() == 1


def test_commit_by_another_clerk_makes_history_number_one_current(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    residents = Resident.objects.filter(atena_number__in=draft.atena_numbers).select_related("current")
    assert {r.current.history_no for r in residents} == {1}  # type: ignore[union-attr]
    codes = {r.current.juminhyo_code for r in residents}  # type: ignore[union-attr]
    assert len(codes) == 3
    assert codes <= set(code_pool)
    assert JuminhyoCodePool.objects.filter(taken_at__isnull=False).count() == 3
    assert AuditEntry.objects.filter(action="resident:change:commit", outcome="done").count() == 1


def test_household_members_get_the_standard_order(clerk: User, reviewer: User, code_pool: list[str]) -> None:
    # The child is entered first, the head last: the stored order still follows standard 5.2.
    move_in = family_move_in()
    draft = record_move_in(
        actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=move_in.members[::-1])
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    order = list(
        ResidentSnapshot.objects.filter(change_id=draft.change_id)
        .order_by("member_order")
        .values_list("relationship", flat=True)
    )
    assert order == ["世帯主", "妻", "子"]


def test_the_maker_cannot_commit_their_own_draft_and_the_refusal_is_audited(
    make_clerk: object, code_pool: list[str]
) -> None:
    from jumin.accounts.permissions import Permission

    both = make_clerk("both", Permission.RESIDENT_RECORD, Permission.RESIDENT_COMMIT)  # type: ignore[operator]
    draft = record_move_in(actor=both, purpose=PURPOSE, move_in=family_move_in())
    with pytest.raises(AccessRefused):
        commit_change(actor=both, purpose=PURPOSE, change_id=draft.change_id)
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT
    refused = AuditEntry.objects.get(action="resident:change:commit")
    assert (refused.outcome, refused.outcome_reason) == ("refused", "same_person_as_maker")


def test_a_clerk_without_permission_is_refused_audited_and_nothing_is_written(
    make_clerk: object, code_pool: list[str]
) -> None:
    nobody = make_clerk("nobody")  # type: ignore[operator]
    with pytest.raises(AccessRefused):
        record_move_in(actor=nobody, purpose=PURPOSE, move_in=family_move_in())
    assert not Change.objects.exists()
    entry = AuditEntry.objects.get(action="resident:move_in:record")
    assert entry.outcome == "refused"


def test_a_move_in_without_purpose_is_refused(clerk: User, code_pool: list[str]) -> None:
    with pytest.raises(AccessRefused):
        record_move_in(actor=clerk, purpose="", move_in=family_move_in())
    assert AuditEntry.objects.get(action="resident:move_in:record").outcome_reason == "purpose_missing"


# A month ahead of whatever day the suite runs (standard 4.0.3-a: no 異動日 in the future but 転出's).
FUTURE = date.today() + timedelta(days=30)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"members": []}, "registry.no_members"),
        ({"previous_address": " "}, "registry.previous_address_required"),
        ({"notification_date": date(2026, 10, 31)}, "registry.notified_before_move"),
        ({"move_in_date": FUTURE, "notification_date": FUTURE}, "registry.future_event_date"),
        ({"notification_date": FUTURE}, "registry.future_notification_date"),
        ({"reason": ChangeReason.DEATH}, "registry.move_in_reason"),
        ({"members": [person(relationship="子")]}, "registry.one_head_required"),
        ({"members": [person(), person(given_name="次郎")]}, "registry.one_head_required"),
        ({"members": [person(honseki="")]}, "resident.required"),
        ({"members": [person(surname_kana="（株）アオキ")]}, "kana.disallowed_character"),
    ],
)
def test_bad_move_in_input_is_refused_with_a_typed_error_and_changes_nothing(
    clerk: User, code_pool: list[str], overrides: dict[str, object], code: str
) -> None:
    with pytest.raises(DomainError) as raised:
        record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(**overrides))
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert not Change.objects.exists()
    assert not Resident.objects.exists()


def test_a_late_notification_is_accepted_with_an_alert(clerk: User, code_pool: list[str]) -> None:
    draft = record_move_in(
        actor=clerk, purpose=PURPOSE, move_in=family_move_in(notification_date=date(2026, 11, 16))
    )
    assert [a.code for a in draft.alerts] == ["registry.late_move_in"]


def test_a_foreign_resident_moves_in_with_their_residence_items(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    vietnamese = person(
        "グエン", "ヴァン アン", "グエン", "ヴァン アン", kind=ResidentKind.FOREIGN, born=date(1995, 3, 3)
    )
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[vietnamese]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    snapshot = Resident.objects.get(atena_number=draft.atena_numbers[0]).current
    assert snapshot is not None
    assert snapshot.foreign is not None
    assert snapshot.foreign["residence_card_number"] == "AB12345678CD"
    assert snapshot.birth_date == {"kind": "gregorian", "date": "1995-03-03"}


def test_joining_an_existing_household_appends_the_new_member(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    first = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=first.change_id)
    lodger = person("鈴木", "大", "スズキ", "ダイ", relationship="同居人", born=WarekiDate("heisei", 2, 6, 6))
    second = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(members=[lodger], household_number=first.household_number),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=second.change_id)
    snapshot = Resident.objects.get(atena_number=second.atena_numbers[0]).current
    assert snapshot is not None
    assert (snapshot.household.number, snapshot.member_order) == (first.household_number, 4)


def test_a_move_in_of_a_current_resident_is_refused(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[person()]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    resident = Resident.objects.get(atena_number=draft.atena_numbers[0])
    assert resident.current is not None
    code = resident.current.juminhyo_code
    with pytest.raises(DomainError) as raised:
        record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[person(juminhyo_code=code)])
        )
    assert raised.value.code == "registry.move_in_of_current_resident"


def test_same_name_sex_and_birth_date_gives_a_duplicate_alert(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[person()]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    again = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[person()]))
    assert "registry.possible_duplicate" in [a.code for a in again.alerts]


def test_a_discarded_draft_never_becomes_history(clerk: User, reviewer: User, code_pool: list[str]) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    discard_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id, reason="入力誤り")
    with pytest.raises(DomainError):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert not ResidentSnapshot.objects.filter(history_no__isnull=False).exists()


def test_an_empty_code_pool_stops_the_commit_and_changes_nothing(clerk: User, reviewer: User) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    with pytest.raises(DomainError) as raised:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert raised.value.code == "registry.code_pool_empty"
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT
    assert not ResidentSnapshot.objects.filter(history_no__isnull=False).exists()


@pytest.mark.parametrize("screen", ["move_in", "death", "birth", "move_within", "household_change"])
def test_entry_screens_offer_today_as_the_notification_date(clerk: User, screen: str) -> None:
    """Standard 4.1.0.2-a: the 届出日 defaults to the processing day; the clerk may change it."""
    page = logged_in(clerk).get(reverse(f"registry:{screen}")).content.decode()
    assert f'name="notification_date" value="{timezone.localdate().isoformat()}"' in page
