"""Screens of the 業務端末 (提供・移転), 代表端末 (一括提供), 端末機 (開示), the register and statistics.

Thin: each view calls one service or selector; refusals render 403 (already audited), bad input is
shown with its reason and remedy. Personal data travels only in POST bodies, never in URLs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.errors import RuleRefused
from jumin.domain.errors import DomainError
from jumin.jukinet.prefecture.provision import bodies, bulk, disclosure, exchanges, provide, selectors
from jumin.jukinet.prefecture.provision.items import ITEMS
from jumin.jukinet.prefecture.provision.keys import SearchKey

PURPOSE_TERMINAL = "provision_terminal"
PURPOSE_BULK = "provision_bulk"
PURPOSE_DISCLOSURE = "provision_disclosure"
PURPOSE_ADMIN = "provision_admin"
SEX_CHOICES = (("", "指定なし"), ("male", "男"), ("female", "女"))


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "jukinet_provision/refused.html", {"message": message}, status=403)


def _error_text(error: DomainError) -> str:
    return f"{error.reason}{error.remedy}"


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """提供先の登録: bodies, their 事務 and items, and operator assignments."""
    context: dict[str, Any] = {"items": ITEMS, "kinds": bodies.BODY_KINDS}
    try:
        if request.method == "POST":
            form = request.POST.get("form", "")
            if form == "body":
                bodies.register_body(
                    actor=request.user,
                    code=request.POST.get("code", ""),
                    name=request.POST.get("name", ""),
                    kind=request.POST.get("kind", ""),
                    ordinance=request.POST.get("ordinance", ""),
                    purpose=PURPOSE_ADMIN,
                )
            elif form == "basis":
                bodies.add_basis(
                    actor=request.user,
                    body_id=_int(request.POST.get("body_id")),
                    code=request.POST.get("code", ""),
                    label=request.POST.get("label", ""),
                    article=request.POST.get("article", ""),
                    items=request.POST.getlist("items"),
                    purpose=PURPOSE_ADMIN,
                )
            elif form == "operator":
                bodies.assign_operator(
                    actor=request.user,
                    username=request.POST.get("username", ""),
                    body_id=_int(request.POST.get("body_id")),
                    purpose=PURPOSE_ADMIN,
                )
            context["done"] = "登録しました。"
        context["bodies"] = bodies.list_bodies(actor=request.user, purpose=PURPOSE_ADMIN)
    except AccessRefused as refused:
        return _refused(request, refused.message)
    except DomainError as error:
        context["error"] = _error_text(error)
        context["bodies"] = bodies.list_bodies(actor=request.user, purpose=PURPOSE_ADMIN)
    return render(request, "jukinet_provision/register.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def terminal(request: HttpRequest) -> HttpResponse:
    """業務端末: pick the 事務, search by 住民票コード, 個人番号 or 4情報, see the allowed items."""
    context: dict[str, Any] = {"bases": bodies.bases_for(request.user), "sexes": SEX_CHOICES}
    if request.method == "POST":
        key = SearchKey(
            by=request.POST.get("by", ""),
            resident_code=request.POST.get("resident_code", ""),
            individual_number=request.POST.get("individual_number", ""),
            name=request.POST.get("name", ""),
            name_kana=request.POST.get("name_kana", ""),
            birth_date=request.POST.get("birth_date", ""),
            sex=request.POST.get("sex", ""),
            address=request.POST.get("address", ""),
        )
        try:
            context["result"] = provide.provide(
                actor=request.user,
                basis_id=_int(request.POST.get("basis_id")),
                key=key,
                purpose=PURPOSE_TERMINAL,
                ask_national=request.POST.get("ask_national") == "1",
            )
        except AccessRefused as refused:
            return _refused(request, refused.message)
        except DomainError as error:
            context["error"] = _error_text(error)
    return render(request, "jukinet_provision/terminal.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def bulk_run(request: HttpRequest) -> HttpResponse:
    """代表端末: run a condition list under an approved media output; the result file downloads."""
    context: dict[str, Any] = {"bases": bodies.all_bases()}
    if request.method == "POST":
        upload = request.FILES.get("conditions")
        try:
            result = bulk.run_bulk(
                actor=request.user,
                basis_id=_int(request.POST.get("basis_id")),
                approval_id=_int(request.POST.get("approval_id")),
                medium_id=request.POST.get("medium_id", ""),
                content=upload.read() if upload is not None else b"",
                purpose=PURPOSE_BULK,
            )
        except AccessRefused as refused:
            return _refused(request, refused.message)
        except RuleRefused as refused:
            context["error"] = refused.message
        except DomainError as error:
            context["error"] = _error_text(error)
        else:
            response = HttpResponse(result.content, content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
            return response
    return render(request, "jukinet_provision/bulk.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def provision_status(request: HttpRequest) -> HttpResponse:
    """本人確認情報の提供状況 of one person (開示担当): the 住民票コード and purpose in the POST body."""
    context: dict[str, Any] = {"purpose": PURPOSE_DISCLOSURE}
    if request.method == "POST":
        context["purpose"] = request.POST.get("purpose", "")
        try:
            context["status"] = exchanges.provision_status(
                actor=request.user,
                purpose=context["purpose"],
                resident_code=request.POST.get("resident_code", ""),
            )
        except AccessRefused as refused:
            return _refused(request, refused.message)
        except DomainError as error:
            context["error"] = _error_text(error)
    return render(request, "jukinet_provision/provision_status.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def disclosure_desk(request: HttpRequest) -> HttpResponse:
    """端末機: receive a written 開示請求, print the form, record corrections and their outcome."""
    context: dict[str, Any] = {
        "checks": disclosure.IDENTITY_CHECKS,
        "items": ITEMS,
        "sexes": SEX_CHOICES,
        "today": clock.today().isoformat(),
    }
    try:
        if request.method == "POST":
            form = request.POST.get("form", "")
            if form == "receive":
                requester = disclosure.Requester(
                    name=request.POST.get("name", ""),
                    birth_date=request.POST.get("birth_date", ""),
                    sex=request.POST.get("sex", ""),
                    address=request.POST.get("address", ""),
                    resident_code=request.POST.get("resident_code", ""),
                )
                received = disclosure.receive_request(
                    actor=request.user,
                    received_on=_date(request.POST.get("received_on", "")),
                    identity_check=request.POST.get("identity_check", ""),
                    requester=requester,
                    purpose=PURPOSE_DISCLOSURE,
                )
                context["done"] = f"受付番号{received.pk}：{received.get_status_display()}"
            elif form == "issue":
                pdf = disclosure.issue_form(
                    actor=request.user,
                    request_id=_int(request.POST.get("request_id")),
                    purpose=PURPOSE_DISCLOSURE,
                )
                response = HttpResponse(pdf, content_type="application/pdf")
                response["Content-Disposition"] = 'inline; filename="disclosure.pdf"'
                return response
            elif form == "correction":
                disclosure.record_correction(
                    actor=request.user,
                    request_id=_int(request.POST.get("request_id")),
                    items=request.POST.getlist("items"),
                    note=request.POST.get("note", ""),
                    purpose=PURPOSE_DISCLOSURE,
                )
                context["done"] = "訂正の申出を記録しました。"
            elif form == "decide":
                disclosure.decide_correction(
                    actor=request.user,
                    correction_id=_int(request.POST.get("correction_id")),
                    outcome=request.POST.get("outcome", ""),
                    note=request.POST.get("note", ""),
                    purpose=PURPOSE_DISCLOSURE,
                )
                context["done"] = "訂正の申出の結果を記録しました。"
        context["requests"] = disclosure.desk_requests(actor=request.user, purpose=PURPOSE_DISCLOSURE)
    except AccessRefused as refused:
        return _refused(request, refused.message)
    except DomainError as error:
        context["error"] = _error_text(error)
        context["requests"] = disclosure.desk_requests(actor=request.user, purpose=PURPOSE_DISCLOSURE)
    return render(request, "jukinet_provision/disclosure.html", context)


def _date(text: str, default: date | None = None) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        if default is not None:
            return default
        raise DomainError(
            field="date",
            reason="日付の形式が不正です。",
            remedy="YYYY-MM-DD で入力してください。",
            code="provision.date",
        ) from None


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """提供件数の統計: per requesting body, 事務 and month, refused included."""
    today = clock.today()
    since = _date(request.GET.get("since", ""), today.replace(month=1, day=1))
    until = _date(request.GET.get("until", ""), today)
    try:
        rows = selectors.provision_statistics(
            actor=request.user, since=since, until=until, purpose=PURPOSE_ADMIN
        )
    except AccessRefused as refused:
        return _refused(request, refused.message)
    return render(
        request,
        "jukinet_provision/statistics.html",
        {
            "rows": rows,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "total": sum(r.count for r in rows),
        },
    )
