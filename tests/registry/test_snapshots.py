import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.domain.errors import DomainError
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.models_review import LockRelease, ResidentLock
from jumin.registry.services import commit_change, record_move_in
from jumin.registry.snapshots import current_of, draft_from_current
from tests.registry.conftest import PURPOSE, person
from tests.registry.test_move_in import family_move_in

pytestmark = pytest.mark.django_db


def amendment(maker: User, atena_number: str, **changes: object) -> Change:
    change = Change.objects.create(
        reason="職権修正",
        change_date=timezone.now().date(),
        notification_kind="職権",
        made_by=maker,
        made_at=timezone.now(),
    )
    resident, current = current_of(atena_number)
    draft_from_current(resident, current, change, **changes)
    return change


def test_a_draft_copies_every_field_of_the_current_record_except_the_changed_ones(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    moved = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[person()]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved.change_id)
    change = amendment(clerk, moved.atena_numbers[0], katagaki="佐世保ハイツ 101号")
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=change.pk)
    first, second = ResidentSnapshot.objects.filter(resident__atena_number=moved.atena_numbers[0]).order_by(
        "history_no"
    )
    assert (first.history_no, second.history_no, second.based_on_history_no) == (1, 2, 1)
    assert second.katagaki == "佐世保ハイツ 101号"
    for field in (
        "surname",
        "birth_date",
        "honseki",
        "household_id",
        "juminhyo_code",
        "address",
        "relationship",
    ):
        assert getattr(second, field) == getattr(first, field), field
    assert first.katagaki == "相生ハイツ 203号"  # history is appended, the old row is unchanged


def test_of_two_drafts_from_the_same_record_the_second_commit_is_refused_as_stale(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    moved = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[person()]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved.change_id)
    one = amendment(clerk, moved.atena_numbers[0], katagaki="A棟")
    # A second draft is held back while the first is open (4.0.8-a, test_locks.py); once a reviewer
    # releases the lock as stale, it can be entered, and commit is what guards the history.
    ResidentLock.objects.update(released_at=timezone.now(), release=LockRelease.SUPERVISOR)
    two = amendment(clerk, moved.atena_numbers[0], katagaki="B棟")
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=one.pk)
    with pytest.raises(DomainError) as raised:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=two.pk)
    assert raised.value.code == "registry.stale_draft"
    _, current = current_of(moved.atena_numbers[0])
    assert current.katagaki == "A棟"
