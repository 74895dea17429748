"""On-screen help per screen (standard 10.5-a) and the logged 画面ハードコピー (standard 10.7-a)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.web.screen_help import HELP, NOT_SCREENS
from tests.helpers.accounts import TERMINAL_ID

# The JSON API and Django's admin are not clerk screens.
NOT_CLERK_NAMESPACES = {"api", "admin"}


def _url_names(resolver: URLResolver, namespaces: tuple[str, ...] = ()) -> list[str]:
    names: list[str] = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            names += _url_names(pattern, inner)
        elif (
            isinstance(pattern, URLPattern)
            and pattern.name
            and namespaces
            and namespaces[0] not in NOT_CLERK_NAMESPACES
        ):
            names.append(":".join((*namespaces, pattern.name)))
    return names


CLERK_URL_NAMES = sorted(set(_url_names(get_resolver())))


def test_every_clerk_url_name_has_a_help_entry_or_is_not_a_screen() -> None:
    missing = [name for name in CLERK_URL_NAMES if name not in HELP and name not in NOT_SCREENS]
    assert missing == []
    stale = sorted((set(HELP) | NOT_SCREENS) - set(CLERK_URL_NAMES))
    assert stale == []
    assert not set(HELP) & NOT_SCREENS


def test_every_help_entry_is_japanese_text_with_a_purpose() -> None:
    for name, entry in HELP.items():
        assert entry.title, name
        assert entry.purpose.endswith("。"), name
        assert entry.errors, name
        assert "F1" in entry.keys, name


@pytest.mark.django_db
def test_the_screen_shows_its_help_with_the_form_labels(make_staff: Callable[..., Any]) -> None:
    page = make_staff(permissions=[Permission.RESIDENT_VIEW]).get(reverse("registry:lookup")).content.decode()
    assert "ヘルプ（F1）" in page
    assert HELP["registry:lookup"].purpose in page
    assert "<li>宛名番号</li>" in page  # the inputs come from the screen's own form
    assert "screen_tools.js" in page
    assert 'name="screen" value="registry:lookup"' in page


@pytest.mark.django_db
def test_the_login_page_has_no_tools_before_login(client: Any) -> None:
    assert "画面ハードコピー" not in client.get(reverse("web:login")).content.decode()


@pytest.mark.django_db
def test_a_hard_copy_is_recorded_with_screen_user_terminal_and_no_personal_data(
    make_staff: Callable[..., Any],
) -> None:
    staff = make_staff(permissions=[Permission.RESIDENT_VIEW])
    response = staff.post(
        reverse("web:screen_hardcopy"), {"screen": "registry:lookup"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 200
    assert response.json() == {"recorded": True}
    entry = AuditEntry.objects.get(action="screen:hardcopy:print")
    assert (entry.subject_type, entry.subject_id, entry.terminal_id) == (
        "screen",
        "registry:lookup",
        TERMINAL_ID,
    )
    assert entry.actor_id is not None
    assert entry.created_at is not None
    assert (entry.purpose, entry.reason, entry.outcome_reason) == ("", "", "")
    # Without script the form still posts and is recorded, then tells the clerk how to print.
    page = staff.post(reverse("web:screen_hardcopy"), {"screen": "registry:search"}).content.decode()
    assert "画面ハードコピーを記録しました" in page
    assert AuditEntry.objects.filter(action="screen:hardcopy:print").count() == 2


@pytest.mark.django_db
def test_an_unknown_screen_name_is_refused_and_nothing_is_recorded(
    make_staff: Callable[..., Any], client: Any
) -> None:
    staff = make_staff(permissions=[Permission.RESIDENT_VIEW])
    response = staff.post(
        reverse("web:screen_hardcopy"), {"screen": "青木太郎 0000019"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "screen"
    assert client.post(reverse("web:screen_hardcopy"), {"screen": "registry:lookup"}).status_code == 302
    assert staff.get(reverse("web:screen_hardcopy")).status_code == 405
    assert not AuditEntry.objects.filter(action="screen:hardcopy:print").exists()
