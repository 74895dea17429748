"""Statistics of updates (住基法30条の15第1項第4号) and the update monitor, read from the stored rows.

Counts are computed from ``IdentityVersion``, ``FuhyoVersion`` and ``RefusedUpdate`` each time: there is
no separate counter that could drift from what was actually stored. Months are Japan time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.jukinet.prefecture.models import ConsistencyRun, FuhyoVersion, IdentityVersion, RefusedUpdate

JST = ZoneInfo("Asia/Tokyo")
MONITOR_PURPOSE = "prefecture_monitor"
STATISTICS_PURPOSE = "prefecture_statistics"
REFUSED_LIMIT = 100


@dataclass
class MonthlyCounts:
    """One municipality, one month, one store: updates received, accepted and refused."""

    municipality_code: str
    month: int
    kind: str  # "identity" | "fuhyo"
    accepted: int = 0
    refused: int = 0

    @property
    def received(self) -> int:
        """Every update received is either accepted or refused."""
        return self.accepted + self.refused


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    if not 1900 <= year <= 9998:
        raise refusal(
            "year", "年の指定が不正です。", "西暦4桁で指定してください。", "jukinet.prefecture.year"
        )
    return (
        datetime.combine(date(year, 1, 1), time.min, tzinfo=JST),
        datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=JST),
    )


def _by_month(rows: QuerySet[Any], stamp: str, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return list(
        rows.filter(**(extra or {}))
        .annotate(month=ExtractMonth(stamp, tzinfo=JST))
        .values("sender_code", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )


def update_counts(year: int) -> list[MonthlyCounts]:
    """Counts per (municipality, month, store) for a calendar year, sorted; no audit (callers audit)."""
    start, end = _year_bounds(year)
    window = {"received_at__gte": start, "received_at__lt": end}
    table: dict[tuple[str, int, str], MonthlyCounts] = {}

    def add(rows: list[dict[str, Any]], kind: str, attribute: str) -> None:
        for row in rows:
            key = (row["sender_code"], int(row["month"]), kind)
            counts = table.setdefault(key, MonthlyCounts(*key))
            setattr(counts, attribute, getattr(counts, attribute) + row["count"])

    add(_by_month(IdentityVersion.objects.filter(**window), "received_at"), "identity", "accepted")
    add(_by_month(FuhyoVersion.objects.filter(**window), "received_at"), "fuhyo", "accepted")
    refused = RefusedUpdate.objects.filter(**window)
    add(_by_month(refused, "received_at", {"kind": RefusedUpdate.Kind.IDENTITY}), "identity", "refused")
    add(_by_month(refused, "received_at", {"kind": RefusedUpdate.Kind.FUHYO}), "fuhyo", "refused")
    return [table[key] for key in sorted(table)]


def view_statistics(year: int, *, actor: Any, purpose: str = STATISTICS_PURPOSE) -> list[MonthlyCounts]:
    """The update statistics for a user holding ``prefecture:statistics``; audited (refusals too)."""
    authorize(
        actor=actor,
        permission=Permission.PREFECTURE_STATISTICS,
        action=AuditAction.PREFECTURE_STATISTICS_VIEW,
        purpose=purpose,
        subject_type="prefecture_statistics",
    )
    counts = update_counts(year)
    record_event(
        actor=actor,
        action=AuditAction.PREFECTURE_STATISTICS_VIEW,
        subject_type="prefecture_statistics",
        subject_id=str(year),
        purpose=purpose,
        result_count=len(counts),
    )
    return counts


@dataclass
class MonitorStatus:
    """Today's counts and the latest refusals and consistency runs (no personal data)."""

    day: date
    accepted_today: dict[str, int] = field(default_factory=dict)
    refused_today: dict[str, int] = field(default_factory=dict)
    refused: list[RefusedUpdate] = field(default_factory=list)
    runs: list[ConsistencyRun] = field(default_factory=list)
    waiting_for_national: int = 0

    @property
    def today(self) -> list[tuple[str, int, int]]:
        """(sender, accepted, refused) for every municipality heard from today."""
        senders = sorted(set(self.accepted_today) | set(self.refused_today))
        return [(code, self.accepted_today.get(code, 0), self.refused_today.get(code, 0)) for code in senders]


def _today_by_sender(rows: QuerySet[Any]) -> dict[str, int]:
    day = timezone.localdate()
    start = datetime.combine(day, time.min, tzinfo=JST)
    counts: dict[str, int] = defaultdict(int)
    for row in (
        rows.filter(received_at__gte=start).values("sender_code").annotate(count=Count("pk")).order_by()
    ):
        counts[row["sender_code"]] += row["count"]
    return dict(sorted(counts.items()))


def monitor_status(*, actor: Any, purpose: str = MONITOR_PURPOSE) -> MonitorStatus:
    """The update monitor for a user holding ``prefecture:monitor``; audited (refusals too)."""
    authorize(
        actor=actor,
        permission=Permission.PREFECTURE_MONITOR,
        action=AuditAction.PREFECTURE_MONITOR_VIEW,
        purpose=purpose,
        subject_type="prefecture_monitor",
    )
    status = MonitorStatus(
        day=timezone.localdate(),
        accepted_today=_today_by_sender(IdentityVersion.objects.all()),
        refused_today=_today_by_sender(RefusedUpdate.objects.all()),
        refused=list(RefusedUpdate.objects.order_by("-received_at", "-pk")[:REFUSED_LIMIT]),
        runs=list(ConsistencyRun.objects.order_by("-started_at")[:20]),
        waiting_for_national=IdentityVersion.objects.filter(forward_message_id="").count(),
    )
    record_event(
        actor=actor,
        action=AuditAction.PREFECTURE_MONITOR_VIEW,
        subject_type="prefecture_monitor",
        purpose=purpose,
        result_count=len(status.refused),
    )
    return status
