"""Analysis reports over the audit log (standard 10.2-d; controls.md C-52, C-53).

Each report is a selector over one local day of ``AuditEntry`` rows, found through the index on
``created_us`` (or ``action, created_us``). Thresholds are settings (``audit/conf.py``). The daily
review screen shows them for the previous day; the reviewer's acknowledgment is itself an entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from jumin.audit import conf
from jumin.audit.actions import AuditAction
from jumin.audit.models import EPOCH, AuditEntry
from jumin.audit.services import NUMBER_SEARCH_KEYS
from jumin.domain.holidays import holiday_name, is_closed_day

REVIEW_SUBJECT_TYPE = "audit_day"
CREDENTIAL_REVIEW_SUBJECT_TYPE = "credential_review"
FINDING_FIELDS = (
    "seq",
    "created_us",
    "actor_id",
    "actor_name",
    "terminal_id",
    "action",
    "subject_type",
    "subject_id",
    "purpose",
    "outcome",
    "result_count",
)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def to_us(moment: datetime) -> int:
    """Epoch microseconds of an aware datetime, as ``AuditEntry.created_us`` stores them."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def day_bounds_us(day: date) -> tuple[int, int]:
    """[start, end) of a local calendar day in epoch microseconds."""
    zone = local_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return to_us(start), to_us(end)


def entries_on(day: date) -> QuerySet[AuditEntry]:
    start, end = day_bounds_us(day)
    return AuditEntry.objects.filter(created_us__gte=start, created_us__lt=end)


def _rows(query: QuerySet[AuditEntry]) -> list[dict[str, object]]:
    return list(query.order_by("seq").values(*FINDING_FIELDS))


def after_hours_access(day: date) -> list[dict[str, object]]:
    """Staff actions outside office hours, or at any time on a closed day (holiday, weekend, 年末年始)."""
    staff = entries_on(day).filter(actor_id__isnull=False)
    if is_closed_day(day):
        return _rows(staff)
    opens, closes = office_hours_bounds_us(day)
    return _rows(staff.filter(Q(created_us__lt=opens) | Q(created_us__gte=closes)))


def office_hours_bounds_us(day: date) -> tuple[int, int]:
    opens, closes = conf.office_hours()
    zone = local_zone()
    start = datetime.combine(day, time(hour=opens), tzinfo=zone)
    end = datetime.combine(day, time.min, tzinfo=zone) + timedelta(hours=closes)
    return to_us(start), to_us(end)


def failed_logins(day: date) -> list[dict[str, object]]:
    """Failed logins per terminal (C-44, C-53); the typed user name is never recorded."""
    query = entries_on(day).filter(action=AuditAction.STAFF_LOGIN_FAIL)
    grouped = query.values("terminal_id").annotate(failures=Count("id"), last_seq=Max("seq"))
    return list(grouped.order_by("-failures", "terminal_id"))


def logins_per_id(day: date) -> list[dict[str, object]]:
    """Successful logins per staff ID (C-53)."""
    query = entries_on(day).filter(action=AuditAction.STAFF_LOGIN_SUCCEED)
    grouped = query.values("actor_id", "actor_name").annotate(logins=Count("id"))
    return list(grouped.order_by("-logins", "actor_id"))


def _searches(day: date) -> QuerySet[AuditEntry]:
    return entries_on(day).exclude(query_summary="")


def mass_searches(day: date) -> list[dict[str, object]]:
    """Searches that listed at least the threshold number of persons (C-53)."""
    return _rows(_searches(day).filter(result_count__gte=conf.mass_search_threshold()))


def heavy_searchers(day: date) -> list[dict[str, object]]:
    """Staff who ran at least the per-day threshold number of searches (C-53)."""
    grouped = (
        _searches(day)
        .filter(actor_id__isnull=False)
        .values("actor_id", "actor_name")
        .annotate(searches=Count("id"))
        .filter(searches__gte=conf.searches_per_day_threshold())
    )
    return list(grouped.order_by("-searches"))


def number_searches(day: date) -> list[dict[str, object]]:
    """Searches by 宛名番号, 個人番号 or 住民票コード (standard 10.2-d, C-53)."""
    keys = reduce(or_, (Q(query_summary__contains=key) for key in NUMBER_SEARCH_KEYS))
    return _rows(_searches(day).filter(keys))


def support_measure_access(day: date) -> list[dict[str, object]]:
    """Every access to a 支援措置 record or a person under 支援措置."""
    return _rows(entries_on(day).filter(Q(support_measure=True) | Q(subject_type="support_measure")))


