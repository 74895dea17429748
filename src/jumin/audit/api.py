"""JSON API of the audit log's search and extraction and its retention (standard 10.2-c).

The same services as the screens (``search.py``, ``retention.py``): permission-gated and audited.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from jumin.audit import retention, search

router = Router(tags=["監査ログ"])


class AuditSearchIn(Schema):
    date_from: date | None = None
    date_to: date | None = None
    actor: str = ""
    action: str = ""
    subject_type: str = ""
    terminal_id: str = ""
    purpose: str = ""
    outcome: str = ""
    page: int = 1


class AuditEntryOut(Schema):
    seq: int
    local_time: str
    actor_id: int | None
    actor_name: str
    actor_role: str
    terminal_id: str
    node: str
    action: str
    subject_type: str
    subject_id: str
    purpose: str
    result_count: int
    individual_number_used: bool
    outcome: str
    error: str


class AuditPageOut(Schema):
    entries: list[AuditEntryOut]
    total: int
    page: int
    pages: int


class RetentionIn(Schema):
    years: int
    reason: str = ""


def _keys(params: AuditSearchIn) -> search.AuditSearch:
    return search.checked_search(date_from=params.date_from, date_to=params.date_to, keys=params.dict())


@router.get("/entries", response=AuditPageOut)
def entries(request: HttpRequest, params: Query[AuditSearchIn]) -> dict[str, object]:
    """One page (100) of audit entries, newest first (permission ``audit:review``); audited."""
    page = search.search_entries(actor=request.user, search=_keys(params), page=params.page)
    return {"entries": page.rows, "total": page.total, "page": page.page, "pages": page.pages}


@router.get("/entries.csv")
def entries_csv(request: HttpRequest, params: Query[AuditSearchIn]) -> HttpResponse:
    """The whole result as CSV (UTF-8 with BOM); the extraction is audited."""
    text = search.export_csv(actor=request.user, search=_keys(params))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@router.get("/retention", response=retention.RetentionReport)
def retention_status(request: HttpRequest) -> retention.RetentionReport:
    """The retention in force and the entries past it (``audit:retention:manage``); audited."""
    return retention.view_retention(actor=request.user)


@router.put("/retention", response=retention.RetentionReport)
def retention_change(request: HttpRequest, payload: RetentionIn) -> retention.RetentionReport:
    """Set the retention (7–150 years); audited with the old and new values."""
    retention.set_retention(actor=request.user, years=payload.years, reason=payload.reason)
    return retention.view_retention(actor=request.user)
