"""Clerk screen of the CS renewal-target match and the 居所 送付先 (std 7.1.1.4-a). Thin: a form, one
service call (the same ones ``api_renewal_targets`` calls, so authorisation and audit are theirs), a
template. Everything is posted: no person's identifier travels in a URL."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import renewal_targets, sending_places
from jumin.registry.views_common import clerk_screen, shown_on_screen

_TEMPLATE = "registry/renewal_targets.html"


class MatchForm(PurposeForm):
    expiring_by = forms.DateField(
        label="有効期限（この日まで）", widget=forms.DateInput(attrs={"type": "date"})
    )


class PlaceForm(PurposeForm):
    """「居所を記録」: all empty ends the 居所 (the notices go to the 住所 again)."""

    atena_number = forms.CharField(label="宛名番号", max_length=20)
    postal_code = forms.CharField(label="居所の郵便番号", max_length=10, required=False)
    address = forms.CharField(label="居所", max_length=200, required=False)
    addressee = forms.CharField(label="宛名（様方など）", max_length=100, required=False)


@clerk_screen
def renewal_targets_view(request: HttpRequest) -> HttpResponse:
    """更新対象者一覧の突合 (CS list ↔ registry) and 居所 recording on one screen."""
    posted = request.POST if request.method == "POST" else None
    context: dict[str, Any] = {
        "form": MatchForm(posted if posted and "expiring_by" in posted else None),
        "place_form": PlaceForm(posted if posted and "atena_number" in posted else None),
    }
    place_form = context["place_form"]
    if posted and "atena_number" in posted and place_form.is_valid():
        data = place_form.cleaned_data
        with shown_on_screen(context, form=place_form, pending_alerts=False):
            place = sending_places.record_sending_place(
                actor=request.user,
                purpose=data["purpose"],
                atena_number=data["atena_number"],
                postal_code=data["postal_code"],
                address=data["address"],
                addressee=data["addressee"],
            )
            context["done"] = "居所を記録しました。" if place else "居所の記録を終了しました（住所へ送付）。"
    form = context["form"]
    if posted and "expiring_by" in posted and form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["lines"] = renewal_targets.match_renewal_targets(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                expiring_by=form.cleaned_data["expiring_by"],
            )
    return render(request, _TEMPLATE, context)
