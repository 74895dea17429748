"""Per-resident edit locks (standard 10.3-d): refusal, end at commit or discard, audited release, races."""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.registry import locks
from jumin.registry.models import Change, ChangeState, ResidentLock
from jumin.registry.services import DraftRecorded, commit_change, discard_change
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.move_out import record_move_out
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import family, move_out

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here


@pytest.fixture
def other_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("other", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW)


def death_of(actor: User, atena: str) -> DraftRecorded:
    today = timezone.localdate()
    return record_death(
        actor=actor,
        purpose=PURPOSE,
        death=Death(atena_number=atena, death_date=today, notification_date=today),
    )


def open_locks_of(atena: str) -> list[ResidentLock]:
    return list(ResidentLock.objects.filter(resident__atena_number=atena, released_at__isnull=True))


def test_another_clerks_draft_is_refused_naming_the_holder_not_the_person(
    family: DraftRecorded, clerk: User, other_clerk: User
) -> None:
    child = family.atena_numbers[2]
    held = death_of(clerk, child)
    with pytest.raises(DomainError) as refused:
        death_of(other_clerk, child)
    error = refused.value
    assert error.code == "registry.resident_locked"
    assert "maker" in error.reason
    assert str(held.change_id) in error.reason
    assert "青木" not in str(error)
    assert child not in str(error)
    assert error.remedy  # says what to do
    assert Change.objects.filter(made_by=other_clerk).count() == 0  # nothing half-written
    # The rest of the household is not locked.
    death_of(other_clerk, family.atena_numbers[1])


def test_the_holders_own_further_drafts_are_held_back_until_the_first_is_closed(
    family: DraftRecorded, clerk: User, other_clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    first = death_of(clerk, child)
    changes = Change.objects.count()
    with pytest.raises(DomainError) as held_back:  # standard 4.0.8-a: the maker too
        record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    error = held_back.value
    assert (error.code, error.field) == ("registry.resident_drafted", "atena_number")
    assert str(first.change_id) in error.reason
    assert "本登録" in error.remedy
    assert "破棄" in error.remedy
    assert child not in str(error)
    assert "青木" not in str(error)
    assert Change.objects.count() == changes  # nothing half-written
    assert len(open_locks_of(child)) == 1
    # The rest of the household is not held back.
    record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([family.atena_numbers[1]]))
    discard_change(actor=reviewer, purpose=PURPOSE, change_id=first.change_id, reason="入力誤り")
    assert open_locks_of(child) == []
    second = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    with pytest.raises(DomainError, match="maker"):
        death_of(other_clerk, child)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=second.change_id)
    assert open_locks_of(child) == []
    released = ResidentLock.objects.filter(resident__atena_number=child).latest("taken_at")
    assert (released.release, released.released_by) == ("committed", reviewer)


@pytest.mark.parametrize("close", ["commit", "discard"])
def test_the_lock_ends_at_commit_or_discard(
    family: DraftRecorded, clerk: User, other_clerk: User, reviewer: User, close: str
) -> None:
    child = family.atena_numbers[2]
    draft = death_of(clerk, child)
    if close == "commit":
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    else:
        discard_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id, reason="入力誤り")
    assert open_locks_of(child) == []
    if close == "discard":  # after a commit the person is a 除票; after a discard they can be drafted again
        death_of(other_clerk, child)
        assert open_locks_of(child)[0].held_by == other_clerk


def test_a_reviewer_releases_a_stale_lock_audited_and_the_old_draft_cannot_overwrite(
    family: DraftRecorded, clerk: User, other_clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    stale = death_of(clerk, child)
    lock = open_locks_of(child)[0]
    locks.release_stale_lock(actor=reviewer, purpose=PURPOSE, lock_id=lock.pk, reason="入力者が長期不在")
    entry = AuditEntry.objects.get(action="resident:lock:release", outcome="done")
    assert entry.subject_id == str(lock.pk)
    assert "入力者が長期不在" in entry.reason
    assert f"change={stale.change_id}" in entry.reason
    newer = death_of(other_clerk, child)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=newer.change_id)
    with pytest.raises(DomainError) as refused:  # never a lost update
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=stale.change_id)
    assert refused.value.code == "registry.stale_draft"
    assert Change.objects.get(pk=stale.change_id).state == ChangeState.DRAFT


