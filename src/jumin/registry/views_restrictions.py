"""Clerk screens of 抑止 and 支援措置 (standard 3.1, 3.4). Thin: a form, one service or selector call.

Personal identifiers travel only in POST bodies; URLs carry at most a suppression or measure id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.domain.errors import DomainError
from jumin.registry import (
    restriction_feed,
    selectors_restrictions,
    selectors_support_end,
    selectors_suppressed,
    services_restrictions,
)
from jumin.registry.forms_restrictions import (
    LiftForm,
    PersonForm,
    ReleaseForm,
    SupportActionForm,
    SupportEndingForm,
    SupportMeasureForm,
    SuppressedListForm,
    SuppressionForm,
    split_numbers,
)
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.views_common import ERROR_FIELD, clerk_screen, shown_on_screen

Submit = Callable[[dict[str, Any]], str]


def form_screen(
    request: HttpRequest, form: forms.Form, title: str, submit: Submit, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """Show ``form``; on a valid POST run ``submit`` and show its message, or the error by its field.

    Only for views under :func:`clerk_screen`, which answers a refusal.
    """
    context: dict[str, Any] = {"form": form, "title": title, **(extra or {})}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, field=ERROR_FIELD, pending_alerts=False):
            context["done"] = submit(dict(form.cleaned_data))
    return render(request, "registry/restrictions/form.html", context)


@clerk_screen
def person(request: HttpRequest) -> HttpResponse:
    """抑止・支援措置の照会: one person's suppressions, releases and measures (audited)."""
    form = PersonForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, field="atena_number", pending_alerts=False):
            context["view"] = selectors_restrictions.person_restrictions(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                atena_number=form.cleaned_data["atena_number"],
            )
        context["purpose"] = form.cleaned_data["purpose"]
    return render(request, "registry/restrictions/person.html", context)


@clerk_screen
def set_suppression(request: HttpRequest) -> HttpResponse:
    """抑止の設定 (standard 3.1-a, 3.1-b)."""

    def submit(data: dict[str, Any]) -> str:
        services_restrictions.set_suppression(
            actor=request.user,
            purpose=data["purpose"],
            request=services_restrictions.SuppressionRequest(
                scope=services_restrictions.SuppressionScope(data["scope"]),
                target_number=data["target_number"],
                process=RestrictedProcess(data["process"]),
                level=RestrictionLevel(data["level"]),
                start_date=data["start_date"],
                end_date=data["end_date"],
                reason=services_restrictions.SuppressionReason(data["reason"]),
                reason_text=data["reason_text"],
            ),
        )
        return "抑止を設定しました。"

    return form_screen(request, SuppressionForm(request.POST or None), "抑止の設定", submit)


@clerk_screen
def lift_suppression(request: HttpRequest, suppression_id: int) -> HttpResponse:
    """抑止の解除: the row stays with who lifted it, when and why."""

    def submit(data: dict[str, Any]) -> str:
        services_restrictions.lift_suppression(
            actor=request.user, purpose=data["purpose"], suppression_id=suppression_id, reason=data["reason"]
        )
        return "抑止を解除しました。"

    return form_screen(request, LiftForm(request.POST or None), f"抑止 {suppression_id} の解除", submit)


@clerk_screen
def release(request: HttpRequest) -> HttpResponse:
    """一時解除 (standard 3.1-d, 3.4-a): lapses by itself after the configured minutes."""

    def submit(data: dict[str, Any]) -> str:
        granted = services_restrictions.release_temporarily(
            actor=request.user,
            purpose=data["purpose"],
            atena_number=data["atena_number"],
            process=RestrictedProcess(data["process"]),
            target=services_restrictions.ReleaseTarget(data["target"]),
            reason=data["reason"],
        )
        return f"一時解除しました。{granted.expires_at:%Y-%m-%d %H:%M} に自動的に元に戻ります。"

    extra = {"minutes": services_restrictions.release_minutes()}
    return form_screen(request, ReleaseForm(request.POST or None), "抑止の一時解除", submit, extra)


