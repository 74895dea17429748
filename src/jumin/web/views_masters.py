"""Screens of the input-place master (入力場所, 1.3.1-a) and the lot and 方書 masters (1.3.2-a, 1.3.4-a).

Thin: each view parses the form, calls one service of ``accounts.input_places`` or ``masters.lots``
and redirects back with a message. Refusals are audited by the services; a bad value is shown as
a Japanese message naming the item and the remedy, and nothing changes.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from jumin.accounts import input_places
from jumin.accounts.authorization import PERMISSION_MISSING_MESSAGE, AccessRefused, has_permission
from jumin.accounts.models import InputPlace
from jumin.accounts.permissions import Permission
from jumin.domain.address_lots import LotNumber, LotSystem
from jumin.domain.errors import DomainError
from jumin.masters import lots
from jumin.web.views import PURPOSE_TERMINAL, staff_action, staff_screen

PURPOSE_MASTERS = "マスタ管理"


def _day(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError(
            field=label,
            reason=f"{label}が正しくありません。",
            remedy="日付を選んでください。",
            code="web.date",
        ) from None


def _number(value: str, label: str) -> int:
    value = value.strip()
    if not value:
        return 0
    if not value.isascii() or not value.isdigit():
        raise DomainError(
            field=label,
            reason=f"{label}が数字ではありません。",
            remedy="0以上の半角数字で入力してください。",
            code="web.number",
        )
    return int(value)


# --- 入力場所 (1.3.1-a) -------------------------------------------------------------------------------


@require_GET
@staff_screen
def input_place_list(request: HttpRequest) -> HttpResponse:
    """Input places (every row, ended ones too) and the registration form."""
    rows = input_places.input_place_overview(actor=request.user, purpose=PURPOSE_TERMINAL)
    kinds = [choice for choice in InputPlace.Kind.choices if choice[0] != InputPlace.Kind.UNKNOWN]
    return render(request, "web/input_places.html", {"rows": rows, "kinds": kinds})


@staff_action("web:input_places")
def input_place_register(request: HttpRequest) -> HttpResponse:
    """Register a place, or a new row of an existing code (the row in force ends the day before)."""
    post = request.POST
    try:
        valid_from = _day(post.get("valid_from", ""), "適用開始日")
    except DomainError as error:
        flash.error(request, f"{error.reason}{error.remedy}")
        return HttpResponseRedirect(reverse("web:input_places"))
    place = input_places.register_input_place(
        actor=request.user,
        purpose=PURPOSE_TERMINAL,
        code=post.get("code", ""),
        name=post.get("name", ""),
        kind=post.get("kind", ""),
        valid_from=valid_from,
    )
    flash.success(request, f"入力場所 {place.code} {place.name} を {place.valid_from} から登録しました。")
    return HttpResponseRedirect(reverse("web:input_places"))


@staff_action("web:input_places")
def input_place_end(request: HttpRequest) -> HttpResponse:
    """End an input place's row on the given day."""
    try:
        valid_to = _day(request.POST.get("valid_to", ""), "適用終了日")
    except DomainError as error:
        flash.error(request, f"{error.reason}{error.remedy}")
        return HttpResponseRedirect(reverse("web:input_places"))
    input_places.end_input_place(
        actor=request.user,
        purpose=PURPOSE_TERMINAL,
        place_id=int(request.POST.get("place_id", "0")),
        valid_to=valid_to,
    )
    flash.success(request, "入力場所の適用を終了しました。")
    return HttpResponseRedirect(reverse("web:input_places"))


@staff_action("web:terminals")
def terminal_place(request: HttpRequest) -> HttpResponse:
    """Make a terminal belong to an input place (standard 1.3.1-a); audited by the service."""
    terminal_id = request.POST.get("terminal_id", "").strip()
    code = request.POST.get("input_place_code", "").strip()
    input_places.assign_terminal_place(
        actor=request.user, purpose=PURPOSE_TERMINAL, terminal_id=terminal_id, place_code=code
    )
    flash.success(request, f"端末 {terminal_id} の入力場所を {code} にしました。")
    return HttpResponseRedirect(reverse("web:terminals"))


# --- 番地・方書 (1.3.2-a, 1.3.4-a) ------------------------------------------------------------------------


def _require_masters_edit(request: HttpRequest) -> None:
    """The lot screen reads no personal data: a plain permission check, no audit entry."""
    if not has_permission(request.user, Permission.MASTERS_EDIT):
        raise AccessRefused(PERMISSION_MISSING_MESSAGE, reason_code="permission_missing")


@require_GET
@staff_screen
def address_lots(request: HttpRequest) -> HttpResponse:
    """The lots and 方書 of one 町字 (by 住所コード) and the registration forms. No personal data."""
    _require_masters_edit(request)
    address_code = request.GET.get("address_code", "").strip()
    rows = lots.lots_of_area(address_code) if address_code else []
    return render(
        request,
        "web/address_lots.html",
        {"address_code": address_code, "rows": rows, "systems": lots.systems()},
    )


def _back_to_area(address_code: str) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse('web:address_lots')}?address_code={address_code}")


@require_POST
@staff_screen
def address_lot_action(request: HttpRequest) -> HttpResponse:
    """Register or end a lot or a 方書 (``op``); the service authorises and audits each write."""
    post = request.POST
    address_code = post.get("address_code", "").strip()
    op = post.get("op", "")
    try:
        if op == "lot":
            number = LotNumber(
                post.get("special", "").strip(),
                _number(post.get("lot_number", ""), "番地"),
                _number(post.get("sub_number", ""), "枝番"),
                _number(post.get("minor_number", ""), "枝番の枝番"),
            )
            system = LotSystem(post.get("system", LotSystem.LAND_LOT.value))
            entry = lots.LotEntry(
                address_code, system, number, _day(post.get("valid_from", ""), "適用開始日")
            )
            lot = lots.register_lot(actor=request.user, purpose=PURPOSE_MASTERS, entry=entry)
            flash.success(request, f"番地 {lot.text} を登録しました。")
        elif op == "katagaki":
            katagaki = lots.KatagakiEntry(
                _number(post.get("lot_id", ""), "番地"),
                post.get("name", ""),
                post.get("kana", ""),
                _day(post.get("valid_from", ""), "適用開始日"),
            )
            row = lots.register_katagaki(actor=request.user, purpose=PURPOSE_MASTERS, entry=katagaki)
            flash.success(request, f"方書 {row.name} を登録しました。")
        elif op in ("end_lot", "end_katagaki"):
            row_id = _number(post.get("row_id", ""), "行")
            valid_to = _day(post.get("valid_to", ""), "適用終了日")
            if op == "end_lot":
                lots.end_lot(actor=request.user, purpose=PURPOSE_MASTERS, lot_id=row_id, valid_to=valid_to)
            else:
                lots.end_katagaki(
                    actor=request.user, purpose=PURPOSE_MASTERS, katagaki_id=row_id, valid_to=valid_to
                )
            flash.success(request, "適用を終了しました。")
        else:
            raise ValueError(op)
    except DomainError as error:
        flash.error(request, f"{error.reason}{error.remedy}")
    except ValueError:
        flash.error(request, "入力内容に誤りがあります。確認してください。")
    return _back_to_area(address_code)
