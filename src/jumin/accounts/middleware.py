"""Request context, terminal check, second factor and idle lock (controls.md C-3, C-33; docs/security.md).

``RequestContextMiddleware`` gives each request an id, resolves the signed terminal cookie and
refuses every request from an unregistered terminal except the terminal enrolment page.
``SessionGuardMiddleware`` lets an authenticated session reach only the second-factor (or, with no
factor enrolled, the enrolment) pages until the second factor is passed, locks the session after
the idle time, ends sessions whose account stopped (C-15) or whose terminal changed, and refuses
forged or unknown session cookies. On a CS terminal (C-4) a user without a WebAuthn authenticator is
logged out instead of being offered TOTP or enrolment. Every refusal is audited.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from jumin.accounts import messages
from jumin.accounts.authorization import account_usable
from jumin.accounts.context import bind_request, reset_context, set_context, unbind_request
from jumin.accounts.services import (
    biometric_only_terminal,
    has_second_factor,
    record_idle_lock,
    record_session_refusal,
    terminal_from_cookie,
)

# Session keys (values are epoch seconds, a terminal id or a flag).
FACTOR_AT = "jumin.factor_at"
ACTIVITY_AT = "jumin.activity_at"
SESSION_TERMINAL = "jumin.terminal"
IDLE_LOCKED = "jumin.idle_locked"
NEXT_URL = "jumin.next"

UNVERIFIED_ROUTES = (
    "web:verify",
    "web:webauthn_auth_options",
    "web:webauthn_auth_verify",
    "web:logout",
    "web:login",
)
ENROL_ROUTES = ("web:enrol", "web:webauthn_register_options", "web:webauthn_register_verify")


def wants_json(request: HttpRequest) -> bool:
    """API calls get 401/403 JSON instead of redirects."""
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def mark_second_factor_passed(request: HttpRequest) -> None:
    """Record in the session that the second factor was just passed (login or idle unlock)."""
    now = int(time.time())
    request.session[FACTOR_AT] = now
    request.session[ACTIVITY_AT] = now
    request.session.pop(IDLE_LOCKED, None)


def bind_session_to_terminal(request: HttpRequest) -> None:
    """Bind a new session to the terminal it was opened on (C-3)."""
    request.session[SESSION_TERMINAL] = getattr(request, "terminal_id", "")


class RequestContextMiddleware:
    """Request id and terminal id for the whole request; unregistered terminals are refused (C-3)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        cookie = request.COOKIES.get(settings.JUMIN_TERMINAL_COOKIE, "")
        terminal_id = terminal_from_cookie(cookie) if cookie else None
        request.terminal_id = terminal_id or ""  # type: ignore[attr-defined]
        tokens = set_context(terminal_id=terminal_id or "", request_id=request_id)
        request_token = bind_request(request)
        try:
            if terminal_id is None and not self._exempt(request):
                record_session_refusal(
                    actor=None, reason_code="terminal_cookie_invalid" if cookie else "terminal_unregistered"
                )
                if wants_json(request):
                    response: HttpResponse = JsonResponse(
                        {"detail": messages.TERMINAL_UNREGISTERED}, status=403
                    )
                else:
                    response = render(
                        request,
                        "accounts/terminal_refused.html",
                        {"message": messages.TERMINAL_UNREGISTERED},
                        status=403,
                    )
                if cookie:
                    response.delete_cookie(settings.JUMIN_TERMINAL_COOKIE)
            else:
                response = self.get_response(request)
            response["X-Request-ID"] = request_id
            return response
        finally:
            unbind_request(request_token)
            reset_context(tokens)

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        return request.path.startswith(f"/{settings.STATIC_URL.lstrip('/')}") or request.path == reverse(
            "web:terminal_enrol"
        )


POLLING_HEADER = "X-Jumin-Polling"
POLLING_STOP_STATUS = 286  # htmx: "stop polling"


def is_polling(request: HttpRequest) -> bool:
    """Whether the request is a screen's automatic refresh (header set by the template's hx-headers)."""
    return request.headers.get(POLLING_HEADER) == "1"


