"""Clerk screens of 転居, 世帯変更 and 世帯照会. Thin: a form, one service call, a template."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import selectors_household
from jumin.registry.forms_corrections import event_basis
from jumin.registry.forms_household import (
    HouseholdChangeForm,
    HouseholdInquiryForm,
    MoveWithinForm,
    atena_lines,
    proof_lines,
    relationship_lines,
)
from jumin.registry.services import Address
from jumin.registry.views_common import (
    DONE_TEMPLATE,
    acknowledged,
    clerk_screen,
    preset_inserted_screen,
    shown_on_screen,
)
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.move_within import MoveWithin, record_move_within


@clerk_screen
def move_within(request: HttpRequest) -> HttpResponse:
    """転居届の入力 (draft). Errors name the field, the reason and the remedy; nothing is half-written."""
    inserted = preset_inserted_screen(request, MoveWithinForm, "registry/move_within.html")
    if inserted is not None:
        return inserted
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
            ex_officio=event_basis(data),
            relationship_proofs=proof_lines(data["relationship_proofs"]),
            attention_note=data["attention_note"],
        )
        with shown_on_screen(context, pending_alerts=False) as outcome:
            result = record_move_within(actor=request.user, purpose=data["purpose"], move=move)
        if outcome.ok:
            return render(request, DONE_TEMPLATE, {"draft": result})
    return render(request, "registry/move_within.html", context)


@clerk_screen
def household_change(request: HttpRequest) -> HttpResponse:
    """世帯変更届の入力 (世帯主変更, 世帯分離, 世帯合併) as a draft."""
    inserted = preset_inserted_screen(request, HouseholdChangeForm, "registry/household_change.html")
    if inserted is not None:
        return inserted
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
            relationship_proofs=proof_lines(data["relationship_proofs"]),
            members=atena_lines(data["members"]),
            target_household_number=data["target_household_number"] or None,
            ex_officio=data["ex_officio"],
            de_facto_head=data["de_facto_head"],
            ex_officio_basis=event_basis(data),
            attention_note=data["attention_note"],
        )
        with shown_on_screen(context, pending_alerts=False) as outcome:
            result = record_household_change(actor=request.user, purpose=data["purpose"], change=change)
        if outcome.ok:
            return render(request, DONE_TEMPLATE, {"draft": result})
    return render(request, "registry/household_change.html", context)


@clerk_screen
def household_inquiry(request: HttpRequest) -> HttpResponse:
    """世帯照会: the members in order, then the former members with the date and reason they left (3.3-a).

    The 世帯番号 comes by POST, never in a URL; the read is audited naming everyone listed. ``prefill``
    (the 住民票照会 screen's button) opens the form with the 世帯番号, without reading anything."""
    prefill = request.POST.get("prefill") == "1"
    form = HouseholdInquiryForm(
        None if prefill else (request.POST or None), initial=request.POST if prefill else None
    )
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and not prefill and form.is_valid():
        with shown_on_screen(context, form=form, field="household_number") as outcome:
            household = selectors_household.household_inquiry(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                household_number=form.cleaned_data["household_number"],
                acknowledged_alerts=acknowledged(request),
            )
        if outcome.ok:
            return render(request, "registry/household/inquiry.html", {"household": household})
    return render(request, "registry/inquiry/person_form.html", context | {"title": "世帯照会"})


@clerk_screen
def headless_households(request: HttpRequest) -> HttpResponse:
    """世帯主変更依頼 対象者一覧: households without a 世帯主 and the member each notice goes to (4.0.5-a)."""
    form = PurposeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["households"] = selectors_household.headless_households(
                actor=request.user, purpose=form.cleaned_data["purpose"]
            )
    return render(request, "registry/household/headless.html", context)
