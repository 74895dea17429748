"""Clerk screens of program flags, 個人番号カード status and the daily batch (docs/workflows/
programs.md, cards.md, daily-batch.md). Thin: a form, one service or selector call, a template.

Identifiers of people travel only in POST bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.registry import batch, cards, programs, removed_archive, removed_archive_purge
from jumin.registry.forms_programs import (
    CardEventForm,
    CardStatusForm,
    DailyBatchForm,
    ProgramPersonForm,
    ProgramUpdateForm,
)
from jumin.registry.views_common import ERROR_FIELD, clerk_screen, shown_on_screen

Submit = Callable[[dict[str, Any]], Any]


def _screen(
    request: HttpRequest, form: forms.Form, template: str, title: str, submit: Submit, key: str
) -> HttpResponse:
    """Show ``form``; on a valid POST put ``submit``'s answer in ``context[key]``, or the error by field."""
    context: dict[str, Any] = {"form": form, "title": title}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, field=ERROR_FIELD) as outcome:
            answer = submit(dict(form.cleaned_data))
        if outcome.ok:
            context[key] = answer
    return render(request, template, context)


@clerk_screen
def program_status(request: HttpRequest) -> HttpResponse:
    """資格の照会: the current program flags of one person and their history (audited)."""

    def submit(data: dict[str, Any]) -> programs.ProgramStatus:
        return programs.program_status(
            actor=request.user, purpose=data["purpose"], atena_number=data["atena_number"]
        )

    form = ProgramPersonForm(request.POST or None)
    return _screen(
        request, form, "registry/programs/status.html", "資格（国保・年金等）の照会", submit, "view"
    )


@clerk_screen
def program_record(request: HttpRequest) -> HttpResponse:
    """資格の記録: the department that owns the program sets or clears its flag (history kept)."""

    def submit(data: dict[str, Any]) -> str:
        programs.record_program(
            actor=request.user,
            purpose=data["purpose"],
            update=programs.ProgramUpdate(
                atena_number=data["atena_number"],
                program=programs.Program(data["program"]),
                enrolled=data["enrolled"],
                acquired_on=data["acquired_on"],
                lost_on=data["lost_on"],
                basic_pension_number=data["basic_pension_number"],
                pension_kind=data["pension_kind"],
                first_month=data["first_month"],
                last_month=data["last_month"],
                reason=data["reason"],
            ),
        )
        return "記録しました。"

    form = ProgramUpdateForm(request.POST or None)
    return _screen(request, form, "registry/programs/form.html", "資格（国保・年金等）の記録", submit, "done")


@clerk_screen
def card_status(request: HttpRequest) -> HttpResponse:
    """カードの状況の照会 (個人番号カード, 住基カード); the 個人番号 only when asked and allowed (audited)."""

    def submit(data: dict[str, Any]) -> cards.CardStatusView:
        return cards.card_status(
            actor=request.user,
            purpose=data["purpose"],
            atena_number=data["atena_number"],
            with_individual_number=data["with_individual_number"],
            fetch_serial=data["fetch_serial"],
        )

    form = CardStatusForm(request.POST or None)
    return _screen(
        request, form, "registry/programs/card.html", "個人番号カード・住基カードの状況", submit, "view"
    )


@clerk_screen
def card_record(request: HttpRequest) -> HttpResponse:
    """カードの状況の記録 (個人番号カード or 住基カード): 交付, 一時停止, 停止解除, 廃止, 返納, 期限切れ."""

    def submit(data: dict[str, Any]) -> str:
        cards.record_card_event(
            actor=request.user,
            purpose=data["purpose"],
            entry=cards.CardEventInput(
                atena_number=data["atena_number"],
                event=cards.CardEventKind(data["event"]),
                event_date=data["event_date"],
                expiry_date=data["expiry_date"],
                remarks=data["remarks"],
                card_kind=cards.CardKind(data["card_kind"]),
            ),
        )
        return "記録しました。"

    form = CardEventForm(request.POST or None)
    return _screen(
        request, form, "registry/programs/form.html", "個人番号カード・住基カードの状況の記録", submit, "done"
    )


@clerk_screen
def daily_batch(request: HttpRequest) -> HttpResponse:
    """日次バッチ: the follow-up list of overdue planned move-outs, and running today's batch by hand."""

    def submit(data: dict[str, Any]) -> dict[str, Any]:
        if "run" in request.POST:
            return {"result": batch.run_daily_batch(actor=request.user, purpose=data["purpose"])}
        return {"overdue": batch.overdue_move_outs(actor=request.user, purpose=data["purpose"])}

    form = DailyBatchForm(request.POST or None)
    return _screen(
        request, form, "registry/programs/batch.html", "日次バッチ（転出予定日の到来）", submit, "answer"
    )


@clerk_screen
def removed_archive_batch(request: HttpRequest) -> HttpResponse:
    """除票データベース: what the archive move and the 150-year purge would do, and running them."""

    def submit(data: dict[str, Any]) -> dict[str, Any]:
        actor, purpose = request.user, data["purpose"]
        if "run" in request.POST:
            return {"moved": removed_archive.run_archive_move(actor=actor, purpose=purpose)}
        if "purge" in request.POST:
            return {"purged": removed_archive_purge.run_purge(actor=actor, purpose=purpose)}
        if "purge_list" in request.POST:
            return {
                "purge_candidates": removed_archive_purge.list_purge_candidates(actor=actor, purpose=purpose)
            }
        return {"candidates": removed_archive.list_archive_candidates(actor=actor, purpose=purpose)}

    form = DailyBatchForm(request.POST or None)
    return _screen(
        request,
        form,
        "registry/programs/removed_archive.html",
        "除票データベースへの移動・保存期間経過の削除",
        submit,
        "answer",
    )
