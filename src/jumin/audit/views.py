"""The daily log review screen (controls.md C-52, C-53; standard 10.2-d). Japanese, audited."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from jumin.accounts import reviews, selectors
from jumin.accounts.authorization import AccessRefused, authorize
from jumin.accounts.permissions import Permission
from jumin.audit import conf, messages, reports
from jumin.audit.actions import AuditAction
from jumin.audit.models import EPOCH
from jumin.audit.services import digest_of, record_event

REVIEW_PURPOSE = "audit_review"
# The IT head's report runs under the role's own code (the grant duty of 情報主管課長).
HOLDERS_PURPOSE = "it_head"


def _day_from(value: str | None, today: date) -> date:
    if value:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = today - timedelta(days=1)
        else:
            if day < today:
                return day
    return today - timedelta(days=1)


def _format_rows(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    zone = reports.local_zone()
    for row in rows:
        if "created_us" in row:
            moment = EPOCH + timedelta(microseconds=int(row["created_us"]))  # type: ignore[call-overload]
            row["local_time"] = moment.astimezone(zone).strftime("%H:%M:%S")
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def daily_review(request: HttpRequest) -> HttpResponse:
    """Yesterday's findings (or ``?day=``); POST records the reviewer's sign-off as an audit entry."""
    action = (
        AuditAction.AUDIT_REVIEW_ACKNOWLEDGE if request.method == "POST" else AuditAction.AUDIT_REVIEW_VIEW
    )
    today = datetime.now(reports.local_zone()).date()
    day = _day_from(request.POST.get("day") or request.GET.get("day"), today)
    try:
        authorize(
            actor=request.user,
            permission=Permission.AUDIT_REVIEW,
            action=action,
            purpose=REVIEW_PURPOSE,
            subject_type=reports.REVIEW_SUBJECT_TYPE,
            subject_id=day.isoformat(),
        )
    except AccessRefused:
        return render(request, "audit/refused.html", {"message": messages.REVIEW_FORBIDDEN}, status=403)
    findings = reports.daily_findings(day)
    if request.method == "POST":
        record_event(
            actor=request.user,
            action=AuditAction.AUDIT_REVIEW_ACKNOWLEDGE,
            subject_type=reports.REVIEW_SUBJECT_TYPE,
            subject_id=day.isoformat(),
            purpose=REVIEW_PURPOSE,
            reason=request.POST.get("note", "").replace("\x00", "").replace("\x1f", "")[:400],
            after_digest=digest_of(findings.summary()),
        )
        return redirect(f"{request.path}?day={day.isoformat()}")
    record_event(
        actor=request.user,
        action=AuditAction.AUDIT_REVIEW_VIEW,
        subject_type=reports.REVIEW_SUBJECT_TYPE,
        subject_id=day.isoformat(),
        purpose=REVIEW_PURPOSE,
    )
    opens, closes = conf.office_hours()
    context = {
        "day": day,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1) if day + timedelta(days=1) < today else None,
        "findings": findings,
        "after_hours": _format_rows(findings.after_hours),
        "mass_searches": _format_rows(findings.mass_searches),
        "number_searches": _format_rows(findings.number_searches),
        "support_measure": _format_rows(findings.support_measure),
        "committed_changes": _format_rows(findings.committed_changes),
        "credential_review": reports.credential_review_status(today),
        "acknowledgments": _format_rows(reports.acknowledgments(day)),
        "unreviewed": reports.unreviewed_days(today),
        "office_hours": f"{opens}時〜{closes}時",
        "mass_threshold": conf.mass_search_threshold(),
        "per_day_threshold": conf.searches_per_day_threshold(),
    }
    return render(request, "audit/review.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def permission_holders(request: HttpRequest) -> HttpResponse:
    """Holders of every permission and every account's credentials (C-21); POST signs off the
    periodic credential review. Both audited; without ``staff:grant:report`` refused (403)."""
    try:
        if request.method == "POST":
            reviews.record_credential_review(
                actor=request.user, purpose=HOLDERS_PURPOSE, note=request.POST.get("note", "")
            )
            return redirect(request.path)
        report = selectors.permission_holders_report(actor=request.user, purpose=HOLDERS_PURPOSE)
    except AccessRefused:
        return render(request, "audit/refused.html", {"message": messages.HOLDERS_FORBIDDEN}, status=403)
    today = datetime.now(reports.local_zone()).date()
    context = {**report, "status": reports.credential_review_status(today)}
    return render(request, "audit/holders.html", context)
