"""The audit-log search and extraction screen and the retention screen (standard 10.2-c). Japanese."""

from __future__ import annotations

from datetime import date

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from jumin.accounts.authorization import AccessRefused
from jumin.audit import messages, retention, search
from jumin.domain.errors import DomainError


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(
            field="date", reason=messages.DATE_INVALID, remedy=messages.DATE_INVALID, code="audit_search.date"
        ) from None


def search_from_query(values: dict[str, str]) -> search.AuditSearch:
    """The search keys from a screen's or the CSV link's GET parameters (refuses bad dates)."""
    return search.checked_search(
        date_from=_date(values.get("date_from")),
        date_to=_date(values.get("date_to")),
        keys=values,
    )


def _text(message: str, *, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def audit_search(request: HttpRequest) -> HttpResponse:
    """Search form and one page of entries; every search is audited (``audit:log:search``)."""
    error = ""
    page = None
    keys = None
    try:
        keys = search_from_query(request.GET.dict())
        number = request.GET.get("page", "")
        page = search.search_entries(
            actor=request.user, search=keys, page=int(number) if number.isdigit() else 1
        )
    except AccessRefused:
        return render(request, "audit/refused.html", {"message": messages.SEARCH_FORBIDDEN}, status=403)
    except DomainError as refusal:
        error = refusal.reason
    query = {"date_from": keys.date_from.isoformat(), "date_to": keys.date_to.isoformat()} if keys else {}
    query.update({key: getattr(keys, key) for key in search.KEY_NAMES if keys and getattr(keys, key)})
    context = {
        "keys": keys,
        "page": page,
        "error": error,
        "columns": search.COLUMNS,
        "query": urlencode(query),
        "outcomes": (("", "すべて"), ("done", "実行"), ("refused", "拒否・エラー")),
    }
    return render(request, "audit/search.html", context, status=400 if error else 200)


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    """The search result as CSV; the extraction is audited (``audit:log:export``)."""
    try:
        text = search.export_csv(actor=request.user, search=search_from_query(request.GET.dict()))
    except AccessRefused:
        return _text(messages.SEARCH_FORBIDDEN, status=403)
    except DomainError as refusal:
        return _text(f"{refusal.reason}{refusal.remedy}", status=400)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def retention_setting(request: HttpRequest) -> HttpResponse:
    """The audit log's retention: the report of entries past it, the setting's history and a change form."""
    error = ""
    try:
        if request.method == "POST":
            try:
                years = int(request.POST.get("years", ""))
            except ValueError:
                error = messages.YEARS_INVALID
            else:
                try:
                    reason = request.POST.get("reason", "")
                    retention.set_retention(actor=request.user, years=years, reason=reason)
                except DomainError as refusal:
                    error = f"{refusal.reason}{refusal.remedy}"
                else:
                    flash.success(request, messages.RETENTION_SET)
                    return redirect(request.path)
        report = retention.view_retention(actor=request.user)
    except AccessRefused:
        return render(request, "audit/refused.html", {"message": messages.RETENTION_FORBIDDEN}, status=403)
    context = {"report": report, "history": retention.retention_history(), "error": error}
    return render(request, "audit/retention.html", context, status=400 if error else 200)
