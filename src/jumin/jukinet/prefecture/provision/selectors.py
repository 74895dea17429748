"""Reads of the provision log: a person's provision history and the provision statistics.

``provisions_concerning`` is the raw selector (issue 8 item 7 lists it to the person; its caller
audits); ``provision_history`` and ``provision_statistics`` are the audited reads for the screens.
Statistics are always computed from ProvisionRecord, so they cannot drift from the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMonth

from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.checkdigits import validate_juminhyo_code
from jumin.domain.errors import DomainError
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.prefecture.provision.items import ITEMS
from jumin.jukinet.prefecture.provision.models import ProvisionRecord
from jumin.jukinet.prefecture.selectors import record_by_resident_code

JST = ZoneInfo("Asia/Tokyo")
_SHOWN = (ProvisionRecord.Outcome.PROVIDED, ProvisionRecord.Outcome.NATIONAL)


@dataclass(frozen=True)
class ProvisionEntry:
    """One provision or transfer of the person's data: when, to whom, why, which items."""

    provided_at: datetime
    body: str
    basis: str
    article: str
    kind: str
    channel: str
    items: list[str]


def provisions_concerning(resident_code: str) -> list[ProvisionEntry]:
    """Every provision or transfer of this person's 本人確認情報 still in the log, newest first.

    Served by the (resident_code, created_at) index, whatever the size of the log.
    """
    rows = (
        ProvisionRecord.objects.filter(resident_code=resident_code, outcome__in=_SHOWN)
        .select_related("body", "basis")
        .order_by("-created_at", "-id")
    )
    return [
        ProvisionEntry(
            provided_at=row.created_at,
            body=row.body.name if row.body else "",
            basis=row.basis.label if row.basis else "",
            article=row.basis.article if row.basis else "",
            kind=row.get_kind_display(),
            channel=row.get_channel_display(),
            items=[ITEMS[code] for code in row.items if code in ITEMS],
        )
        for row in rows
    ]


def provision_history(*, actor: Any, resident_code: str, purpose: str) -> list[ProvisionEntry]:
    """The person's provision history for the 開示 desk (audited read naming the person's record).

    The 住民票コード is validated first (DomainError, audited as refused); the audit entry's subject is
    the person's record in the prefecture store (none once the record is gone).
    """
    action = AuditAction.PROVISION_HISTORY_VIEW
    authorize(actor=actor, permission=Permission.PROVISION_DISCLOSURE, action=action, purpose=purpose)
    try:
        code = validate_juminhyo_code(resident_code, rule=RESIDENT_CODE_RULE, field="resident_code")
    except DomainError as error:
        with transaction.atomic():
            record_event(
                actor=actor,
                action=action,
                purpose=purpose,
                subject_type="provision_history",
                outcome=Outcome.REFUSED,
                outcome_reason=error.code,
                **audit_context(),
            )
        raise
    record = record_by_resident_code(code)
    entries = provisions_concerning(code)
    record_event(
        actor=actor,
        action=action,
        purpose=purpose,
        subject_type="prefecture_identity" if record is not None else "provision_history",
        subject_id=str(record.pk) if record is not None else "",
        outcome_reason="" if record is not None else "no_store_record",
        result_count=len(entries),
        **audit_context(),
    )
    return entries


@dataclass(frozen=True)
class StatisticsRow:
    """Count of log rows of one month, requesting body, basis, kind and outcome."""

    month: str  # YYYY-MM (JST)
    body: str
    basis: str
    kind: str
    outcome: str
    count: int


def provision_statistics(*, actor: Any, since: date, until: date, purpose: str) -> list[StatisticsRow]:
    """Provisions per requesting body, legal basis and month (JST), refused ones included (004)."""
    action = AuditAction.PROVISION_STATISTICS_VIEW
    authorize(actor=actor, permission=Permission.PROVISION_STATISTICS, action=action, purpose=purpose)
    start = datetime.combine(since, time.min, tzinfo=JST)
    end = datetime.combine(until, time.max, tzinfo=JST)
    grouped = (
        ProvisionRecord.objects.filter(created_at__gte=start, created_at__lte=end)
        .annotate(month=TruncMonth("created_at", tzinfo=JST))
        .values("month", "body__name", "basis__label", "kind", "outcome")
        .annotate(count=Count("id"))
        .order_by("month", "body__name", "basis__label", "kind", "outcome")
    )
    kinds = dict(ProvisionRecord.Kind.choices)
    outcomes = dict(ProvisionRecord.Outcome.choices)
    rows = [
        StatisticsRow(
            month=row["month"].astimezone(JST).strftime("%Y-%m") if row["month"] else "",
            body=row["body__name"] or "（提供先不明）",
            basis=row["basis__label"] or "（事務不明）",
            kind=kinds.get(row["kind"], ""),
            outcome=outcomes.get(row["outcome"], row["outcome"]),
            count=row["count"],
        )
        for row in grouped
    ]
    record_event(
        actor=actor, action=action, purpose=purpose, subject_type="provision_statistics", **audit_context()
    )
    return rows
