"""Clerk screen 「電子証明書の失効申請」 (JPKI 署名用・利用者証明用, standard 7.2.5-a).

A clerk records a holder's 失効申請: the person's 宛名番号, which certificate, who applied and why; the
機構 revokes it and the answer is shown. 「記録した失効申請を表示」 lists what was recorded. Thin: a
form, one service call, a template. Everything travels by POST; no personal data in the URL.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.jukinet.common.jpki_revocation import APPLICANTS, CERTIFICATES, MAX_REASON
from jumin.registry import jpki_revocations
from jumin.registry.views_common import ERROR_FIELD, clerk_screen, shown_on_screen

TEMPLATE = "registry/certificate_revocations.html"


class RevocationForm(PurposeForm):
    """One 失効申請 as the clerk types it."""

    atena_number = forms.CharField(label="宛名番号", max_length=20)
    certificate = forms.ChoiceField(label="失効させる電子証明書", choices=list(CERTIFICATES.items()))
    applicant = forms.ChoiceField(label="申請者", choices=list(APPLICANTS.items()))
    reason = forms.CharField(label="失効の理由", max_length=MAX_REASON)


@clerk_screen
def certificate_revocations_view(request: HttpRequest) -> HttpResponse:
    """電子証明書の失効申請: record one (sent to the 機構), or list those recorded."""
    post = request.POST
    context: dict[str, Any] = {"form": RevocationForm(), "list_form": PurposeForm()}
    if request.method == "POST" and "request" in post:
        form = RevocationForm(post)
        context["form"] = form
        if form.is_valid():
            data = form.cleaned_data
            with shown_on_screen(context, form=form, field=ERROR_FIELD, pending_alerts=False):
                context["done"] = jpki_revocations.request_revocation(
                    actor=request.user,
                    purpose=data["purpose"],
                    request=jpki_revocations.RevocationRequest(
                        atena_number=data["atena_number"],
                        certificate=data["certificate"],
                        applicant=data["applicant"],
                        reason=data["reason"],
                    ),
                )
                context["form"] = RevocationForm(initial={"purpose": data["purpose"]})
    elif request.method == "POST":
        list_form = PurposeForm(post)
        context["list_form"] = list_form
        if list_form.is_valid():
            with shown_on_screen(context, pending_alerts=False):
                context["rows"] = jpki_revocations.recent_requests(
                    actor=request.user, purpose=list_form.cleaned_data["purpose"]
                )
    return render(request, TEMPLATE, context)
