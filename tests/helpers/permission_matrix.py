"""The permission triple for an endpoint (style.md; adding-a-workflow.md; issue 3 item 9).

``assert_permission_triple(make_staff, "post", url, Permission.X, data=...)`` checks:

1. anonymous (on a registered terminal) → login required: a redirect to the login page or 401;
2. logged in without ``permission`` → 403 and exactly one new audit entry, outcome "refused";
3. logged in with ``permission`` → a success status and exactly one new audit entry, outcome "done".

``client_factory`` is the ``make_staff`` fixture (tests/conftest.py) or any callable with the same
keywords. ``url`` and ``data`` may be callables, called afresh for each of the three requests, so an
action that consumes its target (unlock, approve) gets a new one each time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpResponse
from django.urls import reverse

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry

Maker = Callable[..., Any]


def _value(value: Any) -> Any:
    return value() if callable(value) else value


def _last_seq() -> int:
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def _request(
    client: Any, method: str, url: Any, data: Any, content_type: str | None
) -> tuple[HttpResponse, int]:
    """Build the URL and data first (factories may audit), then send; returns the response and the
    last audit sequence number before the request."""
    call = getattr(client, method.lower())
    kwargs: dict[str, Any] = {}
    target = _value(url)
    payload = _value(data)
    if payload is not None:
        kwargs["data"] = payload
    if content_type:
        kwargs["content_type"] = content_type
    before = _last_seq()
    return call(target, **kwargs), before


def assert_permission_triple(
    client_factory: Maker,
    method: str,
    url: str | Callable[[], str],
    permission: Permission,
    *,
    data: Any = None,
    content_type: str | None = None,
    other_permissions: Iterable[Permission] = (),
    success_status: Iterable[int] = (200, 302),
) -> None:
    """Assert the three outcomes above; ``other_permissions`` are held in both logged-in cases."""
    others = list(other_permissions)

    anonymous = client_factory(anonymous=True)
    response, before = _request(anonymous, method, url, data, content_type)
    assert response.status_code in (302, 401), f"anonymous got {response.status_code}"
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("web:login")), response["Location"]
    assert not AuditEntry.objects.filter(seq__gt=before, outcome="done").exists(), (
        "anonymous call did something"
    )

    without = client_factory(permissions=others)
    response, before = _request(without, method, url, data, content_type)
    assert response.status_code == 403, f"without {permission} got {response.status_code}"
    entries = list(AuditEntry.objects.filter(seq__gt=before))
    assert len(entries) == 1, [e.action for e in entries]
    assert entries[0].outcome == "refused"
    assert entries[0].actor_id == without.user.pk

    holder = client_factory(permissions=[permission, *others])
    response, before = _request(holder, method, url, data, content_type)
    assert response.status_code in tuple(success_status), f"with {permission} got {response.status_code}"
    entries = list(AuditEntry.objects.filter(seq__gt=before))
    assert len(entries) == 1, [(e.action, e.outcome, e.outcome_reason) for e in entries]
    assert entries[0].outcome == "done", entries[0].outcome_reason
    assert entries[0].actor_id == holder.user.pk
