"""除票データベースへの移動 (standard 1.1.5-e, 9.3-a): the archive batch and its dry-run list.

A person whose current committed row is a 除票 removed more than ``JUMIN_REMOVED_ARCHIVE_YEARS``
(default 5) years ago moves to the 除票データベース: an entry, a byte-exact copy of every committed
snapshot, checked against the live rows before anything is marked (``verify_copies``), their search
keys moved from the live key table to the archive's, and the person and rows marked
(``archive_entry``): out of the live working set, read from the archive from then on
(``archived_histories``). Nothing in the live history is deleted or rewritten (ADR 0004; the purge
deletes it after 150 years), so a move can always be checked against the live rows
(``archived_row_matches``). Each person moves in a transaction of their own, locked as a commit locks
them, with the audit entry: a run killed half-way leaves every person either moved or untouched, and
the next run carries on (idempotent: a moved person is no candidate). A person held by another
clerk's open draft (edit lock) is left for the next run and counted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core import serializers
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.resident import ResidentStatus
from jumin.domain.retention import (
    SETTING_REMOVED_ARCHIVE_YEARS,
    removed_archive_years,
    removed_before,
    retention_end,
)
from jumin.registry.models import Resident, ResidentSearchKey, ResidentSnapshot
from jumin.registry.models_removed_archive import ArchivedSearchKey, ArchivedSnapshot, RemovedArchiveEntry
from jumin.registry.models_review import ResidentLock

#: The columns a search-key row has in both tables (ids of the relations by attname).
KEY_ATTNAMES = tuple(
    field.attname for field in ResidentSearchKey._meta.concrete_fields if field.attname != "id"
)


@dataclass(frozen=True)
class ArchiveCandidate:
    """One 除票 the next run would move (dry-run list), in 処理日 order."""

    atena_number: str
    name: str
    removal_reason: str
    removal_date: date
    removal_processed_at: datetime


@dataclass(frozen=True)
class ArchiveMoveResult:
    """What one run did: people moved, people left for the next run (edit lock), the cut-off day."""

    moved_count: int
    left_locked: int
    removed_before: date


def authorize_batch(actor: Any, purpose: str, action: AuditAction, subject_type: str = "batch") -> None:
    """The 「住民記録バッチ運用」 right for a run or dry-run list of the 除票データベース; refusal audited."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_BATCH_RUN,
        action=action,
        purpose=purpose,
        subject_type=subject_type,
    )


def audit_step(
    actor: Any,
    purpose: str,
    action: AuditAction,
    subject: tuple[str, str],
    reason: str,
    count: int = 0,
) -> None:
    """One audit entry of the archive batches: ``subject`` is (type, id): a person, or the run itself."""
    record_event(
        actor=actor,
        action=action,
        subject_type=subject[0],
        subject_id=subject[1],
        purpose=purpose,
        reason=reason,
        result_count=count,
    )


def archive_years() -> int:
    """``JUMIN_REMOVED_ARCHIVE_YEARS`` (default 5); a bad value stops the batch (ValueError)."""
    return removed_archive_years(getattr(settings, SETTING_REMOVED_ARCHIVE_YEARS, None))


def currently_archived() -> QuerySet[RemovedArchiveEntry]:
    """Entries whose person is still the archived 除票 (not come back, not purged)."""
    return RemovedArchiveEntry.objects.filter(
        purged_at__isnull=True, through_history_no=F("resident__current__history_no")
    )


def archived_keys() -> QuerySet[ArchivedSearchKey]:
    """The key rows of the people in the 除票データベース now: lookups that must still find a 除票
    after its move (再転入 detection, 1.1.5-f) read these beside ``ResidentSearchKey``."""
    return ArchivedSearchKey.objects.filter(entry__in=currently_archived())


def archived_resident_ids(resident_ids: list[int]) -> set[int]:
    """Which of these people are in the 除票データベース now."""
    return set(
        currently_archived().filter(resident_id__in=resident_ids).values_list("resident_id", flat=True)
    )


def _candidates(cutoff: date) -> QuerySet[Resident]:
    archived = currently_archived().filter(resident=OuterRef("pk"))
    return Resident.objects.filter(
        current__status=ResidentStatus.REMOVED, current__removal_date__lt=cutoff
    ).exclude(Exists(archived))


def _removal_processed_at(resident: Resident, current: ResidentSnapshot) -> datetime:
    """When the removal was processed: the commit of the first row of the person's current 除票 run."""
    last_live = (
        ResidentSnapshot.objects.filter(resident=resident, history_no__isnull=False)
        .exclude(status=ResidentStatus.REMOVED)
        .order_by("-history_no")
        .values_list("history_no", flat=True)
        .first()
    )
    first_removed = (
        ResidentSnapshot.objects.filter(
            resident=resident, history_no__isnull=False, history_no__gt=last_live or 0
        )
        .select_related("change")
        .order_by("history_no")
        .first()
    ) or current
    change = first_removed.change
    return change.reviewed_at or change.made_at


