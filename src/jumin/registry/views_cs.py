"""Registry screens about the 市町村CS's 本人確認情報 file: the registry ↔ CS comparison (std 7.1.1.2-a)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import cs_comparison
from jumin.registry.views_common import clerk_screen, shown_on_screen


@clerk_screen
def cs_comparison_view(request: HttpRequest) -> HttpResponse:
    """「CSとの照合（本人確認情報）」: what ``jumin cs compare-registry`` prints (``resident:batch:run``)."""
    form = PurposeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, pending_alerts=False):
            context["result"] = cs_comparison.compare_with_cs(
                actor=request.user, purpose=form.cleaned_data["purpose"]
            )
        context["shown_limit"] = cs_comparison.SHOWN
    return render(request, "registry/cs_comparison.html", context)
