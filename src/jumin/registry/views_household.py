"""Clerk screens of 転居 and 世帯変更. Thin: a form, one service call, a template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.registry.forms_household import (
    HouseholdChangeForm,
    MoveWithinForm,
    atena_lines,
    relationship_lines,
)
from jumin.registry.services import Address
from jumin.registry.views_common import DONE_TEMPLATE, clerk_screen, shown_on_screen
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.move_within import MoveWithin, record_move_within


@clerk_screen
def move_within(request: HttpRequest) -> HttpResponse:
    """転居届の入力 (draft). Errors name the field, the reason and the remedy; nothing is half-written."""
    form = MoveWithinForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        move = MoveWithin(
            movers=atena_lines(data["movers"]),
            address=Address(
                address=data["address"],
                katagaki=data["katagaki"],
                postal_code=data["postal_code"],
                address_code=data["address_code"],
            ),
            move_date=data["move_date"],
            notification_date=data["notification_date"],
            household_number=data["household_number"] or None,
            relationships=relationship_lines(data["relationships"]),
        )
        with shown_on_screen(context, pending_alerts=False) as outcome:
            result = record_move_within(actor=request.user, purpose=data["purpose"], move=move)
        if outcome.ok:
            return render(request, DONE_TEMPLATE, {"draft": result})
    return render(request, "registry/move_within.html", context)


@clerk_screen
def household_change(request: HttpRequest) -> HttpResponse:
    """世帯変更届の入力 (世帯主変更, 世帯分離, 世帯合併) as a draft."""
    form = HouseholdChangeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        change = HouseholdChange(
            kind=HouseholdChangeKind(data["kind"]),
            household_number=data["household_number"],
            change_date=data["change_date"],
            notification_date=data["notification_date"],
            relationships=relationship_lines(data["relationships"]),
            members=atena_lines(data["members"]),
            target_household_number=data["target_household_number"] or None,
            de_facto_head=data["de_facto_head"],
        )
        with shown_on_screen(context, pending_alerts=False) as outcome:
            result = record_household_change(actor=request.user, purpose=data["purpose"], change=change)
        if outcome.ok:
            return render(request, DONE_TEMPLATE, {"draft": result})
    return render(request, "registry/household_change.html", context)