def committed_changes(day: date) -> list[dict[str, object]]:
    """The day's committed registry changes (異動リスト), part of the daily review queue (C-52)."""
    return _rows(entries_on(day).filter(action=AuditAction.RESIDENT_CHANGE_COMMIT, outcome="done"))


@dataclass(frozen=True)
class DailyFindings:
    """Everything the daily review shows for one day (C-52)."""

    day: date
    holiday: str | None
    closed: bool
    after_hours: list[dict[str, object]] = field(default_factory=list)
    failed_logins: list[dict[str, object]] = field(default_factory=list)
    logins_per_id: list[dict[str, object]] = field(default_factory=list)
    mass_searches: list[dict[str, object]] = field(default_factory=list)
    heavy_searchers: list[dict[str, object]] = field(default_factory=list)
    number_searches: list[dict[str, object]] = field(default_factory=list)
    support_measure: list[dict[str, object]] = field(default_factory=list)
    committed_changes: list[dict[str, object]] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        """Counts and entry numbers per report: what the acknowledgment's digest covers."""
        return {
            "day": self.day.isoformat(),
            "after_hours": [row["seq"] for row in self.after_hours],
            "failed_logins": sum(int(row["failures"]) for row in self.failed_logins),  # type: ignore[call-overload]
            "logins": sum(int(row["logins"]) for row in self.logins_per_id),  # type: ignore[call-overload]
            "mass_searches": [row["seq"] for row in self.mass_searches],
            "heavy_searchers": [row["actor_id"] for row in self.heavy_searchers],
            "number_searches": [row["seq"] for row in self.number_searches],
            "support_measure": [row["seq"] for row in self.support_measure],
            "committed_changes": [row["seq"] for row in self.committed_changes],
        }


def daily_findings(day: date) -> DailyFindings:
    """Run every analysis report for one local day."""
    return DailyFindings(
        day=day,
        holiday=holiday_name(day),
        closed=is_closed_day(day),
        after_hours=after_hours_access(day),
        failed_logins=failed_logins(day),
        logins_per_id=logins_per_id(day),
        mass_searches=mass_searches(day),
        heavy_searchers=heavy_searchers(day),
        number_searches=number_searches(day),
        support_measure=support_measure_access(day),
        committed_changes=committed_changes(day),
    )


def acknowledgments(day: date) -> list[dict[str, object]]:
    """The sign-offs recorded for a day (C-52), oldest first."""
    query = AuditEntry.objects.filter(
        action=AuditAction.AUDIT_REVIEW_ACKNOWLEDGE,
        subject_type=REVIEW_SUBJECT_TYPE,
        subject_id=day.isoformat(),
    )
    rows = query.order_by("seq").values("seq", "created_us", "actor_id", "actor_name", "reason")
    return [dict(row) for row in rows]


def unreviewed_days(today: date, *, lookback: int = 14) -> list[date]:
    """Days before ``today`` within the lookback that nobody signed off (the C-52 overdue flag)."""
    days = [today - timedelta(days=n) for n in range(lookback, 0, -1)]
    signed = set(
        AuditEntry.objects.filter(
            action=AuditAction.AUDIT_REVIEW_ACKNOWLEDGE,
            subject_type=REVIEW_SUBJECT_TYPE,
            subject_id__in=[d.isoformat() for d in days],
        ).values_list("subject_id", flat=True)
    )
    return [d for d in days if d.isoformat() not in signed]


@dataclass(frozen=True)
class CredentialReviewStatus:
    """When staff credentials were last reviewed (C-21) and whether the next review is overdue."""

    last_reviewed: date | None
    due: date
    overdue: bool


def credential_review_status(today: date) -> CredentialReviewStatus:
    """The periodic credential review (C-21): overdue when none was recorded within the interval."""
    latest = (
        AuditEntry.objects.filter(
            action=AuditAction.STAFF_CREDENTIAL_REVIEW,
            subject_type=CREDENTIAL_REVIEW_SUBJECT_TYPE,
            outcome="done",
        )
        .order_by("-seq")
        .values_list("created_us", flat=True)
        .first()
    )
    interval = timedelta(days=conf.credential_review_interval_days())
    if latest is None:
        return CredentialReviewStatus(last_reviewed=None, due=today, overdue=True)
    last = (EPOCH + timedelta(microseconds=latest)).astimezone(local_zone()).date()
    due = last + interval
    return CredentialReviewStatus(last_reviewed=last, due=due, overdue=today > due)