def test_releasing_needs_the_reviewer_permission_a_reason_and_an_open_lock(
    family: DraftRecorded, clerk: User, other_clerk: User, reviewer: User
) -> None:
    death_of(clerk, family.atena_numbers[2])
    lock = open_locks_of(family.atena_numbers[2])[0]
    with pytest.raises(AccessRefused):
        locks.release_stale_lock(actor=other_clerk, purpose=PURPOSE, lock_id=lock.pk, reason="不在")
    with pytest.raises(DomainError) as blank:
        locks.release_stale_lock(actor=reviewer, purpose=PURPOSE, lock_id=lock.pk, reason="  ")
    assert blank.value.code == "registry.reason_required"
    locks.release_stale_lock(actor=reviewer, purpose=PURPOSE, lock_id=lock.pk, reason="不在")
    with pytest.raises(DomainError) as again:
        locks.release_stale_lock(actor=reviewer, purpose=PURPOSE, lock_id=lock.pk, reason="不在")
    assert again.value.code == "registry.no_such_lock"
    assert ResidentLock.objects.get(pk=lock.pk).release == "supervisor"


def test_a_lost_race_between_read_and_insert_is_a_lock_error_not_a_second_lock(
    family: DraftRecorded, clerk: User, other_clerk: User
) -> None:
    child = family.atena_numbers[2]
    death_of(clerk, child)
    real = locks._open_lock
    calls = {"n": 0}

    def miss_first_read(resident: object) -> ResidentLock | None:
        # The other draft's lock is not yet visible at the first read, as in a real race.
        calls["n"] += 1
        return None if calls["n"] == 1 else real(resident)  # type: ignore[arg-type]

    with mock.patch.object(locks, "_open_lock", miss_first_read), pytest.raises(DomainError) as refused:
        death_of(other_clerk, child)
    assert refused.value.code == "registry.resident_locked"
    assert len(open_locks_of(child)) == 1
    assert Change.objects.filter(made_by=other_clerk).count() == 0


def test_the_database_itself_refuses_a_second_open_lock_on_a_person(
    family: DraftRecorded, clerk: User, other_clerk: User
) -> None:
    """The guarantee the race handling rests on, on SQLite and PostgreSQL alike (partial unique index)."""
    draft = death_of(clerk, family.atena_numbers[2])
    lock = open_locks_of(family.atena_numbers[2])[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentLock.objects.create(
            resident=lock.resident, held_by=other_clerk, change_id=draft.change_id, taken_at=timezone.now()
        )
    lock.released_at = timezone.now()
    lock.save(update_fields=["released_at"])
    ResidentLock.objects.create(  # released locks stay as history and do not count
        resident=lock.resident, held_by=other_clerk, change_id=draft.change_id, taken_at=timezone.now()
    )


def test_the_lock_screen_lists_and_releases_and_needs_the_reviewer_permission(
    family: DraftRecorded, clerk: User, reviewer: User, make_staff: Callable[..., object]
) -> None:
    death_of(clerk, family.atena_numbers[2])
    url = reverse("registry:review_locks")
    assert_permission_triple(make_staff, "post", url, Permission.RESIDENT_COMMIT, data={"purpose": PURPOSE})
    client = logged_in(reviewer)
    listed = client.post(url, {"purpose": PURPOSE, "show": "1"})
    lock = open_locks_of(family.atena_numbers[2])[0]
    assert family.atena_numbers[2] in listed.content.decode()
    released = client.post(url, {"purpose": PURPOSE, "release": "1", "lock_id": lock.pk, "reason": "不在"})
    assert "解除しました" in released.content.decode()
    assert open_locks_of(family.atena_numbers[2]) == []
