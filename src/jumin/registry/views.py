"""Clerk screens of the registry. Thin: a form, one service or selector call, a template."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.resident import PersonFacts
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import (
    code_pool,
    programs,
    selectors,
    selectors_restrictions,
    services,
    views_member_rows,
    views_returning,
)
from jumin.registry.forms import DecisionForm, LookupForm, MemberFormSet, MoveInForm
from jumin.registry.member_rows import member_facts as member_facts  # re-exported for the other screens
from jumin.registry.views_common import (
    DONE_TEMPLATE,
    acknowledged,
    clerk_screen,
    offer_code_notices,
    offer_move_out_certificates,
    shown_on_screen,
    with_preset_inserted,
)
from jumin.registry.views_common import refused as refused  # re-exported: screens still import it here
from jumin.registry.workflows.unreported_move_in import UnreportedMoveIn


@login_required
def menu(request: HttpRequest) -> HttpResponse:
    """住民記録 menu, with the 住民票コード pool's alert when it is below its level (standard 4.3.1-a)."""
    pool = code_pool.pool_status()
    return render(request, "registry/menu.html", {"pool_alert": pool.message() if pool.low else ""})


@clerk_screen
def lookup(request: HttpRequest) -> HttpResponse:
    """住民票照会: purpose and 宛名番号 by POST, so the number never appears in a URL."""
    form = LookupForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, field="atena_number") as outcome:
            record = selectors.resident_record(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                atena_number=form.cleaned_data["atena_number"],
                acknowledged_alerts=acknowledged(request),
            )
        if outcome.ok:
            # The 「支援」 banner and pop-up, and the support-period alerts (C-37, standard 3.4-e).
            notices = selectors_restrictions.person_notices(record.atena_number)
            # 成年被後見人 only for a holder of its view permission (std 1.1.1-c); audited when shown.
            guardianship = programs.guardianship_on_record(
                actor=request.user, purpose=form.cleaned_data["purpose"], atena_number=record.atena_number
            )
            context = {"record": record, "notices": notices, "guardianship": guardianship}
            return render(request, "registry/record.html", context)
    return render(request, "registry/lookup.html", context)


@login_required
def drafts(request: HttpRequest) -> HttpResponse:
    """確認待ち一覧: drafts entered by others (no names in the list)."""
    return render(
        request, "registry/drafts.html", {"drafts": selectors.drafts_for_review(actor=request.user)}
    )


@clerk_screen
def draft(request: HttpRequest, change_id: int) -> HttpResponse:
    """Review one draft, then commit (本登録) or discard it."""
    form = DecisionForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "change_id": change_id}
    if request.method == "POST" and form.is_valid():
        purpose = form.cleaned_data["purpose"]
        with shown_on_screen(context, form=form):
            if "show" in request.POST:
                context["members"] = selectors.draft_for_review(
                    actor=request.user, purpose=purpose, change_id=change_id
                )
            elif "commit" in request.POST:
                services.commit_change(
                    actor=request.user,
                    purpose=purpose,
                    change_id=change_id,
                    acknowledged_alerts=acknowledged(request),
                )
                context["done"] = "本登録しました。"
                offer_code_notices(context, actor=request.user, change_ids=[change_id], purpose=purpose)
                offer_move_out_certificates(
                    context, actor=request.user, change_ids=[change_id], purpose=purpose
                )
            elif "discard" in request.POST:
                services.discard_change(
                    actor=request.user,
                    purpose=purpose,
                    change_id=change_id,
                    reason=form.cleaned_data["reason"],
                )
                context["done"] = "破棄しました。"
    return render(request, "registry/draft.html", context)


def move_in_from_form(
    data: dict[str, Any], facts: list[PersonFacts], move_in_date: RecordedDate, **extra: Any
) -> services.MoveIn:
    """The MoveIn of a 転入 screen's main form (the ordinary and the 特例転入 screens share it)."""
    return services.MoveIn(
        members=facts,
        address=services.Address(
            address=data["address"], katagaki=data["katagaki"], postal_code=data["postal_code"]
        ),
        move_in_date=move_in_date,
        notification_date=data["notification_date"],
        previous_address=data["previous_address"],
        previous_postal_code=data.get("previous_postal_code") or "",
        household_number=data["household_number"] or None,
        attention_note=data.get("attention_note") or "",
        **extra,
    )


def unreported_from_form(data: dict[str, Any]) -> UnreportedMoveIn | None:
    """The 未届転入 of a 転入 screen's main form, None when 「未届転入」 is not ticked (both 転入 screens)."""
    if not data["unreported"]:
        return None
    return UnreportedMoveIn(data["unreported_address"], data["unreported_moved_on"])


@clerk_screen
def move_in(request: HttpRequest) -> HttpResponse:
    """転入届の入力 (draft). Errors name the field, the reason and the remedy; nothing is half-written.

    「除票から入力」 (再転入, standard 4.1.1.2-b) finds a 除票 and starts the form from it
    (``views_returning``); the draft is entered and reviewed as usual."""
    if request.method == "POST" and views_returning.is_lookup(request):
        return views_returning.lookup_step(request)
    # 一括入力 (standard 4.0.10-a) and 「QRコードから入力」 (10.8-a): rows rebuilt, nothing written.
    if request.method == "POST" and views_member_rows.is_row_action(request):
        return views_member_rows.rows_step(request, views_returning.empty_lookup())
    if request.method == "POST" and "read_qr" in request.POST:
        return views_member_rows.qr_step(request, views_returning.empty_lookup())
    inserted = with_preset_inserted(request)
    if inserted is not None:  # back to the form, the preset in the editable 留意事項, the rows as posted
        shown_again: dict[str, Any] = {
            "form": MoveInForm(initial=inserted.dict()),
            "lookup": views_returning.empty_lookup(),
            **views_member_rows.rearranged(inserted),
        }
        return render(request, "registry/move_in.html", shown_again)
    form = MoveInForm(request.POST or None)
    members = MemberFormSet(request.POST or None)
    context: dict[str, Any] = {
        **views_member_rows.entry_extras(),
        "form": form,
        "members": members,
        "lookup": views_returning.empty_lookup(),
    }
    if request.method == "POST" and form.is_valid() and members.is_valid():
        data = form.cleaned_data
        with shown_on_screen(context, pending_alerts=False) as outcome:
            moved = parse_date_input(
                data["move_in_date"], field_kind=DateFieldKind.BECAME_RESIDENT, field="move_in_date"
            )
            facts = [member_facts(m, i) for i, m in enumerate(members.cleaned_data) if m]
            result = services.record_move_in(
                actor=request.user,
                purpose=data["purpose"],
                move_in=move_in_from_form(
                    data,
                    facts,
                    moved.value,
                    individual_numbers=[m["individual_number"] for m in members.cleaned_data if m],
                    unreported=unreported_from_form(data),
                    former_municipality_code=data["former_municipality_code"],
                    former_municipality_unknown=data["former_municipality_unknown"],
                    returning_atena_numbers=[m["returning_atena_number"] for m in members.cleaned_data if m],
                ),
            )
        if outcome.ok:
            return render(request, DONE_TEMPLATE, {"draft": result})
    return render(request, "registry/move_in.html", context)
