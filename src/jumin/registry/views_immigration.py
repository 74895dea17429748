"""Clerk screens of the exchange with 出入国在留管理庁 (standard 4.5.6-a/b, 4.5.7-a/b).

* 受信した法30条の50通知: receive a file (automatic import where allowed), list the stored notices by
  state, show a pending notice's 確認票 and import it by hand (alerts as checkboxes).
* 市町村通知: the target list by state (with each send's channel), the notices due sent online
  through the 入管連携端末 (M10) or as a file (downloaded for the terminal or media), 再送 of chosen
  notices either way, and the agency's results file.

Thin: a form, one service call, a template. Everything travels by POST; notice files and personal
data never appear in URLs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import immigration_online, immigration_sending
from jumin.registry.forms_immigration import (
    OutgoingListForm,
    ReceivedListForm,
    ReceivedNoticeForm,
    ReceiveForm,
    ResultsForm,
)
from jumin.registry.views_common import DONE_TEMPLATE, acknowledged, clerk_screen, shown_on_screen
from jumin.registry.workflows import immigration_receipts

RECEIVED_TEMPLATE = "registry/foreign/received_notices.html"
OUTGOING_TEMPLATE = "registry/foreign/municipality_notices.html"


def _list(
    request: HttpRequest, form: PurposeForm, context: dict[str, Any], listed: Callable[..., Any]
) -> None:
    """「一覧を表示」: the rows of the state chosen on ``form`` (purpose and state kept for the buttons)."""
    context["list_form"] = form
    if form.is_valid():
        data = form.cleaned_data
        context.update(purpose=data["purpose"], state=data["state"])
        with shown_on_screen(context, pending_alerts=False):
            context["rows"] = listed(actor=request.user, purpose=data["purpose"], state=data["state"])


@clerk_screen
def received_view(request: HttpRequest) -> HttpResponse:
    """受信した法30条の50通知: receive, list, 確認票, manual import."""
    context: dict[str, Any] = {
        "form": ReceiveForm(initial={"auto_import": True}),
        "list_form": ReceivedListForm(),
    }
    post = request.POST
    if request.method == "POST" and "receive" in post:
        form = ReceiveForm(post, request.FILES)
        context["form"] = form
        if form.is_valid():
            data = form.cleaned_data
            with shown_on_screen(context, pending_alerts=False):
                context["report"] = immigration_receipts.receive_immigration_notices(
                    actor=request.user,
                    purpose=data["purpose"],
                    content=data["notice_file"],
                    auto_import=data["auto_import"],
                )
    elif request.method == "POST" and ("sheet" in post or "import" in post):
        chosen = ReceivedNoticeForm(post)
        if chosen.is_valid():
            data = chosen.cleaned_data
            context.update(purpose=data["purpose"], notice_id=data["notice_id"])
            if "import" in post:
                with shown_on_screen(context, pending_alerts=False) as outcome:
                    draft = immigration_receipts.import_received_notice(
                        actor=request.user,
                        purpose=data["purpose"],
                        notice_id=data["notice_id"],
                        acknowledged_alerts=acknowledged(request),
                    )
                if outcome.ok:
                    return render(request, DONE_TEMPLATE, {"draft": draft})
            with shown_on_screen(context, pending_alerts=False):
                context["sheet"] = immigration_receipts.received_notice_sheet(
                    actor=request.user, purpose=data["purpose"], notice_id=data["notice_id"]
                )
    elif request.method == "POST":
        _list(request, ReceivedListForm(post), context, immigration_receipts.received_notices)
    return render(request, RECEIVED_TEMPLATE, context)


def _download(batch: immigration_sending.NoticeFile) -> HttpResponse:
    response = HttpResponse(batch.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="municipality-notices-{batch.batch_no:06d}.csv"'
    return response


def _chosen(request: HttpRequest) -> list[int]:
    return [int(n) for n in request.POST.getlist("sequence_nos") if n.isdigit()]


def _send_online(request: HttpRequest, context: dict[str, Any]) -> None:
    """「入管連携端末へ送信」 / 「選んだ通知を端末へ再送」: the same notices as the file, online (M10)."""
    form = PurposeForm(request.POST)
    if not form.is_valid():
        context["error_text"] = "利用目的を選んでください。"
        return
    purpose = form.cleaned_data["purpose"]
    with shown_on_screen(context, pending_alerts=False):
        if "send_online" in request.POST:
            context["online_sent"] = immigration_online.send_due_online(actor=request.user, purpose=purpose)
        else:
            context["online_sent"] = immigration_online.resend_online(
                actor=request.user, purpose=purpose, sequence_nos=_chosen(request)
            )


@clerk_screen
def outgoing_view(request: HttpRequest) -> HttpResponse:
    """市町村通知: target list, the file of the notices due, 再送, results."""
    context: dict[str, Any] = {"list_form": OutgoingListForm(), "results_form": ResultsForm()}
    post = request.POST
    if request.method == "POST" and ("send_online" in post or "resend_online" in post):
        _send_online(request, context)
    elif request.method == "POST" and ("export" in post or "resend" in post):
        form = PurposeForm(post)
        if form.is_valid():
            purpose = form.cleaned_data["purpose"]
            with shown_on_screen(context, pending_alerts=False) as outcome:
                if "export" in post:
                    batch = immigration_sending.export_due(actor=request.user, purpose=purpose)
                else:
                    batch = immigration_sending.resend(
                        actor=request.user, purpose=purpose, sequence_nos=_chosen(request)
                    )
            if outcome.ok:
                return _download(batch)
        else:
            context["error_text"] = "利用目的を選んでください。"
    elif request.method == "POST" and "results" in post:
        results = ResultsForm(post, request.FILES)
        context["results_form"] = results
        if results.is_valid():
            with shown_on_screen(context, pending_alerts=False):
                context["result_report"] = immigration_sending.import_results(
                    actor=request.user,
                    purpose=results.cleaned_data["purpose"],
                    content=results.cleaned_data["results_file"],
                )
    elif request.method == "POST":
        _list(request, OutgoingListForm(post), context, immigration_sending.municipality_notices)
    return render(request, OUTGOING_TEMPLATE, context)
