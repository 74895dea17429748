"""連携監視: the network monitor screen (Japanese, thin; htmx refreshes the table)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from jumin.accounts.authorization import AccessRefused
from jumin.messaging import selectors


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
