"""Clerk screens of 特例転入 and the 転入通知 import (docs/jukinet.md Flow 7). Thin: a form, one
workflow call (the same ones ``api_special_moves`` calls, so authorisation and audit are theirs), a template.

特例転入 is two steps on one URL, both by POST so no 住民票コード ever appears in a URL: the clerk gives
the 住民票コード of the card-checked people (「開始」), the held 転出証明書情報 comes back as the editable
転入 form (std 4.1.1.3-a), and 「仮登録」 enters the draft. The 個人番号 is never shown nor sent back: the
workflow takes it from the held data.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.domain.eras import Calendar
from jumin.domain.wareki import DateFieldKind, format_date_ja, parse_date_input
from jumin.jukinet.cs import special_move_out
from jumin.registry.forms import MemberForm, SpecialMoveInForm
from jumin.registry.views import member_facts, move_in_from_form, unreported_from_form
from jumin.registry.views_common import DONE_TEMPLATE, clerk_screen, shown_on_screen
from jumin.registry.workflows import special_moves

_START_TEMPLATE = "registry/special_moves/move_in.html"
_IMPORT_TEMPLATE = "registry/special_moves/notices.html"
_ERRORS_TEMPLATE = "registry/special_moves/notice_errors.html"


class NoticeRetryForm(PurposeForm):
    """「再取込」 of one row of the 取込エラー一覧, with the clerk's correction of the 転入先住所."""

    notice_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    corrected_address = forms.CharField(label="訂正した転入先住所", max_length=200, required=False)


class SpecialMoveInStartForm(PurposeForm):
    resident_codes = forms.CharField(
        label="統合端末（メニュー7）でカードを確認した方の住民票コード（複数は改行・空白・読点で区切る）",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )


class SpecialMoveInMemberForm(MemberForm):
    """One person of a 特例転入: the 転入 member row, with the 住民票コード of the held data (read only)
    in place of the 個人番号, which the workflow takes from the held data."""

    juminhyo_code = forms.CharField(
        label="住民票コード（転出証明書情報）",
        max_length=11,
        widget=forms.TextInput(attrs={"readonly": True}),
    )


SpecialMoveInMemberFormSet = forms.formset_factory(
    SpecialMoveInMemberForm, extra=0, max_num=10, min_num=1, validate_min=True
)


def _member_initial(start: special_moves.SpecialMoveInStart) -> dict[str, Any]:
    facts = start.facts
    foreign = facts.foreign
    # A foreign resident's items (and 通称) fill the same row; their birth date is kept in 西暦.
    foreign_initial = (
        {
            "nationality_code": foreign.nationality_code,
            "foreign_category": foreign.category,
            "residence_status": foreign.residence_status,
            "period_of_stay": foreign.period_of_stay,
            "stay_expiry_date": foreign.stay_expiry_date,
            "residence_card_number": foreign.residence_card_number,
            "special_permanent_resident_number": foreign.special_permanent_resident_number,
            "landing_period": foreign.landing_period,
            "provisional_stay_period": foreign.provisional_stay_period,
            "transitional_reason": foreign.transitional_reason,
            "alphabet_name": foreign.alphabet_name,
            "alias": facts.alias,
            "alias_kana": facts.alias_kana,
        }
        if foreign is not None
        else {}
    )
    return {
        **foreign_initial,
        "kind": facts.kind,
        "surname": facts.surname,
        "given_name": facts.given_name,
        "surname_kana": facts.surname_kana,
        "given_name_kana": facts.given_name_kana,
        "kana_confirmed": facts.kana_confirmed,
        "birth_date": start.birth_date.isoformat()
        if foreign is not None
        else format_date_ja(start.birth_date, calendar=Calendar.WAREKI),
        "sex": facts.sex,
        "relationship": facts.relationship.text,
        "honseki": facts.honseki,
        "hittousha": facts.hittousha,
        "juminhyo_code": facts.juminhyo_code,
    }


