"""Clerk screens of 異動の取消し and the 職権 actions. Thin: a form, one service or selector call, a template.

Everything travels by POST (宛名番号 and change numbers never appear in URLs). An alert comes back as
a checkbox per alert; ticking it and sending again is the clerk's audited acknowledgment.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import selectors_corrections
from jumin.registry.forms_corrections import (
    CancellationForm,
    ExOfficioCorrectionForm,
    ExOfficioRecordingForm,
    ExOfficioRemovalForm,
    RemovedRecordNoteForm,
    correction_items,
)
from jumin.registry.forms_household import atena_lines
from jumin.registry.honseki_candidates import members_sharing_honseki
from jumin.registry.removed_record_notes import note_text_for
from jumin.registry.services import Address, DraftRecorded
from jumin.registry.views import member_facts
from jumin.registry.views_common import DONE_TEMPLATE as DONE_TEMPLATE  # re-exported for older screens
from jumin.registry.views_common import ERROR_FIELD, acknowledged, clerk_screen, enter_draft, shown_on_screen
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.ex_officio import (
    ExOfficioAction,
    ExOfficioCorrection,
    ExOfficioRecording,
    ExOfficioRemoval,
    MinorCase,
    RecordBook,
    record_ex_officio_correction,
    record_ex_officio_recording,
    record_ex_officio_removal,
)
from jumin.registry.workflows.removed_record_note import RemovedRecordCorrection, record_removed_record_note

# The names screens imported from here before jumin.registry.views_common; new screens use that module.
_acknowledged = acknowledged
_enter = enter_draft


def _book(data: dict[str, Any]) -> RecordBook:
    return RecordBook(
        legal_basis=data["legal_basis"],
        found_on=data["found_on"],
        grounds=data["grounds"],
        findings=data["findings"],
        notified_on=data.get("notified_on"),
        applied_on=data.get("applied_on"),
    )


@clerk_screen
def cancellation(request: HttpRequest) -> HttpResponse:
    """異動の取消し: show a person's history (by POST), choose a change, enter the cancellation."""
    form = CancellationForm(request.POST or None)
    if request.method == "POST" and "show" in request.POST and form.is_valid():
        context: dict[str, Any] = {"form": form}
        with shown_on_screen(context, pending_alerts=False):
            context["history"] = selectors_corrections.change_history(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                atena_number=form.cleaned_data["atena_number"],
            )
        return render(request, "registry/corrections/cancellation.html", context)

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return record_cancellation(
            actor=request.user,
            purpose=data["purpose"],
            cancellation=Cancellation(
                change_id=data["change_id"] or 0,
                reason=data["reason"],
                atena_numbers=atena_lines(data["movers"]),
                on_application=data["on_application"],
                application_date=data["application_date"],
                acknowledged_alerts=acknowledged(request),
            ),
        )

    return enter_draft(request, form, "registry/corrections/cancellation.html", submit)


@clerk_screen
def ex_officio_removal(request: HttpRequest) -> HttpResponse:
    """職権消除の入力 (draft) with the 職権記録書."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return record_ex_officio_removal(
            actor=request.user,
            purpose=data["purpose"],
            removal=ExOfficioRemoval(
                atena_numbers=atena_lines(data["atena_numbers"]),
                removal_date=data["removal_date"],
                record=_book(data),
                notice_required=data["notice_required"],
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    form = ExOfficioRemovalForm(request.POST or None)
    return enter_draft(request, form, "registry/corrections/removal.html", submit)


@clerk_screen
def ex_officio_correction(request: HttpRequest) -> HttpResponse:
    """職権修正・軽微な修正・誤記修正の入力 (draft) with the 職権記録書."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return record_ex_officio_correction(
            actor=request.user,
            purpose=data["purpose"],
            correction=ExOfficioCorrection(
                action=ExOfficioAction(data["action"]),
                atena_numbers=atena_lines(data["atena_numbers"]),
                items=correction_items(data["items"]),
                change_date=data["change_date"],
                record=_book(data),
                minor_case=MinorCase(data["minor_case"]) if data["minor_case"] else None,
                notice_required=data["notice_required"],
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    if request.method == "POST" and SAME_HONSEKI in request.POST:
        return _with_same_honseki(request)
    form = ExOfficioCorrectionForm(request.POST or None)
    return enter_draft(request, form, "registry/corrections/correction.html", submit)


SAME_HONSEKI = "add_same_honseki"


def _with_same_honseki(request: HttpRequest) -> HttpResponse:
    """「同じ本籍の世帯員を対象にする」 (standard 4.0.6-a): the form shown again (unvalidated) with the first
    person's household members holding the identical 本籍 as the persons to correct."""
    posted = request.POST.dict()
    context: dict[str, Any] = {}
    with shown_on_screen(context) as outcome:
        numbers = members_sharing_honseki(
            actor=request.user,
            purpose=posted.get("purpose", ""),
            atena_number=next(iter(atena_lines(posted.get("atena_numbers", ""))), ""),
        )
    if outcome.ok:
        posted["atena_numbers"] = "\n".join(numbers)
        context["same_honseki_note"] = (
            f"同じ本籍の{len(numbers)}人を対象にしました。修正する項目を確認してください。"
        )
    context["form"] = ExOfficioCorrectionForm(initial=posted)
    return render(request, "registry/corrections/correction.html", context)


@clerk_screen
def ex_officio_recording(request: HttpRequest) -> HttpResponse:
    """職権記載の入力 (draft, one person) with the 職権記録書."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        address_set = parse_date_input(
            data["address_set_date"], field_kind=DateFieldKind.ADDRESS_SET, field="address_set_date"
        )
        return record_ex_officio_recording(
            actor=request.user,
            purpose=data["purpose"],
            recording=ExOfficioRecording(
                members=[member_facts(data, 0)],
                address=Address(
                    address=data["address"], katagaki=data["katagaki"], postal_code=data["postal_code"]
                ),
                address_set_date=address_set.value,
                previous_address=data["previous_address"],
                household_number=data["household_number"] or None,
                record=_book(data),
                notice_required=data["notice_required"],
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    form = ExOfficioRecordingForm(request.POST or None)
    return enter_draft(request, form, "registry/corrections/recording.html", submit)


@clerk_screen
def removed_record_note(request: HttpRequest) -> HttpResponse:
    """除票の誤記訂正 (standard 1.1.5-c): the 誤記 and its correct entry recorded as a type-B note."""
    form = RemovedRecordNoteForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        with shown_on_screen(context, form=form, field=ERROR_FIELD):
            note = record_removed_record_note(
                actor=request.user,
                purpose=data["purpose"],
                correction=RemovedRecordCorrection(
                    atena_number=data["atena_number"],
                    item=data["item"],
                    correct_text=data["correct_text"],
                    reason=data["reason"],
                ),
            )
            context["note"] = note_text_for(note, request.user)
    return render(request, "registry/corrections/removed_record_note.html", context)
