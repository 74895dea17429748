"""Screens and JSON endpoints for rights by unit and by batch (standard 10.3-b, 10.3-e; docs/security.md).

部署と所属 (units, members, unit grant applications), 有効な権限と付与元 (effective rights and their
sources), 権限の一括登録 (CSV preview, import, export). Every check and every audit entry is in the
services (``accounts.units``, ``accounts.bulk_rights``); the views only read forms and show results.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jumin.accounts import bulk_rights, bulk_staff, units
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.duties import DUTIES
from jumin.accounts.errors import RuleRefused
from jumin.web.views import PURPOSE_GRANT, PURPOSE_PERSONNEL, PURPOSE_STAFF, _date, staff_action, staff_screen

# The largest upload the import screen reads (a file of MAX_ROWS rows fits well below it).
MAX_UPLOAD_BYTES = 1_000_000
UPLOAD_UNREADABLE = "CSVファイルを読めません。UTF-8 の CSV ファイル（1MB以下）を選んでください。"


def _work_duties() -> list[tuple[str, str]]:
    return [(code, duty.label) for code, duty in DUTIES.items() if units.unit_duty(code)]


# --- 部署と所属 (10.3-b) -----------------------------------------------------------------------------


@require_GET
@staff_screen
def unit_list(request: HttpRequest) -> HttpResponse:
    """Units with their members and grants; forms to register, add or end members, apply for a grant."""
    rows = units.unit_overview(actor=request.user, purpose=PURPOSE_PERSONNEL)
    return render(request, "web/units.html", {"units": rows, "duties": _work_duties()})


@staff_action("web:units")
def unit_register(request: HttpRequest) -> HttpResponse:
    """Register a unit (部署コード, 名称)."""
    post = request.POST
    units.register_unit(
        actor=request.user,
        code=post.get("code", "").strip(),
        name=post.get("name", ""),
        purpose=PURPOSE_PERSONNEL,
    )
    flash.success(request, "部署を登録しました。")
    return HttpResponseRedirect(reverse("web:units"))


@staff_action("web:units")
def unit_member(request: HttpRequest) -> HttpResponse:
    """Add a member from a day (``action=add``) or end a membership now (``action=end``)."""
    post = request.POST
    common = {"unit_code": post.get("unit_code", ""), "staff_number": post.get("staff_number", "").strip()}
    if post.get("action") == "end":
        units.end_membership(actor=request.user, purpose=PURPOSE_PERSONNEL, **common)
        flash.success(request, "所属を終了しました。部署の権限は直ちに失効します。")
    else:
        ends_on = post.get("ends_on", "").strip()
        units.add_member(
            actor=request.user,
            starts_on=_date(post.get("starts_on", "")),
            ends_on=_date(ends_on) if ends_on else None,
            purpose=PURPOSE_PERSONNEL,
            **common,
        )
        flash.success(request, "所属を登録しました。")
    return HttpResponseRedirect(reverse("web:units"))


@staff_action("web:units")
def unit_grant_apply(request: HttpRequest) -> HttpResponse:
    """The section head applies for a grant of one work duty to a unit (decided on 権限の管理)."""
    post = request.POST
    application = units.apply_for_unit_grant(
        actor=request.user,
        unit_code=post.get("unit_code", ""),
        duty=post.get("duty", ""),
        starts_on=_date(post.get("starts_on", "")),
        ends_on=_date(post.get("ends_on", "")),
        reason=post.get("reason", ""),
        purpose=PURPOSE_GRANT,
    )
    flash.success(request, f"申請しました（申請番号 {application.pk}）。情報主管課長の承認を待ってください。")
    return HttpResponseRedirect(reverse("web:units"))


# --- 有効な権限と付与元 (10.3-b) ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_screen
def effective_rights(request: HttpRequest) -> HttpResponse:
    """One account's rights today and where each comes from; the 職員番号 is posted, never in the URL."""
    context: dict[str, Any] = {"rows": None}
    if request.method == "POST":
        staff_number = request.POST.get("staff_number", "").strip()
        try:
            context["rows"] = units.effective_rights(
                actor=request.user, staff_number=staff_number, purpose=PURPOSE_GRANT
            )
        except RuleRefused as refusal:
            flash.error(request, refusal.message)
    return render(request, "web/effective_rights.html", context)


# --- 権限の一括登録 (10.3-e) -------------------------------------------------------------------------


def _upload_text(request: HttpRequest) -> str | None:
    upload = request.FILES.get("file")
    if upload is None or upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        return None
    try:
        return str(upload.read().decode("utf-8"))
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class CsvBatch:
    """One kind of batch file the import screen handles: its services, texts and pages."""

    title: str
    columns: tuple[str, ...]
    headings: tuple[str, ...]
    preview: Callable[..., Any]
    commit: Callable[..., list[int]]
    purpose: str
    done: str  # "{count}" is replaced by the number of rows written
    url_name: str
    export_url_name: str
    back: str
    note: str


