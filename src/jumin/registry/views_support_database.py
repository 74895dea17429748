"""Clerk screens of the support database: 加害者, 転送情報 and 加害者照合 (standard 1.1.16-a).

Thin: a form, one service call. Identifiers travel in POST bodies; URLs carry a measure number only.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import support_database, support_forwarding
from jumin.registry.forms_restrictions import split_numbers
from jumin.registry.forms_support import (
    ForwardingForm,
    ForwardingResendForm,
    PerpetratorCheckForm,
    PerpetratorForm,
)
from jumin.registry.views_common import ERROR_FIELD, clerk_screen, shown_on_screen
from jumin.registry.views_restrictions import form_screen


@clerk_screen
def perpetrator(request: HttpRequest, measure_id: int) -> HttpResponse:
    """加害者の登録・修正: a new 加害者, or a new version of one (the old stays as history)."""

    def submit(data: dict[str, Any]) -> str:
        number = support_database.record_perpetrator(
            actor=request.user,
            purpose=data.pop("purpose"),
            measure_id=measure_id,
            perpetrator_no=data.pop("perpetrator_no"),
            entry=support_database.PerpetratorEntry(**data),
        )
        return f"支援措置 {measure_id} の加害者 {number} を記録しました。"

    form = PerpetratorForm(request.POST or None)
    return form_screen(request, form, f"支援措置 {measure_id}：加害者の登録・修正", submit)


@clerk_screen
def forwarding(request: HttpRequest, measure_id: int) -> HttpResponse:
    """転送情報の登録: where the support moved to or came from (municipalities, dates; no address)."""

    def submit(data: dict[str, Any]) -> str:
        row_id = support_database.record_forwarding(
            actor=request.user,
            purpose=data.pop("purpose"),
            measure_id=measure_id,
            entry=support_database.ForwardingEntry(**data),
        )
        return f"支援措置 {measure_id} の転送情報（{row_id}）を記録しました。"

    form = ForwardingForm(request.POST or None)
    return form_screen(request, form, f"支援措置 {measure_id}：転送情報の登録", submit)


@clerk_screen
def forwarding_resend(request: HttpRequest, measure_id: int) -> HttpResponse:
    """転送情報の再送: send a waiting notice once the 転入先 has become a peer (3.4-h)."""

    def submit(data: dict[str, Any]) -> str:
        support_forwarding.resend_forwarding(
            actor=request.user,
            purpose=data["purpose"],
            measure_id=measure_id,
            forwarding_id=data["forwarding_id"],
        )
        return f"支援措置 {measure_id} の転送情報（{data['forwarding_id']}）を転入先へ送信しました。"

    form = ForwardingResendForm(
        request.POST or None, initial={"forwarding_id": request.GET.get("forwarding_id")}
    )
    return form_screen(request, form, f"支援措置 {measure_id}：転送情報の再送", submit)


@clerk_screen
def perpetrator_check(request: HttpRequest) -> HttpResponse:
    """加害者照合: is the requester the recorded 加害者 of a measure protecting the persons asked about?"""

    def submit(data: dict[str, Any]) -> str:
        result = support_database.perpetrator_check(
            actor=request.user,
            purpose=data["purpose"],
            requester_atena_number=data["requester_atena_number"],
            atena_numbers=split_numbers(data["atena_numbers"]),
        )
        if not result.concerns_protected_person:
            return "この請求者は、支援措置の加害者として記録されていません。"
        numbers = "、".join(str(n) for n in result.measure_ids)
        return (
            f"注意：この請求者は支援措置（番号 {numbers}）の加害者として記録されています。"
            "交付・閲覧は行わず、担当者に確認してください。"
        )

    form = PerpetratorCheckForm(request.POST or None)
    return form_screen(request, form, "加害者照合", submit)


@clerk_screen
def incoming(request: HttpRequest) -> HttpResponse:
    """転出元からの支援措置の連絡: notices received from former municipalities (3.4-h); view permission."""
    form = PurposeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, field=ERROR_FIELD, pending_alerts=False):
            context["notices"] = support_database.incoming_notices(
                actor=request.user, purpose=form.cleaned_data["purpose"]
            )
    return render(request, "registry/restrictions/support_incoming.html", context)