class SessionGuardMiddleware:
    """Second factor before anything else, idle lock, same-day stop, terminal binding (C-3, C-15, C-33)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not getattr(request, "terminal_id", ""):
            return self.get_response(request)  # only the enrolment page gets here without a terminal
        forged = self._unknown_session_cookie(request)
        if forged:
            record_session_refusal(actor=None, reason_code="session_unknown")
            response = self._to_login(request, messages.SESSION_INVALID, status=401)
            response.delete_cookie(settings.SESSION_COOKIE_NAME)
            return response
        user: Any = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        if not account_usable(user):
            record_session_refusal(actor=user, reason_code="account_unusable")
            logout(request)
            return self._to_login(request, messages.ACCOUNT_STOPPED, status=401)
        if request.session.get(SESSION_TERMINAL) != request.terminal_id:  # type: ignore[attr-defined]
            record_session_refusal(actor=user, reason_code="terminal_changed")
            logout(request)
            return self._to_login(request, messages.TERMINAL_CHANGED, status=401)
        if request.path == reverse("admin:login"):
            return HttpResponseRedirect(reverse("web:login"))
        verified = self._check_idle(request, user)
        if verified:
            return self.get_response(request)
        return self._require_second_factor(request, user)

    @staticmethod
    def _unknown_session_cookie(request: HttpRequest) -> bool:
        if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
            return False
        request.session.load()
        return request.session.session_key is None and not request.session.keys()

    @staticmethod
    def _check_idle(request: HttpRequest, user: Any) -> bool:
        session = request.session
        factor_at = session.get(FACTOR_AT)
        if not factor_at:
            return False
        now = int(time.time())
        last = int(session.get(ACTIVITY_AT, factor_at))
        if now - last > settings.JUMIN_IDLE_LOCK_SECONDS:
            session.pop(FACTOR_AT, None)
            session[IDLE_LOCKED] = True
            record_idle_lock(actor=user)
            flash.warning(request, messages.IDLE_LOCKED)
            return False
        # A screen refreshing itself (htmx polling) is not the person at the keyboard: it must not keep
        # the session from locking (C-33).
        if now != last and not is_polling(request):
            session[ACTIVITY_AT] = now
        return True

    def _require_second_factor(self, request: HttpRequest, user: Any) -> HttpResponse:
        if is_polling(request):
            # htmx stops polling on 286; the next real request of the person leads to the unlock screen.
            return HttpResponse(messages.POLLING_STOPPED, status=POLLING_STOP_STATUS)
        if biometric_only_terminal(request.terminal_id) and not user.webauthn_credentials.exists():  # type: ignore[attr-defined]
            # C-4: a CS terminal offers no TOTP and no enrolment after a password alone.
            record_session_refusal(actor=user, reason_code="biometric_not_enrolled")
            logout(request)
            return self._to_login(request, messages.BIOMETRIC_NOT_ENROLLED, status=401)
        enrolled = has_second_factor(user)
        routes = UNVERIFIED_ROUTES if enrolled else (*UNVERIFIED_ROUTES, *ENROL_ROUTES)
        match = request.resolver_match
        if match is None:
            from django.urls import resolve
            from django.urls.exceptions import Resolver404

            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
        if match is not None and match.view_name in routes:
            return self.get_response(request)
        message = messages.SECOND_FACTOR_REQUIRED if enrolled else messages.ENROL_REQUIRED
        if wants_json(request):
            return JsonResponse({"detail": message}, status=401)
        if request.method == "GET":
            request.session[NEXT_URL] = request.get_full_path()
        target = reverse("web:verify" if enrolled else "web:enrol")
        return HttpResponseRedirect(target)

    @staticmethod
    def _to_login(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
        return to_login(request, message, status=status)


def to_login(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    """Send an ended session to the login page with the reason (JSON with ``status`` for API calls)."""
    if wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    flash.error(request, message)
    return HttpResponseRedirect(f"{reverse('web:login')}?{urlencode({'reason': 'session'})}")
