"""「転入予定一覧」 (引越しワンストップの転入予定連絡, standard 7.2.5-a): who plans to move in, so a clerk can
prepare before the visit. Thin: the duty by POST, one service call, a template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import move_in_plans
from jumin.registry.views_common import clerk_screen, shown_on_screen


@clerk_screen
def move_in_plans_view(request: HttpRequest) -> HttpResponse:
    """転入予定一覧: the waiting 転入予定連絡 (POST with the duty)."""
    form = PurposeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["plans"] = move_in_plans.waiting_plans(
                actor=request.user, purpose=form.cleaned_data["purpose"]
            )
    return render(request, "registry/move_in_plans.html", context)
