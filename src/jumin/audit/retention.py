"""The audit log's retention: the municipality's setting and what lies past it (standard 10.2-c; C-51).

Retention never deletes chain entries here: every entry links to the one before, so removing the old
part would leave ``verify_chain`` nothing to start from. The report says which entries are past the
period and what an archive step would move — the entries up to the last signed checkpoint before the
cut-off, so a verifier could start again from that signed (seq, hash) — and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit import reports
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditCheckpoint, AuditEntry, AuditResultSubject, AuditRetentionSetting
from jumin.audit.services import digest_of, record_event
from jumin.domain.retention import DEFAULT_AUDIT_LOG_RETENTION_YEARS, check_audit_log_retention, years_before

RETENTION_SUBJECT_TYPE = "audit_retention"
#: The label the retention screen passes as purpose (an administrative permission; no resident data).
RETENTION_PURPOSE = "audit_retention"


def retention_years() -> int:
    """The retention in force: the latest setting, or the default (the 7-year floor) before any."""
    latest = AuditRetentionSetting.objects.order_by("-id").first()
    return DEFAULT_AUDIT_LOG_RETENTION_YEARS if latest is None else int(latest.years)


def retention_history() -> list[AuditRetentionSetting]:
    """Every setting, newest first (who set which period when, and why)."""
    return list(AuditRetentionSetting.objects.order_by("-id"))


def set_retention(*, actor: Any, years: int, reason: str = "", purpose: str = RETENTION_PURPOSE) -> int:
    """Set the retention in years (7–150); audited with the old and new values (C-49). Returns it.

    Refuses (``AccessRefused``) without ``audit:retention:manage`` and (``DomainError``, nothing
    changed) outside the range: the floor cannot be undercut (C-51, C-79).
    """
    authorize(
        actor=actor,
        permission=Permission.AUDIT_RETENTION_MANAGE,
        action=AuditAction.AUDIT_RETENTION_CHANGE,
        purpose=purpose,
        subject_type=RETENTION_SUBJECT_TYPE,
    )
    check_audit_log_retention(years)
    reason = reason.replace("\x00", "").replace("\x1f", "")[:300]
    with transaction.atomic():
        before = retention_years()
        setting = AuditRetentionSetting.objects.create(
            years=years,
            set_us=reports.to_us(datetime.now(UTC)),
            set_by_id=actor.pk,
            set_by_name=getattr(actor, "display_name", "") or actor.get_username(),
            reason=reason,
        )
        record_event(
            actor=actor,
            action=AuditAction.AUDIT_RETENTION_CHANGE,
            subject_type=RETENTION_SUBJECT_TYPE,
            subject_id=str(setting.pk),
            purpose=purpose,
            # The values are a number of years, not personal data: C-49 wants them readable.
            reason=f"{before}年→{years}年" + (f"：{reason}" if reason else ""),
            before_digest=digest_of({"years": before}),
            after_digest=digest_of({"years": years}),
        )
    return years


@dataclass(frozen=True)
class RetentionReport:
    """Entries older than the retention period on ``today`` and what an archive step would move."""

    today: date
    years: int
    cutoff: date
    entries_past: int
    first_seq: int | None
    last_seq: int | None
    #: The last signed checkpoint at or before ``last_seq``: an archive would move entries up to it.
    archive_through_seq: int | None
    archive_entries: int
    archive_result_rows: int


def retention_report(today: date | None = None) -> RetentionReport:
    """Count the entries past retention (read-only: nothing is deleted or moved; module docstring)."""
    today = today or datetime.now(reports.local_zone()).date()
    years = retention_years()
    cutoff = years_before(today, years)
    cutoff_us = reports.to_us(datetime.combine(cutoff, time.min, tzinfo=reports.local_zone()))
    past = AuditEntry.objects.filter(created_us__lt=cutoff_us).aggregate(
        count=Count("id"), first=Min("seq"), last=Max("seq")
    )
    through: int | None = None
    archive_entries = archive_rows = 0
    if past["last"] is not None:
        checkpoint = AuditCheckpoint.objects.filter(seq__lte=past["last"]).order_by("-seq").first()
        if checkpoint is not None:
            through = int(checkpoint.seq)
            archive_entries = AuditEntry.objects.filter(seq__lte=through).count()
            archive_rows = AuditResultSubject.objects.filter(entry__seq__lte=through).count()
    return RetentionReport(
        today=today,
        years=years,
        cutoff=cutoff,
        entries_past=int(past["count"]),
        first_seq=past["first"],
        last_seq=past["last"],
        archive_through_seq=through,
        archive_entries=archive_entries,
        archive_result_rows=archive_rows,
    )


def view_retention(*, actor: Any, purpose: str = RETENTION_PURPOSE) -> RetentionReport:
    """The report for the retention screen (``audit:retention:manage``), audited."""
    authorize(
        actor=actor,
        permission=Permission.AUDIT_RETENTION_MANAGE,
        action=AuditAction.AUDIT_RETENTION_VIEW,
        purpose=purpose,
        subject_type=RETENTION_SUBJECT_TYPE,
    )
    report = retention_report()
    record_event(
        actor=actor,
        action=AuditAction.AUDIT_RETENTION_VIEW,
        subject_type=RETENTION_SUBJECT_TYPE,
        purpose=purpose,
        result_count=report.entries_past,
    )
    return report