#: The columns a copy keeps: every column of the row except the archive's own mark on it.
COPIED_FIELDS = tuple(
    field.name
    for field in ResidentSnapshot._meta.concrete_fields
    if field.name not in {"id", "archive_entry"}
)


def serialized_row(snapshot: ResidentSnapshot) -> str:
    """The row as the archive keeps it: Django's JSON serialization (個人番号 stays sealed), without
    the ``archive_entry`` mark the move sets afterwards (so a copy still equals its marked row)."""
    return str(serializers.serialize("json", [snapshot], fields=COPIED_FIELDS))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def archived_row_matches(copy: ArchivedSnapshot) -> bool:
    """Whether an archived copy still equals its live row byte for byte, and its digest holds."""
    live = ResidentSnapshot.objects.get(pk=copy.source_id)
    return copy.row == serialized_row(live) and copy.digest == _digest(copy.row)


def snapshot_from_archive(copy: ArchivedSnapshot) -> ResidentSnapshot:
    """The live row an archived copy was made from, rebuilt from the copy alone (not saved)."""
    (restored,) = serializers.deserialize("json", copy.row)
    snapshot = restored.object
    assert isinstance(snapshot, ResidentSnapshot)
    return snapshot


def archived_histories(resident_ids: list[int]) -> dict[int, list[ResidentSnapshot]]:
    """The committed rows of those of these people who are in the 除票データベース now, rebuilt from
    the archive's copies (oldest first; the last is the archived 除票): what a 除票の写し of an
    archived person is issued from (1.1.5-e), not the marked live rows."""
    through = dict(
        currently_archived()
        .filter(resident_id__in=resident_ids)
        .values_list("resident_id", "through_history_no")
    )
    copies = ArchivedSnapshot.objects.filter(resident_id__in=list(through)).order_by(
        "resident_id", "history_no"
    )
    histories: dict[int, list[ResidentSnapshot]] = {}
    for copy in copies:
        if copy.history_no <= through[copy.resident_id]:
            histories.setdefault(copy.resident_id, []).append(snapshot_from_archive(copy))
    return histories


def archived_history_of(atena_number: str) -> list[ResidentSnapshot]:
    """The rows of one person from the archive's copies if they are in the 除票データベース now, else
    an empty list (照会 and the 統合記載欄 of an archived person read the archive, 1.1.5-e)."""
    resident_id = (
        Resident.objects.filter(atena_number=atena_number, archive_entry__isnull=False)
        .values_list("pk", flat=True)
        .first()
    )
    if resident_id is None:
        return []
    return archived_histories([resident_id]).get(resident_id, [])


def _name(snapshot: ResidentSnapshot) -> str:
    return f"{snapshot.surname} {snapshot.given_name}".strip()


def list_archive_candidates(*, actor: Any, purpose: str, today: date | None = None) -> list[ArchiveCandidate]:
    """The dry-run list: who the next run would move, in 処理日 order (audited as a list)."""
    authorize_batch(actor, purpose, AuditAction.RESIDENT_REMOVED_ARCHIVE_LIST, "resident")
    cutoff = removed_before(today or timezone.localdate(), archive_years())
    with transaction.atomic():
        people = _candidates(cutoff).select_related("current").order_by("pk")
        listed = [
            ArchiveCandidate(
                atena_number=person.atena_number,
                name=_name(person.current),
                removal_reason=person.current.removal_reason,
                removal_date=person.current.removal_date,
                removal_processed_at=_removal_processed_at(person, person.current),
            )
            for person in people
            if person.current is not None and person.current.removal_date is not None
        ]
        listed.sort(key=lambda row: (row.removal_processed_at, row.atena_number))
        audit_step(
            actor,
            purpose,
            AuditAction.RESIDENT_REMOVED_ARCHIVE_LIST,
            ("resident", ""),
            f"archive_candidates before={cutoff.isoformat()}",
            len(listed),
        )
    return listed


def move_keys_to_archive(resident: Resident, entry: RemovedArchiveEntry) -> int:
    """Replace the entry's archive key rows by the person's live key rows, then delete the live ones."""
    rows = list(ResidentSearchKey.objects.filter(resident=resident).values_list(*KEY_ATTNAMES))
    ArchivedSearchKey.objects.filter(entry=entry).delete()
    ArchivedSearchKey.objects.bulk_create(
        [ArchivedSearchKey(entry=entry, **dict(zip(KEY_ATTNAMES, row, strict=True))) for row in rows]
    )
    ResidentSearchKey.objects.filter(resident=resident).delete()
    return len(rows)


