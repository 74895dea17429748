"""「コンビニ交付の集計表と交付履歴の照合」: the 証明書交付センター's 日計表・月計表 beside our 交付履歴."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.forms import PurposeForm
from jumin.certificates import kiosk_tallies
from jumin.certificates.views import refused
from jumin.domain.errors import DomainError


class KioskTallyForm(PurposeForm):
    """The duty, and the tally to reconcile (none: the list only)."""

    tally_id = forms.IntegerField(label="集計表", required=False, min_value=1, widget=forms.HiddenInput)


@login_required
def kiosk_tallies_view(request: HttpRequest) -> HttpResponse:
    """POST: the tallies received; with a tally, its reconciliation (``format=csv``: as a CSV file)."""
    form = KioskTallyForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "period_labels": kiosk_tallies.PERIOD_LABELS}
    if request.method == "POST" and form.is_valid():
        purpose, tally_id = form.cleaned_data["purpose"], form.cleaned_data["tally_id"]
        try:
            if tally_id:
                result = kiosk_tallies.reconcile(actor=request.user, purpose=purpose, tally_id=tally_id)
                if request.POST.get("format") == "csv":
                    response = HttpResponse(
                        kiosk_tallies.reconciliation_csv(result), content_type="text/csv; charset=utf-8"
                    )
                    name = f"kiosk-tally-{result.tally.period}-{result.tally.first_day:%Y%m%d}.csv"
                    response["Content-Disposition"] = f'attachment; filename="{name}"'
                    return response
                context["result"] = result
            context["tallies"] = kiosk_tallies.received_tallies(actor=request.user, purpose=purpose)
            context["purpose"] = purpose
        except AccessRefused as error:
            return refused(request, error)
        except DomainError as error:
            context["error"] = error
    return render(request, "certificates/kiosk_tallies.html", context)
