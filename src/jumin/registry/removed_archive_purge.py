"""150-year retention of the 除票データベース (standard 1.1.5-e; system.md D1; records.md §1).

A 除票 is kept through the 150th anniversary of its removal (``retention.retention_end``) and may
be purged from the day after. The purge deletes the archive's copies and search keys of the person,
then every per-person row the live database still holds (``LIVE_ROWS``: the marked snapshots, notes,
memos, remarks, locks, …), clears the person's current row and marks the entry purged: the entry and
the bare ``Resident`` (宛名番号 only) stay as proof of the purge. The changes (異動) the rows came
from stay: they may hold other people's rows (docs/adr/0004-removed-archive-live-rows.md). Only
people still archived are purged: one who came back has a live record again. A dry-run list shows
what a run would purge; both the list and every purge are audited, the purge naming counts and a
keyed digest of the 宛名番号 only.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.crypto.derived import derived_key
from jumin.messaging import housekeeping
from jumin.registry.models import CardEvent, ProgramRecord, Resident, ResidentSearchKey, ResidentSnapshot
from jumin.registry.models_memo import ResidentMemo, ResidentMemoVersion
from jumin.registry.models_notes import ResidentRemark
from jumin.registry.models_removed_archive import ArchivedSearchKey, ArchivedSnapshot, RemovedArchiveEntry
from jumin.registry.models_removed_notes import RemovedRecordNote
from jumin.registry.models_restrictions import SupportMeasurePerson, Suppression, TemporaryRelease
from jumin.registry.models_review import ResidentLock
from jumin.registry.models_sending_place import SendingPlace
from jumin.registry.removed_archive import audit_step, authorize_batch, currently_archived

HOUSEKEEPING_PURPOSE = "housekeeping"
#: Purpose label of the key that digests a purged 宛名番号 for the audit trail (crypto.derived).
ATENA_DIGEST_PURPOSE = "registry.removed_archive.purge.atena.v1"

#: The live per-person rows the purge deletes, each with the lookup naming the person, in an order
#: that deletes every row before the rows it refers to. Memos and remarks are append-only for
#: clerks; only this purge removes them (raw delete: their querysets refuse ``delete``).
LIVE_ROWS: tuple[tuple[type[models.Model], str], ...] = (
    (ResidentMemoVersion, "memo__resident"),
    (ResidentMemo, "resident"),
    (ResidentRemark, "resident"),
    (RemovedRecordNote, "resident"),
    (ResidentSearchKey, "resident"),
    (ResidentLock, "resident"),
    (SendingPlace, "resident"),
    (ProgramRecord, "resident"),
    (CardEvent, "resident"),
    (Suppression, "resident"),
    (TemporaryRelease, "resident"),
    (SupportMeasurePerson, "resident"),
    (ResidentSnapshot, "resident"),
)


@dataclass(frozen=True)
class PurgeCandidate:
    """One archived 除票 past its retention (no name: the list is of what is about to be deleted)."""

    atena_number: str
    removal_reason: str
    removal_date: date
    retain_until: date


@dataclass(frozen=True)
class PurgeResult:
    """What one purge run deleted: people, archived rows; and the day it ran for."""

    purged_count: int
    row_count: int
    run_date: date


def _due(today: date) -> QuerySet[RemovedArchiveEntry]:
    # Strictly after the retention end: the anniversary itself is still inside the 150 years.
    return currently_archived().filter(retain_until__lt=today)


def list_purge_candidates(*, actor: Any, purpose: str, today: date | None = None) -> list[PurgeCandidate]:
    """The dry-run list of the purge, oldest removal first (audited as a list)."""
    authorize_batch(actor, purpose, AuditAction.RESIDENT_REMOVED_ARCHIVE_LIST, "resident")
    day = today or timezone.localdate()
    with transaction.atomic():
        listed = [
            PurgeCandidate(
                atena_number=entry.atena_number,
                removal_reason=entry.removal_reason,
                removal_date=entry.removal_date,
                retain_until=entry.retain_until,
            )
            for entry in _due(day).order_by("removal_date", "atena_number")
        ]
        audit_step(
            actor,
            purpose,
            AuditAction.RESIDENT_REMOVED_ARCHIVE_LIST,
            ("resident", ""),
            f"purge_candidates on={day.isoformat()}",
            len(listed),
        )
    return listed


def atena_digest(atena_number: str) -> str:
    """A keyed digest of a 宛名番号 (HMAC-SHA256, node key): the purge's audit entries name the
    purged person by this only; a plain hash of a short number could be reversed by trying them all."""
    key = derived_key(ATENA_DIGEST_PURPOSE)
    return hmac.new(key, atena_number.encode("utf-8"), hashlib.sha256).hexdigest()


def _delete_live_rows(resident: Resident) -> dict[type[models.Model], int]:
    """Delete every live row of the person (``LIVE_ROWS``) and clear their current row; the counts."""
    Resident.objects.filter(pk=resident.pk).update(current=None, archive_entry=None)
    # An 異動の取消し's re-stated rows point at the rows they re-state, all of this person's: unlinked
    # first, as the whole set goes in one statement.
    ResidentSnapshot.objects.filter(resident=resident, restates__isnull=False).update(restates=None)
    deleted = {}
    for model, lookup in LIVE_ROWS:
        rows = model._base_manager.filter(**{lookup: resident})
        deleted[model] = rows._raw_delete(rows.db)
    return deleted


def _purge_one(actor: Any, purpose: str, entry_id: int, day: date) -> int | None:
    """Purge one person's archive and live rows in one transaction; the number of archived rows
    deleted, None if not due."""
    with transaction.atomic():
        entry = RemovedArchiveEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None or not _due(day).filter(pk=entry_id).exists():
            return None
        resident = Resident.objects.select_for_update().get(pk=entry.resident_id)
        entries = RemovedArchiveEntry.objects.filter(resident_id=entry.resident_id, purged_at__isnull=True)
        rows, _ = ArchivedSnapshot.objects.filter(resident_id=entry.resident_id).delete()
        keys, _ = ArchivedSearchKey.objects.filter(resident_id=entry.resident_id).delete()
        live = _delete_live_rows(resident)
        live_rows = live.pop(ResidentSnapshot)
        entries.update(purged_at=timezone.now())
        audit_step(
            actor,
            purpose,
            AuditAction.RESIDENT_REMOVED_ARCHIVE_PURGE,
            ("resident", atena_digest(entry.atena_number)),
            f"retain_until={entry.retain_until.isoformat()} rows={rows} keys={keys}"
            f" live_rows={live_rows} other_rows={sum(live.values())}",
        )
    return rows


def run_purge(*, actor: Any, purpose: str, today: date | None = None) -> PurgeResult:
    """Delete the archived 除票 past 150 years, one person per transaction, each audited."""
    authorize_batch(actor, purpose, AuditAction.RESIDENT_REMOVED_ARCHIVE_PURGE)
    return _purge_due(actor, purpose, today or timezone.localdate())


def purge_expired_archive(today: date | None = None) -> PurgeResult:
    """The node's own daily run of the purge (system.md D1: deleted automatically), as the system."""
    return _purge_due(None, HOUSEKEEPING_PURPOSE, today or timezone.localdate())


def _purge_due(actor: Any, purpose: str, day: date) -> PurgeResult:
    people = rows = 0
    for entry_id in list(_due(day).order_by("pk").values_list("pk", flat=True)):
        deleted = _purge_one(actor, purpose, entry_id, day)
        if deleted is not None:
            people += 1
            rows += deleted
    audit_step(
        actor,
        purpose,
        AuditAction.RESIDENT_REMOVED_ARCHIVE_PURGE,
        ("batch", day.isoformat()),
        f"purged={people} rows={rows}",
        people,
    )
    return PurgeResult(purged_count=people, row_count=rows, run_date=day)


# The municipality's node purges the 除票データベース by itself, daily (system.md D1; docs/operations.md).
housekeeping.register("registry.purge_removed_archive", purge_expired_archive, kind="municipality")