@clerk_screen
def support_new(request: HttpRequest) -> HttpResponse:
    """支援措置の受付: applicant, co-applicants, 加害者, 対象事務, period or 仮支援措置."""

    def submit(data: dict[str, Any]) -> str:
        measure_id = services_restrictions.create_support_measure(
            actor=request.user,
            purpose=data["purpose"],
            application=services_restrictions.SupportApplication(
                applicant=data["applicant"],
                co_applicants=split_numbers(data["co_applicants"]),
                covered_services=data["covered_services"],
                received_on=data["received_on"],
                provisional=data["provisional"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                perpetrator=data["perpetrator"],
                start_reason=data["start_reason"],
                original_municipality=data["original_municipality"],
                remarks=data["remarks"],
            ),
        )
        return f"支援措置（番号 {measure_id}）を登録しました。"

    return form_screen(request, SupportMeasureForm(request.POST or None), "支援措置の受付", submit)


def _support_action(request: HttpRequest, measure_id: int, data: dict[str, Any]) -> str:
    actor, purpose = request.user, data["purpose"]
    if "do_start" in request.POST:
        if data["start"] is None:
            raise DomainError(
                field="start",
                reason="支援開始日が入力されていません。",
                remedy="支援開始日を入力してください。",
                code="registry.support_start_required",
            )
        period = services_restrictions.start_support(
            actor=actor, purpose=purpose, measure_id=measure_id, start=data["start"], end=data["end"]
        )
        return f"支援を開始しました（{period.start}〜{period.end}）。"
    if "do_extend" in request.POST:
        period = services_restrictions.extend_support(actor=actor, purpose=purpose, measure_id=measure_id)
        return f"支援措置を延長しました（{period.start}〜{period.end}）。"
    if "do_edit_end" in request.POST:
        if data["end"] is None:
            raise DomainError(
                field="end",
                reason="支援終了予定日が入力されていません。",
                remedy="修正後の終了予定日を入力してください。",
                code="registry.support_end_required",
            )
        period = services_restrictions.edit_support_end(
            actor=actor, purpose=purpose, measure_id=measure_id, end=data["end"]
        )
        return f"終了予定日を修正しました（{period.start}〜{period.end}）。"
    if "do_end" not in request.POST:
        return ""
    if not data["end_reason"]:
        raise DomainError(
            field="end_reason",
            reason="終了理由が選択されていません。",
            remedy="申出・期間満了・決定のいずれかを選んでください。",
            code="registry.support_end_reason_required",
        )
    services_restrictions.end_support(
        actor=actor,
        purpose=purpose,
        measure_id=measure_id,
        reason=services_restrictions.SupportEndReason(data["end_reason"]),
    )
    return "支援措置を終了しました。"


@clerk_screen
def support_detail(request: HttpRequest, measure_id: int) -> HttpResponse:
    """支援措置の詳細 (view permission) and its lifecycle: start, extend, edit the end, end."""
    form = SupportActionForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "measure_id": measure_id}
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        with shown_on_screen(context, form=form, field=ERROR_FIELD, pending_alerts=False):
            if "show" in request.POST:
                context["detail"] = selectors_restrictions.support_measure_detail(
                    actor=request.user, purpose=data["purpose"], measure_id=measure_id
                )
                context["purpose"] = data["purpose"]
            else:
                context["done"] = _support_action(request, measure_id, data)
    return render(request, "registry/restrictions/support_detail.html", context)


@clerk_screen
def support_ending(request: HttpRequest) -> HttpResponse:
    """期間終了予定一覧 (standard 3.4-d): measures whose period ends in the window, each with a button that
    prints its 支援措置期間終了通知 (the certificates' 通知書の作成). Management permission; audited."""
    form = SupportEndingForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, field=ERROR_FIELD, pending_alerts=False):
            context["listing"] = selectors_support_end.measures_ending(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                window_start=form.cleaned_data["window_start"],
                window_end=form.cleaned_data["window_end"],
            )
        context["purpose"] = form.cleaned_data["purpose"]
    return render(request, "registry/restrictions/support_ending.html", context)


@clerk_screen
def suppressed(request: HttpRequest) -> HttpResponse:
    """抑止対象者一覧 (standard 9.2-a): every person a 抑止 holds today. ``suppression:manage``; audited."""
    form = SuppressedListForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, field=ERROR_FIELD, pending_alerts=False):
            context["listing"] = selectors_suppressed.suppressed_persons(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                process=form.cleaned_data["process"],
            )
    return render(request, "registry/restrictions/suppressed.html", context)


@clerk_screen
def cs_marks(request: HttpRequest) -> HttpResponse:
    """抑止マーク照合 (3.1-g): the CS's marks against the registry's issuance restrictions in force, and
    「CSへ反映」, which runs what `jumin cs marks` runs (``resident:batch:run``). Both audited."""
    form = PurposeForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        purpose = form.cleaned_data["purpose"]
        with shown_on_screen(context, form=form, field=ERROR_FIELD, pending_alerts=False):
            if "resync" in request.POST:
                context["resynced"] = restriction_feed.resync_cs_marks(actor=request.user, purpose=purpose)
            context["check"] = restriction_feed.check_cs_marks(actor=request.user, purpose=purpose)
    return render(request, "registry/restrictions/cs_marks.html", context)
