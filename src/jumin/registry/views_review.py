"""Clerk screens of the review (docs/workflows/review.md, docs/workflows/move-in-notice.md, docs/outbox.md).

確認待ち一覧 (filters, tick drafts) → 確認画面 (before/after per person, one checkbox per 抑止 alert)
→ 一括本登録 (per-draft outcome). Also the 排他ロック list, 転入通知 entry, 未着者一覧 and the outbox
list. Thin: a form, one service or selector call, a template. Numbers travel by POST only.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.registry import bulk, locks, outbox, selectors_review
from jumin.registry.forms_review import (
    EventListForm,
    LockReleaseForm,
    MissingNoticeForm,
    MoveInNoticeForm,
    MoverFilterForm,
    PendingFilterForm,
    SelectionForm,
)
from jumin.registry.views_common import (
    DONE_TEMPLATE,
    acknowledged,
    clerk_screen,
    offer_code_notices,
    offer_move_out_certificates,
    shown_on_screen,
)
from jumin.registry.workflows import move_in_notice

TEMPLATES = "registry/review/"


@clerk_screen
def pending(request: HttpRequest) -> HttpResponse:
    """確認待ち一覧 (standard 4.0.8-c): filters by GET (no personal data), or the drafts of chosen movers
    by POST (their 宛名番号 are personal data: audited); drafts ticked for the 確認画面."""
    filters = PendingFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    by_mover = MoverFilterForm(request.POST or None)
    movers = by_mover.cleaned_data["movers"] if request.method == "POST" and by_mover.is_valid() else []
    context: dict[str, Any] = {
        "filters": filters,
        "by_mover": by_mover,
        "form": SelectionForm(),
        "cap": selectors_review.bulk_cap(),
    }
    if request.method == "POST" and not movers:  # the form shows what to correct; no list
        context["drafts"] = None
        return render(request, TEMPLATES + "pending.html", context)
    with shown_on_screen(context, pending_alerts=False):
        context["drafts"] = selectors_review.pending_drafts(
            actor=request.user,
            filters=selectors_review.PendingFilter(
                reason=data.get("reason") or "",
                made_by=data.get("made_by") or "",
                made_from=data.get("made_from"),
                made_to=data.get("made_to"),
                terminal_id=data.get("terminal_id") or "",
            ),
            movers=movers,
            purpose=by_mover.cleaned_data["purpose"] if movers else "",
        )
    return render(request, TEMPLATES + "pending.html", context)


@clerk_screen
def confirm(request: HttpRequest) -> HttpResponse:
    """確認画面 (standard 4.0.9-a): what each selected draft changes, before the 本登録."""
    form = SelectionForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["previews"] = selectors_review.confirmation(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                change_ids=form.cleaned_data["change_ids"],
            )
    return render(request, TEMPLATES + "confirm.html", context)


@clerk_screen
def commit(request: HttpRequest) -> HttpResponse:
    """一括本登録 of the confirmed drafts, each on its own; shows the outcome per draft."""
    form = SelectionForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            result = context["result"] = bulk.commit_drafts(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                change_ids=form.cleaned_data["change_ids"],
                acknowledged_alerts=acknowledged(request),
            )
            committed = [outcome.change_id for outcome in result.outcomes if outcome.committed]
            offer_code_notices(
                context, actor=request.user, change_ids=committed, purpose=form.cleaned_data["purpose"]
            )
            offer_move_out_certificates(
                context, actor=request.user, change_ids=committed, purpose=form.cleaned_data["purpose"]
            )
    return render(request, TEMPLATES + "result.html", context)


@clerk_screen
def lock_list(request: HttpRequest) -> HttpResponse:
    """排他ロック一覧 (standard 10.3-d), and the release of a stale lock with a reason."""
    form = LockReleaseForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        purpose = form.cleaned_data["purpose"]
        with shown_on_screen(context, pending_alerts=False):
            if "release" in request.POST:
                locks.release_stale_lock(
                    actor=request.user,
                    purpose=purpose,
                    lock_id=form.cleaned_data["lock_id"] or 0,
                    reason=form.cleaned_data["reason"],
                )
                context["done"] = "排他ロックを解除しました。"
            context["locks"] = locks.open_locks(actor=request.user, purpose=purpose)
    return render(request, TEMPLATES + "locks.html", context)


@clerk_screen
def move_in_notice_entry(request: HttpRequest) -> HttpResponse:
    """転入通知の受理（転出確定）as a draft (standard 4.1.3.1.1-a)."""
    form = MoveInNoticeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with shown_on_screen(context, pending_alerts=False) as outcome:
            draft = move_in_notice.record_move_in_notice(
                actor=request.user,
                purpose=data["purpose"],
                notice=move_in_notice.MoveInNotice(
                    atena_numbers=form.atena_list(),
                    notice_date=data["notice_date"],
                    move_in_date=data["move_in_date"],
                    destination=data["destination"],
                    notification_kind=data["notification_kind"],
                ),
            )
        if outcome.ok:
            return render(request, DONE_TEMPLATE, {"draft": draft})
    return render(request, TEMPLATES + "move_in_notice.html", context)


@clerk_screen
def missing_notice_list(request: HttpRequest) -> HttpResponse:
    """転入通知の未着者一覧 (standard 4.1.3.1.4-a)."""
    form = MissingNoticeForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "default_days": move_in_notice.wait_days()}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["missing"] = move_in_notice.missing_notices(
                actor=request.user, purpose=form.cleaned_data["purpose"], days=form.cleaned_data["days"]
            )
    return render(request, TEMPLATES + "missing_notices.html", context)


@clerk_screen
def event_list(request: HttpRequest) -> HttpResponse:
    """登録イベント（outbox）一覧: what the CS, 宛名 and other municipalities will be sent."""
    form = EventListForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        context["events"] = outbox.recent_events(
            actor=request.user,
            purpose=form.cleaned_data["purpose"],
            change_id=form.cleaned_data["change_id"],
        )
    return render(request, TEMPLATES + "events.html", context)
