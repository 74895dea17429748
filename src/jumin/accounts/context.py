"""The current request's terminal id (端末ID) and request id, for audit entries (controls.md C-3, C-42).

``RequestContextMiddleware`` sets both per request; services and views pass them to
``audit.services.record_event(terminal_id=…, request_id=…)``. Outside a request (batch jobs,
management commands) both are empty strings.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any, TypedDict

_terminal_id: ContextVar[str] = ContextVar("jumin_terminal_id", default="")
_request_id: ContextVar[str] = ContextVar("jumin_request_id", default="")
# The request itself, so that its (lazy) user is read only when a form asks for it.
_request: ContextVar[Any] = ContextVar("jumin_request", default=None)


def current_terminal_id() -> str:
    """The registered terminal id of the current request, or "" outside a request."""
    return _terminal_id.get()


def current_request_id() -> str:
    """The id grouping everything the current request did (style.md, audit records), or ""."""
    return _request_id.get()


class AuditContext(TypedDict):
    """The ``record_event`` keyword arguments that come from the request."""

    terminal_id: str
    request_id: str


def current_user() -> Any:
    """The current request's user, or None outside a request (purpose selectors list their duties)."""
    request = _request.get()
    return None if request is None else getattr(request, "user", None)


def bind_request(request: Any) -> Token[Any]:
    """Bind the request for ``current_user``; returns the token for ``unbind_request``."""
    return _request.set(request)


def unbind_request(token: Token[Any]) -> None:
    """Restore the request that was bound before ``bind_request``."""
    _request.reset(token)


def audit_context() -> AuditContext:
    """Keyword arguments for ``record_event``: the current terminal id and request id."""
    return {"terminal_id": _terminal_id.get(), "request_id": _request_id.get()}


def set_context(*, terminal_id: str, request_id: str) -> tuple[Token[str], Token[str]]:
    """Bind the ids for the current request; returns the tokens for ``reset_context``."""
    return _terminal_id.set(terminal_id), _request_id.set(request_id)


def reset_context(tokens: tuple[Token[str], Token[str]]) -> None:
    """Restore the ids that were bound before ``set_context``."""
    _terminal_id.reset(tokens[0])
    _request_id.reset(tokens[1])
