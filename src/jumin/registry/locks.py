"""Per-resident edit locks (排他ロック, standard 10.3-d; docs/workflows/review.md "Locks").

While a clerk's draft (仮登録) includes a person, other clerks can only view that person: their new
drafts are refused with ``registry.resident_locked``, naming who holds the lock and the draft
number (never anything about the person). The holder's own further drafts are held back too
(standard 4.0.8-a), with ``registry.resident_drafted``: one open draft per person, so a commit never
meets a draft made stale by the same clerk's other draft. The lock ends when its draft is committed
or discarded; a stale lock can be released by a reviewer (``resident:commit``), with a reason,
audited (the old draft stays, and commit refuses it once another change of the person is committed).

``take`` and ``release_for_change`` run inside the caller's transaction; the partial unique index on
``ResidentLock`` makes two simultaneous first drafts for the same person impossible on SQLite and
PostgreSQL alike (the loser gets the lock error, never a second lock).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from jumin import fixed_sql
from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.registry.models import Change, ChangeState, Resident
from jumin.registry.models_review import LockRelease, ResidentLock

CODE_LOCKED = "registry.resident_locked"
CODE_DRAFTED = "registry.resident_drafted"
REASON_MAX_LENGTH = 200


def _locked(lock: ResidentLock) -> DomainError:
    # The holder and the draft number only: the message may be logged, so nothing about the person.
    return refusal(
        "atena_number",
        f"この住民は {lock.held_by} さんが入力した仮登録（異動番号 {lock.change_id}）の対象のため、"
        "ほかの職員は入力できません（照会はできます）。",
        "その仮登録が本登録または破棄されるまで待つか、入力した職員に確認してください。"
        "長く残っているロックは、確認権限のある職員が「排他ロック一覧」から解除できます。",
        CODE_LOCKED,
    )


def _drafted(lock: ResidentLock) -> DomainError:
    # The maker's own open draft: the same reason for everyone, the draft number only (may be logged).
    return refusal(
        "atena_number",
        f"この住民には、あなたが入力した仮登録（異動番号 {lock.change_id}）があり、"
        "本登録または破棄されるまで次の異動は入力できません（standard 4.0.8）。",
        "先の仮登録を本登録（確認者に依頼）するか、入力誤りなら破棄してから、もう一度入力してください。"
        "二つの異動を一つにまとめる場合は、先の仮登録を破棄して入力し直してください。",
        CODE_DRAFTED,
    )


def _open_lock(resident: Resident) -> ResidentLock | None:
    return (
        ResidentLock.objects.select_related("held_by")
        .filter(resident=resident, released_at__isnull=True)
        .first()
    )


def take(resident: Resident, change: Change) -> None:
    """Lock ``resident`` for the maker of ``change`` (a draft), or refuse if another draft holds them:
    another clerk's (``registry.resident_locked``) or the maker's own (``registry.resident_drafted``).

    A change may lock the same person more than once, and a 職権 世帯主変更 entered with its primary
    (``follows``) belongs to it. Call inside the transaction that writes the draft: the lock and the
    draft stand or fall together.
    """
    held = _open_lock(resident)
    if held is not None:
        if held.held_by_id != change.made_by_id:
            raise _locked(held)
        if not _same_entry(held.change_id, change):
            raise _drafted(held)
        return
    try:
        with transaction.atomic():  # a savepoint: a lost race must not break the caller's transaction
            ResidentLock.objects.create(
                resident=resident, held_by_id=change.made_by_id, change=change, taken_at=timezone.now()
            )
    except IntegrityError:
        # Another draft took the lock between our read and our insert; it has committed by now.
        winner = _open_lock(resident)
        if winner is None:  # the other draft was rolled back meanwhile: let the clerk try again
            raise _race_lost() from None
        if winner.held_by_id != change.made_by_id:
            raise _locked(winner) from None
        if not _same_entry(winner.change_id, change):
            raise _drafted(winner) from None


def _same_entry(locked_change_id: int, change: Change) -> bool:
    """Whether the lock was taken by ``change`` itself or by the draft it was entered with."""
    return (
        locked_change_id in (change.pk, change.follows_id)
        or Change.objects.filter(pk=locked_change_id, follows_id=change.pk).exists()
    )


def _race_lost() -> DomainError:
    return refusal(
        "atena_number",
        "同じ住民の入力が同時に行われました。",
        "少し待ってから、もう一度入力してください。",
        CODE_LOCKED,
    )


def release_for_change(
    change: Change, release: LockRelease, actor: Any, *, resident_ids: Collection[int] | None = None
) -> None:
    """End the locks ``change`` kept, once the maker has no other open draft for the person.

    Call inside the transaction that commits or discards ``change``. ``resident_ids``: the people of
    ``change``'s snapshots when the caller has read them (a commit): the statement then names them
    instead of selecting them again (less to build, performance.md P3).
    """
    residents: Any = (
        sorted(set(resident_ids))
        if resident_ids is not None
        else change.snapshots.values_list("resident_id", flat=True)
    )
    released_at = timezone.now()
    if resident_ids is None:  # the caller read no people: an ad hoc statement
        _open_locks(change, residents).update(released_at=released_at, released_by=actor, release=release)
        return
    # A commit's: the same text every time for the same number of people (fixed_sql, P3).
    fixed_sql.run(
        ("locks.release", len(residents)),
        [
            fixed_sql.db_value(ResidentLock, "released_at", released_at),
            actor.pk,
            release.value,
            change.made_by_id,
            *residents,
            change.made_by_id,
            *residents,
            ChangeState.DRAFT.value,
            change.pk,
        ],
        fixed_sql.updating(
            lambda: _open_locks(change, residents),
            released_at=released_at,
            released_by=actor,
            release=release,
        ),
    )


def _open_locks(change: Change, residents: Any) -> QuerySet[ResidentLock]:
    """The maker's open locks of these people, but for people in another of the maker's drafts."""
    # A subquery, not a read of its own: the UPDATE is the only statement (performance.md P3).
    still_drafted = (
        Change.objects.filter(
            state=ChangeState.DRAFT, made_by_id=change.made_by_id, snapshots__resident_id__in=residents
        )
        .exclude(pk=change.pk)
        .values_list("snapshots__resident_id", flat=True)
    )
    return ResidentLock.objects.filter(
        resident_id__in=residents, held_by_id=change.made_by_id, released_at__isnull=True
    ).exclude(resident_id__in=still_drafted)


@dataclass(frozen=True)
class LockSummary:
    """An open lock as the reviewer's list shows it: identifiers and the holder, no names."""

    lock_id: int
    atena_number: str
    held_by: str
    change_id: int
    taken_at: str


