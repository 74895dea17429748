"""連携監視: the network monitor screen (Japanese, thin; htmx refreshes it) and its operator actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from jumin.accounts.authorization import AccessRefused
from jumin.domain.errors import DomainError
from jumin.messaging import selectors, services

RESOLVED_TEXT = {"requeue": "再送に戻しました", "retire": "取り下げました"}


@login_required
@require_GET
def monitor(request: HttpRequest) -> HttpResponse:
    """Queues per peer: waiting, held for a gap, set aside, last success; refusals render 403 (audited)."""
    try:
        status = selectors.monitor_for(request.user)
    except AccessRefused as refused:
        return render(request, "messaging/refused.html", {"message": refused.message}, status=403)
    template = "messaging/_queues.html" if request.headers.get("HX-Request") else "messaging/monitor.html"
    return render(request, template, {"status": status})


@login_required
@require_POST
def resolve(request: HttpRequest) -> HttpResponse:
    """Re-queue or retire one set-aside message (network:operate); back to the monitor with the outcome."""
    action = request.POST.get("action", "")
    try:
        services.resolve_set_aside(
            actor=request.user,
            direction=request.POST.get("queue", ""),
            message_id=request.POST.get("message_id", ""),
            action=action,
            note=request.POST.get("note", ""),
        )
    except AccessRefused as refused:
        return render(request, "messaging/refused.html", {"message": refused.message}, status=403)
    except DomainError as error:
        messages.error(request, f"{error.reason}{error.remedy}")
        return redirect("messaging:monitor")
    messages.success(request, f"隔離されたメッセージを{RESOLVED_TEXT[action]}。")
    return redirect("messaging:monitor")
