"""The 「画面ハードコピー」 action of every clerk screen (standard 10.7-a). Thin: one service call."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from jumin.domain.errors import DomainError
from jumin.web.hardcopy import record_screen_hardcopy
from jumin.web.views import staff_screen


@require_POST
@staff_screen
def screen_hardcopy(request: HttpRequest) -> HttpResponse:
    """Record the hard copy; the page's script then opens the print dialog (no script: a note)."""
    try:
        record_screen_hardcopy(actor=request.user, screen=request.POST.get("screen", ""))
    except DomainError as error:
        if request.headers.get("X-Requested-With") == "fetch":
            return JsonResponse(
                {"field": error.field, "reason": error.reason, "remedy": error.remedy}, status=400
            )
        return render(request, "web/hardcopy_recorded.html", {"error": error}, status=400)
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse({"recorded": True})
    return render(request, "web/hardcopy_recorded.html", {})