def open_locks(*, actor: Any, purpose: str) -> list[LockSummary]:
    """Every open lock, oldest first, for the reviewer who may release stale ones; audited."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_COMMIT,
        action=AuditAction.RESIDENT_LOCK_LIST,
        purpose=purpose,
        subject_type="resident_lock",
    )
    with transaction.atomic():
        locks = [
            LockSummary(
                lock_id=lock.pk,
                atena_number=lock.resident.atena_number,
                held_by=str(lock.held_by),
                change_id=lock.change_id,
                taken_at=timezone.localtime(lock.taken_at).isoformat(timespec="minutes"),
            )
            for lock in ResidentLock.objects.filter(released_at__isnull=True)
            .select_related("resident", "held_by")
            .order_by("taken_at", "pk")
        ]
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_LOCK_LIST,
            subject_type="resident_lock",
            purpose=purpose,
            result_count=len(locks),
        )
    return locks


def release_stale_lock(*, actor: Any, purpose: str, lock_id: int, reason: str) -> None:
    """A reviewer ends a lock left behind (e.g. the holder is away); the draft itself stays open.

    The draft stays safe: if another clerk's change of the person is committed first, commit refuses
    the old draft as stale (``registry.stale_draft``), so nothing is overwritten.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_COMMIT,
        action=AuditAction.RESIDENT_LOCK_RELEASE,
        purpose=purpose,
        subject_type="resident_lock",
        subject_id=str(lock_id),
    )
    text = reason.strip()
    if not text:
        raise refusal(
            "reason",
            "解除の理由が入力されていません。",
            "理由を入力してください。",
            "registry.reason_required",
        )
    if len(text) > REASON_MAX_LENGTH:
        raise refusal(
            "reason",
            f"解除の理由が{REASON_MAX_LENGTH}文字を超えています。",
            "理由を短く入力してください。",
            "registry.reason_too_long",
        )
    with transaction.atomic():
        lock = ResidentLock.objects.select_for_update().filter(pk=lock_id, released_at__isnull=True).first()
        if lock is None:
            raise refusal(
                "lock_id",
                "解除できる排他ロックが見つかりません（既に解除されています）。",
                "一覧を更新してください。",
                "registry.no_such_lock",
            )
        lock.released_at = timezone.now()
        lock.released_by = actor
        lock.release = LockRelease.SUPERVISOR
        lock.save(update_fields=["released_at", "released_by", "release"])
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_LOCK_RELEASE,
            subject_type="resident_lock",
            subject_id=str(lock.pk),
            purpose=purpose,
            reason=f"change={lock.change_id}; held_by={lock.held_by_id}; {text}",
        )