def _copy_rows(resident: Resident, entry: RemovedArchiveEntry) -> int:
    """Copy the person's committed rows not copied by an earlier entry (a returning person's)."""
    copied = set(ArchivedSnapshot.objects.filter(resident=resident).values_list("history_no", flat=True))
    rows = ResidentSnapshot.objects.filter(resident=resident, history_no__isnull=False).order_by("history_no")
    copies = []
    for snapshot in rows:
        if snapshot.history_no in copied:
            continue
        text = serialized_row(snapshot)
        assert snapshot.history_no is not None
        copies.append(
            ArchivedSnapshot(
                entry=entry,
                resident=resident,
                history_no=snapshot.history_no,
                source_id=snapshot.pk,
                row=text,
                digest=_digest(text),
            )
        )
    ArchivedSnapshot.objects.bulk_create(copies)
    return len(copies)


def _move_one(actor: Any, purpose: str, resident_id: int, cutoff: date) -> bool | None:
    """Move one person in one transaction; True moved, None held by an edit lock, False no longer due."""
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident_id)
        current = resident.current
        if not _candidates(cutoff).filter(pk=resident_id).exists() or current is None:
            return False
        if ResidentLock.objects.filter(resident=resident, released_at__isnull=True).exists():
            return None
        assert current.history_no is not None
        assert current.removal_date is not None
        entry = RemovedArchiveEntry.objects.create(
            resident=resident,
            atena_number=resident.atena_number,
            through_history_no=current.history_no,
            removal_reason=current.removal_reason,
            removal_date=current.removal_date,
            removal_processed_at=_removal_processed_at(resident, current),
            archived_at=timezone.now(),
            retain_until=retention_end(current.removal_date),
        )
        copied = _copy_rows(resident, entry)
        entry.copy_digest = verify_copies(resident)
        entry.save(update_fields=["copy_digest"])
        keys = move_keys_to_archive(resident, entry)
        marked = _mark_live_rows(resident, entry)
        audit_step(
            actor,
            purpose,
            AuditAction.RESIDENT_REMOVED_ARCHIVE_MOVE,
            ("resident", resident.atena_number),
            f"history_no={current.history_no} rows={copied} keys={keys} marked={marked}"
            f" digest={entry.copy_digest}",
        )
    return True


class ArchiveCopyMismatchError(RuntimeError):
    """An archived copy is missing or differs from its live row: the move is rolled back."""


def verify_copies(resident: Resident) -> str:
    """Check that every committed live row of the person has a copy equal to it byte for byte whose
    digest holds; the SHA-256 over the copies' digests in 履歴番号 order. Raises ArchiveCopyMismatchError
    (no personal data in the message) so the caller's transaction writes nothing."""
    copies = {copy.source_id: copy for copy in ArchivedSnapshot.objects.filter(resident=resident)}
    rows = ResidentSnapshot.objects.filter(resident=resident, history_no__isnull=False).order_by("history_no")
    combined = hashlib.sha256()
    for snapshot in rows:
        copy = copies.get(snapshot.pk)
        if copy is None or copy.row != serialized_row(snapshot) or copy.digest != _digest(copy.row):
            raise ArchiveCopyMismatchError(f"archive copy of history_no={snapshot.history_no} does not match")
        combined.update(copy.digest.encode("ascii"))
    return combined.hexdigest()


def _mark_live_rows(resident: Resident, entry: RemovedArchiveEntry) -> int:
    """Mark the person and their rows not marked before as in the 除票データベース (out of the live
    working set); the row contents stay as they were. The number of rows marked."""
    marked = ResidentSnapshot.objects.filter(
        resident=resident, history_no__isnull=False, archive_entry__isnull=True
    ).update(archive_entry=entry)
    resident.archive_entry = entry
    resident.save(update_fields=["archive_entry"])
    return marked


def run_archive_move(*, actor: Any, purpose: str, today: date | None = None) -> ArchiveMoveResult:
    """Move every due 除票 to the 除票データベース (standard 9.3-a), one person per transaction."""
    authorize_batch(actor, purpose, AuditAction.RESIDENT_REMOVED_ARCHIVE_MOVE)
    cutoff = removed_before(today or timezone.localdate(), archive_years())
    moved = locked = 0
    for resident_id in list(_candidates(cutoff).order_by("pk").values_list("pk", flat=True)):
        outcome = _move_one(actor, purpose, resident_id, cutoff)
        moved += outcome is True
        locked += outcome is None
    audit_step(
        actor,
        purpose,
        AuditAction.RESIDENT_REMOVED_ARCHIVE_MOVE,
        ("batch", cutoff.isoformat()),
        f"moved={moved} left_locked={locked}",
        moved,
    )
    return ArchiveMoveResult(moved_count=moved, left_locked=locked, removed_before=cutoff)
