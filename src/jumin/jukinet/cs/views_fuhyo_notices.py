"""統合端末 screen 「戸籍附票記載事項通知の受信一覧」 (std 7.1.1.1-e; docs/jukinet.md Flow 13).

Thin: a form, one service call of ``fuhyo_notice_inbox``, a template. Everything travels by POST: the
notice's id is the table's opaque key, no person item is ever in a URL.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from jumin.accounts.forms import PurposeForm
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import fuhyo_notice_inbox as inbox
from jumin.jukinet.cs.views import _render, cs_screen

TEMPLATE = "jukinet_cs/fuhyo_notices.html"
_DATE = forms.DateInput(attrs={"type": "date"})


class InboxFilterForm(PurposeForm):
    status = forms.ChoiceField(
        label="処理状況",
        choices=[("", "すべて"), *[(s.value, s.value) for s in inbox.NoticeStatus]],
        required=False,
        initial=inbox.NoticeStatus.UNPROCESSED.value,
    )
    received_from = forms.DateField(label="受信日（から）", widget=_DATE, required=False)
    received_to = forms.DateField(label="受信日（まで）", widget=_DATE, required=False)

    def conditions(self) -> inbox.InboxFilter:
        """The service's filter from the cleaned form."""
        data = self.cleaned_data
        return inbox.InboxFilter(
            status=inbox.NoticeStatus(data["status"]) if data["status"] else None,
            received_from=data["received_from"],
            received_to=data["received_to"],
        )


class NoticeForm(forms.Form):
    notice_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(label="処理内容（任意、200文字以内）", max_length=400, required=False)


@require_http_methods(["GET", "POST"])
@cs_screen
def fuhyo_notices(request: HttpRequest) -> HttpResponse:
    """受信一覧 (filters), 「詳細」 of one notice, 「処理済みにする」; all by POST."""
    form = InboxFilterForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method != "POST" or not form.is_valid():
        return _render(request, TEMPLATE, context)
    purpose = form.cleaned_data["purpose"]
    chosen = NoticeForm(request.POST)
    try:
        if ("show" in request.POST or "process" in request.POST) and chosen.is_valid():
            notice_id = chosen.cleaned_data["notice_id"]
            if "process" in request.POST:
                inbox.mark_processed(
                    actor=request.user, purpose=purpose, notice_id=notice_id, note=chosen.cleaned_data["note"]
                )
                context["processed"] = True
            context["detail"] = inbox.notice_detail(actor=request.user, purpose=purpose, notice_id=notice_id)
        context["listed"] = inbox.inbox(actor=request.user, purpose=purpose, conditions=form.conditions())
    except DomainError as error:
        context["error"] = error
    return _render(request, TEMPLATE, context)
