"""Standard 4.3.3-a: where the node is configured (``JUMIN_CODE_NOTICES_AUTO_PRINT``), the 住民票コード
notices print automatically at 本登録 (the commit page posts each notice form on load); the buttons stay
for a reprint, and each print is numbered and entered in the 交付履歴 like one from the button."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.certificates.models import Issuance
from jumin.registry.services import record_move_in
from tests.registry.conftest import PURPOSE, family_move_in, logged_in

pytestmark = pytest.mark.django_db

AUTO_FORM = re.compile(
    r'<form method="post" action="/certificates/registry-notices/change/" target="(code-notice-\d+)" '
    r"data-auto-print>(.*?)</form>",
    re.S,
)


def _committed_page(clerk: User, committer: User) -> tuple[str, list[str]]:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    page = logged_in(committer).post(
        reverse("registry:draft", args=[draft.change_id]), {"purpose": PURPOSE, "commit": "1"}
    )
    return page.content.decode(), list(draft.atena_numbers)


@override_settings(JUMIN_CODE_NOTICES_AUTO_PRINT=True)
def test_configured_the_commit_page_prints_every_code_notice_on_load_and_keeps_the_buttons(
    clerk: User, make_clerk: Callable[..., User], code_pool: list[str], certifier: Any
) -> None:
    committer = make_clerk(
        "auto-committer",
        Permission.RESIDENT_COMMIT,
        Permission.RESIDENT_VIEW,
        Permission.CERTIFICATE_NOTICE_PRINT,
    )
    content, people = _committed_page(clerk, committer)
    forms = AUTO_FORM.findall(content)
    assert [re.search(r'name="atena_number" value="([^"]+)"', body).group(1) for _, body in forms] == people  # type: ignore[union-attr]
    for target, _ in forms:
        assert f'<iframe name="{target}"' in content
    assert 'querySelectorAll("form[data-auto-print]")' in content
    assert "通知書を自動で作成しています" in content
    # What each auto-posted form asks for is the same numbered print as the button's.
    body = forms[0][1]
    change_id = re.search(r'name="change_id" value="(\d+)"', body).group(1)  # type: ignore[union-attr]
    response = logged_in(committer).post(
        reverse("certificates:change_code_notice"),
        {"purpose": PURPOSE, "change_id": change_id, "atena_number": people[0]},
    )
    assert response["Content-Type"] == "application/pdf"
    assert Issuance.objects.filter(channel="notice", subjects=[people[0]]).count() == 1


def test_not_configured_or_without_the_print_right_nothing_prints_by_itself(
    clerk: User, make_clerk: Callable[..., User], code_pool: list[str], certifier: Any
) -> None:
    committer = make_clerk(
        "button-committer",
        Permission.RESIDENT_COMMIT,
        Permission.RESIDENT_VIEW,
        Permission.CERTIFICATE_NOTICE_PRINT,
    )
    content, _ = _committed_page(clerk, committer)
    assert "data-auto-print" not in content
    assert "通知書を作成" in content
    with override_settings(JUMIN_CODE_NOTICES_AUTO_PRINT=True):
        reviewer_only = make_clerk("reviewer-only", Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW)
        content, _ = _committed_page(clerk, reviewer_only)
    assert "data-auto-print" not in content
    assert "通知書の作成権限がありません" in content
