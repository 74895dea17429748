"""Clerk screen of 電子申請 (引越しワンストップ 転出届, standard 7.2.5-a; system.md M8).

The applications received from the national e-application service wait on a list; a clerk examines
one and enters its 転出 as a draft (仮登録, for another clerk to commit) or records that it is not
accepted, with the reason. Thin: a form, one service call, a template. Everything travels by POST;
the 受付番号 is the only thing that names an application.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import e_applications
from jumin.registry.views_common import DONE_TEMPLATE, clerk_screen, shown_on_screen

TEMPLATE = "registry/e_applications.html"


class ApplicationForm(PurposeForm):
    """One application: its 受付番号, and the reason when it is not accepted."""

    receipt_number = forms.CharField(widget=forms.HiddenInput, max_length=32)
    reason = forms.CharField(label="不受理の理由", max_length=200, required=False)


@clerk_screen
def e_applications_view(request: HttpRequest) -> HttpResponse:
    """電子申請（転出届）: list, 仮登録 of one, 不受理 of one."""
    context: dict[str, Any] = {"list_form": PurposeForm()}
    post = request.POST
    purpose = ""
    if request.method == "POST" and ("draft" in post or "refuse" in post):
        chosen = ApplicationForm(post)
        if chosen.is_valid():
            data = chosen.cleaned_data
            purpose = data["purpose"]
            with shown_on_screen(context, pending_alerts=False) as outcome:
                if "draft" in post:
                    draft = e_applications.draft_move_out(
                        actor=request.user, purpose=purpose, receipt_number=data["receipt_number"]
                    )
                else:
                    e_applications.refuse_application(
                        actor=request.user,
                        purpose=purpose,
                        receipt_number=data["receipt_number"],
                        reason=data["reason"],
                    )
                    context["refused"] = data["receipt_number"]
            if outcome.ok and "draft" in post:
                return render(request, DONE_TEMPLATE, {"draft": draft})
    elif request.method == "POST":
        form = PurposeForm(post)
        context["list_form"] = form
        if form.is_valid():
            purpose = form.cleaned_data["purpose"]
    if purpose:
        context.update(purpose=purpose, list_form=PurposeForm(initial={"purpose": purpose}))
        with shown_on_screen(context, pending_alerts=False):
            context["rows"] = e_applications.pending_applications(actor=request.user, purpose=purpose)
    return render(request, TEMPLATE, context)
