"""Staff screen of the 宛名 delivery: status, what is held and its remedy, 「今すぐ連携」. Thin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.atena import selectors, services
from jumin.registry.views_common import clerk_screen


@clerk_screen
def status_view(request: HttpRequest) -> HttpResponse:
    """宛名連携の状況: shown on a POST with a purpose; 「今すぐ連携」 queues a round first."""
    form = PurposeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        purpose = form.cleaned_data["purpose"]
        if "sync" in request.POST:
            services.request_sync(actor=request.user, purpose=purpose)
            messages.success(request, "連携を受け付けました。")
        context["status"] = selectors.sync_status(actor=request.user, purpose=purpose)
    return render(request, "atena/status.html", context)
