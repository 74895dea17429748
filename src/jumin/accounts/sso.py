"""Single sign-on from a fronting reverse proxy (standard 10.3-a; docs/security.md, docs/operations.md).

Off unless ``JUMIN_SSO_HEADER`` is set. The proxy authenticates the person (for example against the
city's directory) and passes the 職員ID in that header; the header is believed only on a connection
from an address in ``JUMIN_SSO_TRUSTED_PROXIES``, anywhere else it is ignored and the attempt audited.
Like Django's ``RemoteUserMiddleware`` with a backend whose ``create_unknown_user`` is false, it never
creates an account: an unknown, stopped, locked or expired account is refused and audited.

SSO replaces the password step only. The terminal check (C-3) ran before, and the second factor
(C-3, C-4: biometric on a CS terminal) and the idle lock still follow in ``SessionGuardMiddleware``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from jumin.accounts import clock, messages
from jumin.accounts.authorization import account_usable
from jumin.accounts.context import audit_context
from jumin.accounts.middleware import bind_session_to_terminal, to_login, wants_json
from jumin.accounts.models import User
from jumin.accounts.services import LoginRefused, record_session_refusal
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event

# Session flag: this session was opened by SSO, so it ends when the proxy stops vouching for it.
SSO_SESSION = "jumin.sso"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def header_meta_key(header: str) -> str:
    """The ``request.META`` key of an HTTP header name (``X-Remote-User`` → ``HTTP_X_REMOTE_USER``)."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def from_trusted_proxy(remote_addr: str) -> bool:
    """Whether the connection comes from one of the configured proxy addresses or networks."""
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(entry, strict=False) for entry in settings.JUMIN_SSO_TRUSTED_PROXIES
    )


def _refusal_reason(user: User | None) -> str | None:
    if user is None:
        return "sso_unknown_user"
    if user.locked_at is not None:
        return "account_locked"
    if not account_usable(user):
        return "account_unusable"
    person = user.person
    if person is not None and person.employment_end is not None and person.employment_end < clock.today():
        return "account_expired"
    return None


def authenticate_sso(*, username: str) -> User:
    """The password step for a 職員ID the trusted proxy vouches for; never creates an account.

    Success is audited as ``staff:sso:accept`` with the method ``sso``; a refusal as a failed login.
    The name itself is not recorded (only the account's id when it exists).
    """
    user = User.objects.select_related("person").filter(username=username).first()
    reason = _refusal_reason(user)
    subject_id = str(user.pk) if user is not None else ""
    with transaction.atomic():
        if reason is None:
            record_event(
                actor=user,
                action=AuditAction.STAFF_SSO_ACCEPT,
                outcome_reason="sso",
                subject_type="staff",
                subject_id=subject_id,
                **audit_context(),
            )
            return user  # type: ignore[return-value]  # reason None means the account exists
        record_event(
            actor=None,
            action=AuditAction.STAFF_LOGIN_FAIL,
            outcome=Outcome.REFUSED,
            outcome_reason=reason,
            subject_type="staff" if subject_id else "",
            subject_id=subject_id,
            **audit_context(),
        )
    raise LoginRefused(messages.SSO_REFUSED, reason_code=reason, locked=reason == "account_locked")


class SingleSignOnMiddleware:
    """Open a session for the 職員ID in the SSO header from a trusted proxy (standard 10.3-a).

    Sits between ``RequestContextMiddleware`` (terminal, audit context) and ``SessionGuardMiddleware``
    (second factor, idle lock). A session it opened ends when the header disappears or names someone
    else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = settings.JUMIN_SSO_HEADER
        if not header or not getattr(request, "terminal_id", ""):
            return self.get_response(request)
        name = request.META.get(header_meta_key(header), "").strip()
        user: Any = request.user
        if not name:
            if user.is_authenticated and request.session.get(SSO_SESSION):
                record_session_refusal(actor=user, reason_code="sso_header_missing")
                logout(request)
                return to_login(request, messages.SSO_ENDED, status=401)
            return self.get_response(request)
        if not from_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            # A header sent past the proxy is ignored: the person can still log in with a password.
            record_session_refusal(actor=None, reason_code="sso_untrusted_source")
            return self.get_response(request)
        if user.is_authenticated:
            if user.get_username() == name:
                return self.get_response(request)
            record_session_refusal(actor=user, reason_code="sso_user_changed")
            logout(request)
        try:
            account = authenticate_sso(username=name)
        except LoginRefused as refusal:
            if wants_json(request):
                return JsonResponse({"detail": refusal.message}, status=403)
            return render(request, "accounts/sso_refused.html", {"message": refusal.message}, status=403)
        login(request, account, backend=MODEL_BACKEND)
        bind_session_to_terminal(request)
        request.session[SSO_SESSION] = True
        return self.get_response(request)
