"""Purpose capture for screens and API calls that open personal data (issue 3 item 6; controls.md C-43).

A request names its purpose — the duty (事務) the user is acting under — in the form field or
query parameter ``purpose`` or the header ``X-Jumin-Purpose``. ``@purpose_required`` refuses a
request without one (or with one that is not among the user's duties) with a Japanese message,
records the refusal in the audit log, and otherwise exposes it as ``request.jumin_purpose``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from jumin.audit import messages
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event

PURPOSE_FIELD = "purpose"
PURPOSE_HEADER = "X-Jumin-Purpose"
# A purpose is a duty code; anything else (free text, values) is never copied into the log.
PURPOSE_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")

View = Callable[..., HttpResponse]


def purpose_of(request: HttpRequest) -> str:
    """The purpose the request names (form field, query parameter or header), or ""."""
    value = (
        request.POST.get(PURPOSE_FIELD)
        or request.GET.get(PURPOSE_FIELD)
        or request.headers.get(PURPOSE_HEADER)
    )
    return (value or "").strip()


def _codes(duties: Iterable[Any]) -> set[str]:
    codes = set()
    for duty in duties:
        codes.add(str(getattr(duty, "code", duty)))
    return codes


def allowed_purposes(user: Any) -> set[str] | None:
    """The duty codes the user may name: ``jumin.accounts.duties.duties_of(user)`` (controls.md C-8, C-43).

    Returns None (any well-formed duty code accepted) only if accounts offers no ``duties_of``.
    """
    module = importlib.import_module("jumin.accounts.duties")
    duties_of = getattr(module, "duties_of", None)
    if duties_of is None:
        return None
    return _codes(duties_of(user))


def _refusal_reason(request: HttpRequest, purpose: str) -> str:
    if not purpose or not PURPOSE_CODE.fullmatch(purpose):
        return "purpose_missing"
    allowed = allowed_purposes(request.user)
    if allowed is not None and purpose not in allowed:
        return "purpose_not_a_duty"
    return ""


def _wants_json(request: HttpRequest) -> bool:
    return PURPOSE_HEADER in request.headers or "application/json" in request.headers.get("Accept", "")


def purpose_required(
    *, action: AuditAction, subject_type: str = "", subject_kwarg: str = ""
) -> Callable[[View], View]:
    """Decorate a view that opens personal data: no valid purpose, no data (controls.md C-43).

    ``action`` and ``subject_type`` label the refusal entry; ``subject_kwarg`` names the URL keyword
    holding the internal id of the record asked for, if any.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            purpose = purpose_of(request)
            reason = _refusal_reason(request, purpose)
            if not reason:
                request.jumin_purpose = purpose  # type: ignore[attr-defined]
                return view(request, *args, **kwargs)
            record_event(
                actor=request.user,
                action=action,
                subject_type=subject_type,
                subject_id=str(kwargs.get(subject_kwarg, "")) if subject_kwarg else "",
                purpose=purpose if PURPOSE_CODE.fullmatch(purpose) else "",
                outcome=Outcome.REFUSED,
                outcome_reason=reason,
            )
            text = messages.PURPOSE_MISSING if reason == "purpose_missing" else messages.PURPOSE_NOT_A_DUTY
            status = 400 if reason == "purpose_missing" else 403
            if _wants_json(request):
                return JsonResponse({"error": reason, "message": text}, status=status)
            return render(request, "audit/purpose_refused.html", {"message": text}, status=status)

        return wrapped

    return decorator