def _start(request: HttpRequest, context: dict[str, Any]) -> HttpResponse | None:
    """「開始」: the held data of each code as the starting data of the 転入 form (None: show the errors)."""
    start_form = context["start_form"]
    if not start_form.is_valid():
        return None
    purpose = start_form.cleaned_data["purpose"]
    codes = [c for c in re.split(r"[\s,、，]+", start_form.cleaned_data["resident_codes"]) if c]
    with shown_on_screen(context) as outcome:
        begun = [
            special_moves.special_move_in_start(actor=request.user, purpose=purpose, resident_code=code)
            for code in codes
        ]
    if not outcome.ok or not begun:
        return None
    form = SpecialMoveInForm(initial={"purpose": purpose, "previous_address": begun[0].previous_address})
    members = SpecialMoveInMemberFormSet(initial=[_member_initial(start) for start in begun])
    context.update(form=form, members=members, begun=begun)
    return render(request, _START_TEMPLATE, context)


def _record(request: HttpRequest, context: dict[str, Any]) -> HttpResponse | None:
    """「仮登録」: the (possibly edited) starting data entered as the 特例転入 draft."""
    form = SpecialMoveInForm(request.POST)
    members = SpecialMoveInMemberFormSet(request.POST)
    context.update(form=form, members=members)
    if not (form.is_valid() and members.is_valid()):
        return None
    data = form.cleaned_data
    with shown_on_screen(context, pending_alerts=False) as outcome:
        moved = parse_date_input(
            data["move_in_date"], field_kind=DateFieldKind.BECAME_RESIDENT, field="move_in_date"
        )
        facts = [
            dataclasses.replace(member_facts(m, i), juminhyo_code=m["juminhyo_code"])
            for i, m in enumerate(members.cleaned_data)
            if m
        ]
        draft = special_moves.record_special_move_in(
            actor=request.user,
            purpose=data["purpose"],
            move_in=move_in_from_form(data, facts, moved.value, unreported=unreported_from_form(data)),
        )
    if not outcome.ok:
        return None
    draft = dataclasses.replace(draft, alerts=(*moved.alerts, *draft.alerts))
    return render(request, DONE_TEMPLATE, {"draft": draft})


@clerk_screen
def special_move_in_view(request: HttpRequest) -> HttpResponse:
    """特例転入の入力 (draft): start from the held 転出証明書情報, edit, enter."""
    context: dict[str, Any] = {"start_form": SpecialMoveInStartForm(request.POST or None)}
    if request.method == "POST":
        if "start" in request.POST:
            response = _start(request, context)
        else:
            context["start_form"] = SpecialMoveInStartForm()
            response = _record(request, context)
        if response is not None:
            return response
    return render(request, _START_TEMPLATE, context)


@clerk_screen
def move_in_notice_import_view(request: HttpRequest) -> HttpResponse:
    """転入通知の取込: the 転入通知 received through the CS, taken in as 転出確定 drafts for review.

    The list shows no personal data (the notice number and dates only); the import is audited per
    draft by ``record_move_in_notice``.
    """
    form = PurposeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["result"] = special_moves.import_move_in_notices(
                actor=request.user, purpose=form.cleaned_data["purpose"]
            )
    context["waiting"] = special_move_out.waiting_move_in_notices()
    return render(request, _IMPORT_TEMPLATE, context)


@clerk_screen
def move_in_notice_errors_view(request: HttpRequest) -> HttpResponse:
    """取込エラー一覧 (std 4.1.3.1.2-a): the received 転入通知 the import left, with why; each can be retried
    with a corrected 転入先住所. Showing the list is audited naming each person (code masked, C-10)."""
    context: dict[str, Any] = {"form": PurposeForm(request.POST or None)}
    if request.method == "POST" and "notice_id" in request.POST:
        retry = NoticeRetryForm(request.POST)
        context["form"] = PurposeForm({"purpose": request.POST.get("purpose", "")})
        if retry.is_valid():
            with shown_on_screen(context, pending_alerts=False):
                context["retried"] = special_moves.retry_move_in_notice(
                    actor=request.user,
                    purpose=retry.cleaned_data["purpose"],
                    notice_id=retry.cleaned_data["notice_id"],
                    corrected_address=retry.cleaned_data["corrected_address"],
                )
        else:
            context["retry_form"] = retry
    form = context["form"]
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["failed"] = special_moves.move_in_notice_errors(
                actor=request.user, purpose=form.cleaned_data["purpose"]
            )
    return render(request, _ERRORS_TEMPLATE, context)
