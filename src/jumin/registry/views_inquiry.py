"""Clerk inquiry screens once a person is identified: 異動履歴, 文字の拡大表示, メモ, 統合記載欄
(standard 2.2.1, 2.2.3, 1.1.15, 1.1.14).

Purpose and 宛名番号 arrive by POST (never in a URL); the reads are authorised and audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from jumin.registry import combined_notes, inquiry, memos, remarks
from jumin.registry.forms_notes import NotesForm
from jumin.registry.forms_search import MemoForm, PersonForm
from jumin.registry.views_common import ERROR_FIELD, acknowledged, clerk_screen, shown_on_screen

# A read of one person: (actor, purpose, atena_number, acknowledged_alerts) → the page's data.
PersonRead = Callable[..., Any]


def _person_inquiry(
    request: HttpRequest, title: str, read: PersonRead, template: str, key: str
) -> HttpResponse:
    """The purpose/宛名番号 form; on a valid POST, ``read``'s result as ``key`` on ``template``."""
    form = PersonForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "title": title}
    if request.method == "POST" and form.is_valid():
        atena_number = form.cleaned_data["atena_number"]
        with shown_on_screen(context, form=form, field="atena_number") as outcome:
            result = read(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                atena_number=atena_number,
                acknowledged_alerts=acknowledged(request),
            )
        if outcome.ok:
            return render(request, template, {key: result, "atena_number": atena_number})
    return render(request, "registry/inquiry/person_form.html", context)


@clerk_screen
def timeline_view(request: HttpRequest) -> HttpResponse:
    """異動履歴の照会 (standard 2.2.1-a), 旧氏・通称の履歴 included."""
    return _person_inquiry(
        request, "異動履歴の照会", inquiry.resident_timeline, "registry/inquiry/timeline.html", "timeline"
    )


@clerk_screen
def glyphs_view(request: HttpRequest) -> HttpResponse:
    """文字の拡大表示 (standard 2.2.3-a): each character of each name with its code points (IVS included)."""
    return _person_inquiry(
        request, "文字の拡大表示", inquiry.resident_glyphs, "registry/inquiry/glyphs.html", "names"
    )


def _person_form(form_class: type[PersonForm], request: HttpRequest) -> Any:
    """The screen's form: from the 住民票照会 screen (「prefill」) the person chosen and the purpose not yet,
    else the posted form (or an empty one)."""
    if "prefill" in request.POST:
        return form_class(initial={"atena_number": request.POST.get("atena_number", "")})
    return form_class(request.POST or None)


@clerk_screen
def memos_view(request: HttpRequest) -> HttpResponse:
    """メモ (standard 1.1.15-a): a person's memos, and adding, changing or deleting one. Never printed."""
    form = _person_form(MemoForm, request)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        actor, purpose, atena_number = request.user, data["purpose"], data["atena_number"]
        with shown_on_screen(context, form=form, field=ERROR_FIELD) as outcome:
            if data["action"] == "add":
                memos.add_memo(actor=actor, purpose=purpose, atena_number=atena_number, text=data["text"])
            elif data["action"] == "edit":
                memos.edit_memo(actor=actor, purpose=purpose, memo_id=data["memo_id"] or 0, text=data["text"])
            elif data["action"] == "delete":
                memos.delete_memo(actor=actor, purpose=purpose, memo_id=data["memo_id"] or 0)
        with shown_on_screen(context, form=form, field="atena_number"):
            context["memos"] = memos.memos_of(
                actor=actor,
                purpose=purpose,
                atena_number=atena_number,
                with_history=data["with_history"],
                acknowledged_alerts=acknowledged(request),
            )
        context.update(purpose=purpose, atena_number=atena_number, done=outcome.ok and data["action"])
    return render(request, "registry/inquiry/memos.html", context)


@clerk_screen
def notes_view(request: HttpRequest) -> HttpResponse:
    """統合記載欄 (standard 1.1.14-a): types A, B and C of a person, printable; adding or ending a remark."""
    form = _person_form(NotesForm, request)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        actor, purpose, atena_number = request.user, data["purpose"], data["atena_number"]
        day = data["recorded_on"] or timezone.localdate()
        with shown_on_screen(context, form=form, field=ERROR_FIELD) as outcome:
            if data["action"] == "add":
                remarks.add_remark(
                    actor=actor,
                    purpose=purpose,
                    atena_number=atena_number,
                    text=data["text"],
                    reason=data["reason"],
                    recorded_on=day,
                )
            elif data["action"] == "withdraw":
                remarks.withdraw_remark(
                    actor=actor,
                    purpose=purpose,
                    remark_id=data["remark_id"] or 0,
                    reason=data["reason"],
                    withdrawn_on=day,
                )
        with shown_on_screen(context, form=form, field="atena_number"):
            context["notes"] = combined_notes.combined_notes(
                actor=actor,
                purpose=purpose,
                atena_number=atena_number,
                acknowledged_alerts=acknowledged(request),
            )
        context.update(purpose=purpose, atena_number=atena_number, done=outcome.ok and data["action"])
    return render(request, "registry/inquiry/notes.html", context)
