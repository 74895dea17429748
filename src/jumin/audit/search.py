"""Online search and extraction of the audit log for auditors (standard 10.2-c; controls.md C-52).

By period, actor, action, subject type, terminal, purpose and outcome; paged; a CSV of the whole
result. Both the search and the export are audit entries themselves. The columns are those of the
daily review screen (``_entries.html``): internal ids, never a resident's values; the free-text
``reason`` is not shown, and ``outcome_reason`` only for error-log entries (class and fingerprint).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit import conf, reports
from jumin.audit.actions import AuditAction
from jumin.audit.models import EPOCH, AuditEntry
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError

SEARCH_SUBJECT_TYPE = "audit_log"
#: The text keys of a search besides the period.
KEY_NAMES = ("actor", "action", "subject_type", "terminal_id", "purpose", "outcome")
#: The auditors' duty (ログ監査事務), as on the daily review screen.
SEARCH_PURPOSE = "audit_review"
PAGE_SIZE = 100
#: The longest period one search covers; a longer extraction is split (bounded work per request).
MAX_PERIOD_DAYS = 366

COLUMNS = (
    ("seq", "連番"),
    ("local_time", "日時"),
    ("actor_id", "職員ID"),
    ("actor_name", "職員"),
    ("actor_role", "役割"),
    ("terminal_id", "端末"),
    ("node", "ノード"),
    ("action", "操作"),
    ("subject_type", "対象種別"),
    ("subject_id", "対象ID"),
    ("purpose", "利用目的"),
    ("result_count", "件数"),
    ("individual_number_used", "個人番号"),
    ("outcome", "結果"),
    ("error", "エラー"),
)
_DB_COLUMNS = (
    *(name for name, _ in COLUMNS if name not in ("local_time", "error")),
    "created_us",
    "outcome_reason",
)


@dataclass(frozen=True)
class AuditSearch:
    """The search keys; empty text means "any". Dates are local calendar days, both included."""

    date_from: date
    date_to: date
    actor: str = ""
    action: str = ""
    subject_type: str = ""
    terminal_id: str = ""
    purpose: str = ""
    outcome: str = ""

    def summary(self) -> str:
        """The kinds of keys used (``period+actor+action``), never their values (``query_summary``)."""
        used = [name for name in KEY_NAMES if getattr(self, name)]
        return "+".join(["period", *used])


def checked_search(
    *,
    date_from: date | None,
    date_to: date | None,
    keys: Mapping[str, object] | None = None,
    today: date | None = None,
) -> AuditSearch:
    """Build the keys: the period defaults to the last 7 days; a reversed or over-long period is refused."""
    today = today or datetime.now(reports.local_zone()).date()
    date_to = date_to or today
    date_from = date_from or date_to - timedelta(days=6)
    if date_from > date_to:
        raise DomainError(
            field="date_from",
            reason="期間の開始日が終了日より後になっています。",
            remedy="開始日を終了日以前の日付にしてください。",
            code="audit_search.period_reversed",
        )
    if (date_to - date_from).days >= MAX_PERIOD_DAYS:
        raise DomainError(
            field="date_to",
            reason=f"検索できる期間は{MAX_PERIOD_DAYS}日までです。",
            remedy="期間を分けて検索してください。",
            code="audit_search.period_too_long",
        )
    keys = keys or {}
    cleaned = {name: str(keys.get(name) or "").strip()[:100] for name in KEY_NAMES}
    return AuditSearch(date_from=date_from, date_to=date_to, **cleaned)


def _query(search: AuditSearch) -> QuerySet[AuditEntry]:
    start_us = reports.day_bounds_us(search.date_from)[0]
    end_us = reports.day_bounds_us(search.date_to)[1]
    query = AuditEntry.objects.filter(created_us__gte=start_us, created_us__lt=end_us)
    if search.actor:
        # A number is a staff id; anything else matches the copied name (entries outlive accounts).
        by_name = Q(actor_name__icontains=search.actor)
        query = query.filter(Q(actor_id=int(search.actor)) | by_name if search.actor.isdigit() else by_name)
    if search.action:
        # A whole tag, or a prefix such as ``staff:login`` or ``resident:``.
        query = query.filter(Q(action=search.action) | Q(action__startswith=search.action.rstrip(":") + ":"))
    for name in ("subject_type", "terminal_id", "purpose", "outcome"):
        if value := getattr(search, name):
            query = query.filter(**{name: value})
    return query.order_by("-seq")


def _row(values: dict[str, Any]) -> dict[str, object]:
    zone = reports.local_zone()
    moment = EPOCH + timedelta(microseconds=int(values.pop("created_us")))
    values["local_time"] = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    outcome_reason = values.pop("outcome_reason")
    values["error"] = outcome_reason if values["action"] == AuditAction.SYSTEM_ERROR_RECORD else ""
    return values


@dataclass(frozen=True)
class AuditPage:
    """One page of the result, newest first."""

    rows: list[dict[str, object]]
    total: int
    page: int
    pages: int


def _authorize(actor: Any, action: AuditAction) -> None:
    authorize(
        actor=actor,
        permission=Permission.AUDIT_REVIEW,
        action=action,
        purpose=SEARCH_PURPOSE,
        subject_type=SEARCH_SUBJECT_TYPE,
    )


def search_entries(*, actor: Any, search: AuditSearch, page: int = 1) -> AuditPage:
    """One page of the entries matching ``search``; needs ``audit:review``; audited (C-42)."""
    _authorize(actor, AuditAction.AUDIT_LOG_SEARCH)
    query = _query(search)
    total = query.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    rows = [_row(values) for values in query.values(*_DB_COLUMNS)[start : start + PAGE_SIZE]]
    record_event(
        actor=actor,
        action=AuditAction.AUDIT_LOG_SEARCH,
        subject_type=SEARCH_SUBJECT_TYPE,
        purpose=SEARCH_PURPOSE,
        query_summary=search.summary(),
        result_count=total,
    )
    return AuditPage(rows=rows, total=total, page=page, pages=pages)


def _csv_lines(rows: Iterator[dict[str, object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for _, label in COLUMNS])
    for row in rows:
        writer.writerow([row[name] for name, _ in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def export_csv(*, actor: Any, search: AuditSearch) -> str:
    """The whole result as CSV (UTF-8 with BOM, CRLF); needs ``audit:review``; the export is audited.

    Refused above ``JUMIN_AUDIT_EXPORT_MAX_ROWS`` rows (default 100,000): narrow the period instead.
    """
    _authorize(actor, AuditAction.AUDIT_LOG_EXPORT)
    query = _query(search)
    total = query.count()
    if total > conf.export_max_rows():
        raise DomainError(
            field="date_from",
            reason=f"該当が{conf.export_max_rows()}件を超えるため出力できません。",
            remedy="期間や条件を絞って出力してください。",
            code="audit_search.export_too_large",
        )
    rows = (_row(values) for values in query.values(*_DB_COLUMNS).iterator())
    text = "\ufeff" + "".join(_csv_lines(rows))
    record_event(
        actor=actor,
        action=AuditAction.AUDIT_LOG_EXPORT,
        subject_type=SEARCH_SUBJECT_TYPE,
        purpose=SEARCH_PURPOSE,
        query_summary=search.summary(),
        result_count=total,
    )
    return text
