"""The application error log as an audited record (standard 10.2-b "error log"; controls.md C-42).

Each unexpected server error (an exception that becomes a 500) appends one ``system:error:record``
entry: time, user, terminal and request id come from the request as for every entry; the route
pattern (``registry/<int:pk>/``, never the path with its values, never a query string or body) and
the view name; the exception's class and a fingerprint. The message is left out, since it may quote
data, and so is the traceback text. The fingerprint is a SHA-256 over the class and the code locations
of the traceback (file, line, function), so repeated errors group together and the server's own log
can be matched, and it holds no value from the request.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from types import TracebackType

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event

ERROR_SUBJECT_TYPE = "error"

logger = logging.getLogger(__name__)


def fingerprint(error: BaseException) -> str:
    """SHA-256 over the exception's class and its traceback's code locations; no message, no values."""
    parts = [f"{type(error).__module__}.{type(error).__qualname__}"]
    trace: TracebackType | None = error.__traceback__
    while trace is not None:
        code = trace.tb_frame.f_code
        parts.append(f"{code.co_filename}:{trace.tb_lineno}:{code.co_name}")
        trace = trace.tb_next
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _route_of(request: HttpRequest) -> tuple[str, str]:
    """(view name, route pattern) of the request; the pattern names parameters, never their values."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "", ""
    return (match.view_name or "")[:64], (match.route or "")[:300]


def record_server_error(request: HttpRequest, error: BaseException) -> None:
    """Append the error entry in a transaction of its own (the request's work was rolled back).

    Never raises: the error log must not replace the original error with one of its own.
    """
    view_name, route = _route_of(request)
    user = getattr(request, "user", None)
    try:
        with transaction.atomic():
            record_event(
                actor=user,
                action=AuditAction.SYSTEM_ERROR_RECORD,
                subject_type=ERROR_SUBJECT_TYPE,
                subject_id=view_name,
                reason=f"{request.method} {route}",
                outcome=Outcome.REFUSED,
                outcome_reason=f"{type(error).__qualname__[:80]} {fingerprint(error)}",
            )
    except Exception as failure:  # the database may be the very thing that failed
        # Class names only: a traceback here chains the request's own exception, whose message (or a
        # database error's) may hold personal data.
        logger.error(
            "the error log entry could not be written (%s while recording %s)",
            type(failure).__qualname__,
            type(error).__qualname__,
        )


class ErrorLogMiddleware:
    """Records unexpected exceptions raised by views (``process_exception``); place it after the
    request-context middleware so the entry carries the terminal and request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """Audit the error and let Django's handler answer (500) as before."""
        # Http404, PermissionDenied and the like are answers, not server errors.
        if isinstance(exception, Http404 | PermissionDenied | SuspiciousOperation):
            return
        record_server_error(request, exception)
