"""Clerk screen of the 個人番号 requests sent to the CS (std 7.1.1.1-c): list, inquiry, re-send, manual
entry and the manual-link switch. Thin: a form, one ``registry.number_requests`` call (the same ones
``api_number_requests`` calls, so authorisation and audit are theirs), a template. Everything is
posted: no identifier travels in a URL."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import number_requests
from jumin.registry.views_common import clerk_screen, shown_on_screen

_TEMPLATE = "registry/number_requests.html"
_STATES = [
    ("", "すべて"),
    ("failed", "送信エラー"),
    ("manual", "手動連携待ち"),
    ("answered", "回答済"),
    ("manual_entered", "手入力済"),
]


class ListForm(PurposeForm):
    state = forms.ChoiceField(label="状態", choices=_STATES, required=False)


class RequestActionForm(PurposeForm):
    """「照会」「再送」「手入力」 of one request."""

    action = forms.ChoiceField(choices=[("inquire", "照会"), ("resend", "再送"), ("enter", "手入力")])
    request_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(label="要求理由（変更要求のみ）", max_length=10, required=False)
    individual_number = forms.CharField(label="個人番号（CS端末の表示）", max_length=20, required=False)


class ModeForm(PurposeForm):
    """「手動連携を開始」「手動連携を終了（再連携）」."""

    mode = forms.ChoiceField(choices=[("start", "開始"), ("end", "終了")])
    mode_reason = forms.CharField(label="手動連携の理由", max_length=200, required=False)


def _act(request: HttpRequest, context: dict[str, Any]) -> None:
    """The posted action (one per request), its result or error put in ``context``."""
    if "mode" in request.POST:
        mode = ModeForm(request.POST)
        if not mode.is_valid():
            context["action_errors"] = mode.errors
            return
        purpose = mode.cleaned_data["purpose"]
        with shown_on_screen(context, pending_alerts=False):
            if mode.cleaned_data["mode"] == "start":
                number_requests.start_manual_mode(
                    actor=request.user, purpose=purpose, reason=mode.cleaned_data["mode_reason"]
                )
                context["done"] = "手動連携に切り替えました。個人番号はCS端末の表示を手入力してください。"
            else:
                relinked = number_requests.end_manual_mode(actor=request.user, purpose=purpose)
                left = len(relinked.left)
                context["done"] = (
                    f"手動連携を終了し、{relinked.linked}件を再連携しました（未連携 {left}件）。"
                )
        return
    action = RequestActionForm(request.POST)
    if not action.is_valid():
        context["action_errors"] = action.errors
        return
    data = action.cleaned_data
    with shown_on_screen(context, pending_alerts=False):
        if data["action"] == "inquire":
            context["inquired"] = number_requests.inquire(
                actor=request.user, purpose=data["purpose"], request_id=data["request_id"]
            )
        elif data["action"] == "resend":
            change = number_requests.resend(
                actor=request.user,
                purpose=data["purpose"],
                request_id=data["request_id"],
                reason=data["reason"],
            )
            context["done"] = f"再送しました（異動番号 {change.pk} を本登録しました）。"
        else:
            context["inquired"] = number_requests.enter_number(
                actor=request.user,
                purpose=data["purpose"],
                request_id=data["request_id"],
                number=data["individual_number"],
            )
            context["done"] = "個人番号を記載し、CSと送付先情報に連携しました。"


@clerk_screen
def number_requests_view(request: HttpRequest) -> HttpResponse:
    """個人番号の生成・変更要求一覧 (std 7.1.1.1-c); numbers shown only with 特定個人情報アクセス権限."""
    context: dict[str, Any] = {"form": ListForm(request.POST or None), "mode": number_requests.manual_mode()}
    if request.method == "POST" and ("action" in request.POST or "mode" in request.POST):
        _act(request, context)
        context["form"] = ListForm(
            {"purpose": request.POST.get("purpose", ""), "state": request.POST.get("state", "")}
        )
        context["mode"] = number_requests.manual_mode()
    form = context["form"]
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["requests"] = number_requests.request_list(
                actor=request.user, purpose=form.cleaned_data["purpose"], state=form.cleaned_data["state"]
            )
    return render(request, _TEMPLATE, context)
