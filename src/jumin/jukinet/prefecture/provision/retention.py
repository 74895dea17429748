"""7-year retention of the provision log (004 III.5 R1; system.md §5): only older rows are deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from jumin.accounts import clock
from jumin.accounts.context import audit_context
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.jukinet.common.keys import years_before
from jumin.jukinet.prefecture.provision.models import ProvisionRecord

RETENTION_YEARS = 7


def retention_cutoff(now: datetime | None = None) -> datetime:
    """Rows created before this instant are past 7 years (29 February falls back to 28)."""
    return years_before(now or clock.now(), RETENTION_YEARS)


def purge_expired(*, actor: Any = None, now: datetime | None = None) -> int:
    """Delete log rows older than 7 years, audited with the count; returns how many went."""
    cutoff = retention_cutoff(now)
    with transaction.atomic():
        deleted, _ = ProvisionRecord.objects.filter(created_at__lt=cutoff).delete()
        record_event(
            actor=actor,
            action=AuditAction.PROVISION_RECORD_PURGE,
            subject_type="provision_record",
            outcome_reason=f"before={cutoff.date().isoformat()}",
            result_count=deleted,
            **audit_context(),
        )
    return deleted
