"""The 150-year 保存期間 of the prefecture's stores (records.md D1; 004 III.7): automatic deletion.

Only rows past their period go: a superseded version 150 years after ``superseded_at``, a removed
person (or deleted 附票 person) with every version 150 years after the removal. One audit entry per
store records the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.jukinet.common.keys import years_before
from jumin.jukinet.prefecture.keys import RETENTION_BASIS, RETENTION_YEARS
from jumin.jukinet.prefecture.models import FuhyoRecord, FuhyoVersion, IdentityRecord, IdentityVersion


@dataclass(frozen=True)
class PurgeResult:
    """Rows deleted by one purge."""

    identity_versions: int
    identity_records: int
    fuhyo_versions: int
    fuhyo_records: int


def purge_expired(*, now: datetime | None = None) -> PurgeResult:
    """Delete every history row and removed person whose 150 years have run out; audited."""
    cutoff = years_before(now or timezone.now(), RETENTION_YEARS)
    with transaction.atomic():
        records = IdentityRecord.objects.filter(removed=True, removed_at__lte=cutoff)
        versions = IdentityVersion.objects.filter(superseded_at__lte=cutoff).exclude(record__in=records)
        identity_versions, _ = versions.delete()
        removed_versions, _ = IdentityVersion.objects.filter(record__in=records).delete()
        identity_records, _ = records.delete()
        record_event(
            actor=None,
            action=AuditAction.PREFECTURE_IDENTITY_PURGE,
            subject_type="prefecture_identity",
            reason=(
                f"{RETENTION_BASIS}: {identity_versions + removed_versions} versions and "
                f"{identity_records} removed persons older than {RETENTION_YEARS} years deleted"
            ),
        )
        fuhyo_records = FuhyoRecord.objects.filter(state="deleted", deleted_at__lte=cutoff)
        fuhyo_versions, _ = (
            FuhyoVersion.objects.filter(superseded_at__lte=cutoff).exclude(record__in=fuhyo_records).delete()
        )
        deleted_versions, _ = FuhyoVersion.objects.filter(record__in=fuhyo_records).delete()
        fuhyo_count, _ = fuhyo_records.delete()
        record_event(
            actor=None,
            action=AuditAction.PREFECTURE_FUHYO_PURGE,
            subject_type="prefecture_fuhyo",
            reason=(
                f"{RETENTION_BASIS}: {fuhyo_versions + deleted_versions} versions and "
                f"{fuhyo_count} deleted persons older than {RETENTION_YEARS} years deleted"
            ),
        )
    return PurgeResult(
        identity_versions=identity_versions + removed_versions,
        identity_records=identity_records,
        fuhyo_versions=fuhyo_versions + deleted_versions,
        fuhyo_records=fuhyo_count,
    )