GRANT_BATCH = CsvBatch(
    title="権限の一括登録（CSV）",
    columns=bulk_rights.GRANT_COLUMNS,
    headings=("行", "職員番号", "部署コード", "事務", "開始日", "終了日"),
    preview=bulk_rights.preview_grant_import,
    commit=bulk_rights.import_grants,
    purpose=PURPOSE_GRANT,
    done="{count}件の付与申請を登録しました。情報主管課長の承認後に有効になります。",
    url_name="web:grant_import",
    export_url_name="web:grant_export",
    back="web:grants",
    note="各行は職員番号か部署コードのどちらか一方、事務（コードまたは名称）、開始日・終了日（YYYY-MM-DD）です。"
    "各行は付与申請となり、情報主管課長の承認後に有効になります。",
)
STAFF_BATCH = CsvBatch(
    title="職員の一括登録（CSV）",
    columns=bulk_staff.STAFF_COLUMNS,
    headings=("行", "職員番号", "職員ID", "区分", "部署コード"),
    preview=bulk_staff.preview_staff_import,
    commit=bulk_staff.import_staff,
    purpose=PURPOSE_STAFF,
    done="{count}件のアカウントを登録しました。パスワードは設定されていません（シングルサインオン、またはパスワード再発行）。",
    url_name="web:staff_import",
    export_url_name="web:staff_export",
    back="web:staff",
    note="臨時職員には雇用通知書番号と雇用期間満了日、部署コードを書く行には所属開始日（YYYY-MM-DD）が必要です。"
    "パスワードは設定せず、ファイルにも書き出しません。",
)


def _import_screen(request: HttpRequest, batch: CsvBatch) -> HttpResponse:
    """Upload a CSV: 「確認」 previews every row and error; 「登録」 imports all rows or none."""
    context: dict[str, Any] = {"batch": batch, "rows": [], "errors": []}
    if request.method == "POST":
        text = _upload_text(request)
        if text is None:
            flash.error(request, UPLOAD_UNREADABLE)
        elif request.POST.get("action") == "commit":
            try:
                ids = batch.commit(actor=request.user, text=text, purpose=batch.purpose)
            except bulk_rights.BatchRefused as refused:
                flash.error(request, refused.message)
                context["errors"] = [e.as_dict() for e in refused.errors]
            else:
                flash.success(request, batch.done.format(count=len(ids)))
                return HttpResponseRedirect(reverse(batch.back))
        else:
            preview = batch.preview(actor=request.user, text=text, purpose=batch.purpose)
            context["rows"] = [list(row.as_dict().values()) for row in preview.rows]
            context["errors"] = [e.as_dict() for e in preview.errors]
            context["previewed"] = True
    return render(request, "web/csv_import.html", context)


@require_http_methods(["GET", "POST"])
@staff_screen
def grant_import(request: HttpRequest) -> HttpResponse:
    """権限の一括登録: grant applications from a CSV file (10.3-e)."""
    return _import_screen(request, GRANT_BATCH)


@require_http_methods(["GET", "POST"])
@staff_screen
def staff_import(request: HttpRequest) -> HttpResponse:
    """職員の一括登録: people, accounts and unit memberships from a CSV file (10.3-e)."""
    return _import_screen(request, STAFF_BATCH)


def _csv_download(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@staff_screen
def staff_export(request: HttpRequest) -> HttpResponse:
    """Active accounts and their units as a CSV download in the import format (audited)."""
    return _csv_download(bulk_staff.export_staff(actor=request.user, purpose=PURPOSE_STAFF), "staff.csv")


@require_GET
@staff_screen
def grant_export(request: HttpRequest) -> HttpResponse:
    """The grants in force or scheduled as a CSV download in the import format (audited)."""
    return _csv_download(bulk_rights.export_grants(actor=request.user, purpose=PURPOSE_GRANT), "grants.csv")


# --- JSON API (10.3-e) -------------------------------------------------------------------------------


def _api(view: Any) -> Any:
    """Anonymous → 401; refused permission → 403 (already audited); like ``web.views.api_hr_event``."""

    def wrapper(request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "認証が必要です。"}, status=401)
        try:
            response: HttpResponse = view(request)
        except AccessRefused as error:
            return JsonResponse({"detail": error.message}, status=403)
        except RuleRefused as error:
            return JsonResponse({"detail": error.message, "code": error.reason_code}, status=400)
        return response

    wrapper.__doc__ = view.__doc__
    return wrapper


@require_POST
@_api
def api_grant_import(request: HttpRequest) -> HttpResponse:
    """``POST /api/accounts/grants/import/`` with the CSV text as the body (UTF-8).

    ``?dry_run=1``: 200 with ``rows`` and ``errors``, nothing written. Otherwise 201 with the
    application ids, or 400 with every row's ``errors`` (row, field, reason, remedy) and nothing written.
    """
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return JsonResponse({"detail": UPLOAD_UNREADABLE}, status=400)
    if request.GET.get("dry_run") == "1":
        preview = bulk_rights.preview_grant_import(actor=request.user, text=text, purpose=PURPOSE_GRANT)
        return JsonResponse(
            {"rows": [r.as_dict() for r in preview.rows], "errors": [e.as_dict() for e in preview.errors]}
        )
    try:
        ids = bulk_rights.import_grants(actor=request.user, text=text, purpose=PURPOSE_GRANT)
    except bulk_rights.GrantImportRefused as refused:
        return JsonResponse(
            {"detail": refused.message, "errors": [e.as_dict() for e in refused.errors]}, status=400
        )
    return JsonResponse({"applications": ids}, status=201)


@require_GET
@_api
def api_grant_export(request: HttpRequest) -> HttpResponse:
    """``GET /api/accounts/grants/export/``: the grants in force or scheduled as CSV (audited)."""
    text = bulk_rights.export_grants(actor=request.user, purpose=PURPOSE_GRANT)
    return HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")


@require_POST
@_api
def api_effective_rights(request: HttpRequest) -> HttpResponse:
    """``POST /api/accounts/rights/`` ``{"staff_number"}``: each permission with its sources (10.3-b)."""
    try:
        body = json.loads(request.body or b"{}")
        staff_number = str(body.get("staff_number", ""))
    except (ValueError, AttributeError):
        return JsonResponse({"detail": "入力内容に誤りがあります。"}, status=400)
    rows = units.effective_rights(actor=request.user, staff_number=staff_number, purpose=PURPOSE_GRANT)
    return JsonResponse({"rights": rows})
