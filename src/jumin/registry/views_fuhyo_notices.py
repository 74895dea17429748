"""「戸籍附票記載事項通知」 screen (std 7.1.1.1-e, docs/jukinet.md Flow 13): the lists the API and the CSV
already give (本籍地がこの市町村, 送信待ち, 送信済み) and the re-send of a waiting notice.

Thin: both actions are POSTs (personal data never in a URL) calling ``registry.fuhyo_notices``, which
authorises and audits (the list as one entry naming every person shown, each send as its own entry).
htmx swaps the result region only; without JavaScript the same forms post the whole page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import fuhyo_notices
from jumin.registry.views_common import clerk_screen, shown_on_screen

_TEMPLATE = "registry/fuhyo_notices.html"
_STATE_LABELS = {
    "waiting": "送信待ち（本籍地不明・連携先なし）",
    "sent": "送信済み（CS経由）",
    "local": "本籍地がこの市町村",
}


class FuhyoNoticeListForm(PurposeForm):
    """Which list to show."""

    state = forms.ChoiceField(
        label="一覧", choices=[(state, _STATE_LABELS[state]) for state in ("waiting", "sent", "local")]
    )


class FuhyoNoticeSendForm(PurposeForm):
    """「再送信」 of one waiting notice, with the 本籍地 the clerk found (empty: the one stored)."""

    notice_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    destination_code = forms.CharField(
        label="本籍地の市町村コード（6桁）",
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


@clerk_screen
def fuhyo_notices_view(request: HttpRequest) -> HttpResponse:
    """The notice lists (``resident:view``) and the re-send of a waiting one (``resident:record``)."""
    sending = request.method == "POST" and "notice_id" in request.POST
    list_form = FuhyoNoticeListForm(None if sending else (request.POST or None), initial={"state": "waiting"})
    context: dict[str, Any] = {"form": list_form}
    if sending:
        send_form = FuhyoNoticeSendForm(request.POST)
        context["send_form"] = send_form
        if send_form.is_valid():
            purpose = send_form.cleaned_data["purpose"]
            with shown_on_screen(context):
                context["sent"] = fuhyo_notices.send_waiting(
                    actor=request.user,
                    purpose=purpose,
                    notice_id=send_form.cleaned_data["notice_id"],
                    destination_code=send_form.cleaned_data["destination_code"],
                )
            list_form = FuhyoNoticeListForm({"purpose": purpose, "state": "waiting"})
            context["form"] = list_form
    if request.method == "POST" and list_form.is_valid():
        state = list_form.cleaned_data["state"]
        with shown_on_screen(context):
            context["notices"] = fuhyo_notices.notices(
                actor=request.user, purpose=list_form.cleaned_data["purpose"], state=state
            )
        context["state"] = state
        context["state_label"] = _STATE_LABELS[state]
        context["purpose"] = list_form.cleaned_data["purpose"]
    template = "registry/_fuhyo_notice_results.html" if request.headers.get("HX-Request") else _TEMPLATE
    return render(request, template, context)
