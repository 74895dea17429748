"""端末管理: the CS-terminal flag (生体認証のみ, C-4) at registration, in the list and as a toggle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import Terminal
from jumin.accounts.permissions import Permission as P  # noqa: N817
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import make_terminal
from tests.helpers.permission_matrix import assert_permission_triple

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_staff: Callable[..., Any]) -> Any:
    return make_staff([P.TERMINAL_MANAGE])


def test_registering_with_the_box_ticked_makes_a_cs_terminal_shown_in_the_list(admin: Any) -> None:
    response = admin.post(
        reverse("web:terminal_register"), {"terminal_id": "CS-10", "name": "統合端末", "biometric_only": "on"}
    )
    assert response.status_code == 302
    assert Terminal.objects.get(terminal_id="CS-10").biometric_only
    admin.post(reverse("web:terminal_register"), {"terminal_id": "W-10", "name": "窓口"})
    assert not Terminal.objects.get(terminal_id="W-10").biometric_only
    body = admin.get(reverse("web:terminals")).content.decode()
    cs_row = body[body.index("<td>CS-10</td>") : body.index("</tr>", body.index("<td>CS-10</td>"))]
    w_row = body[body.index("<td>W-10</td>") : body.index("</tr>", body.index("<td>W-10</td>"))]
    assert "CS端末（生体認証のみ）" in cs_row
    assert "CS端末の指定を解除" in cs_row
    assert "通常端末" in w_row
    assert "CS端末に指定" in w_row
    assert 'name="biometric_only"' in body  # the checkbox of the registration form


def test_reissuing_a_code_without_the_box_keeps_the_flag(admin: Any) -> None:
    admin.post(
        reverse("web:terminal_register"), {"terminal_id": "CS-11", "name": "統合端末", "biometric_only": "on"}
    )
    admin.post(reverse("web:terminal_register"), {"terminal_id": "CS-11", "name": "統合端末"})
    assert Terminal.objects.get(terminal_id="CS-11").biometric_only


def test_the_toggle_sets_and_clears_the_flag_and_each_change_is_audited(admin: Any) -> None:
    make_terminal("T-20")
    url = reverse("web:terminal_biometric")
    response = admin.post(url, {"terminal_id": "T-20", "biometric_only": "on"}, follow=True)
    assert Terminal.objects.get(terminal_id="T-20").biometric_only
    assert "CS端末に指定しました" in response.content.decode()
    admin.post(url, {"terminal_id": "T-20", "biometric_only": "off"})
    assert not Terminal.objects.get(terminal_id="T-20").biometric_only
    entries = AuditEntry.objects.filter(
        action=AuditAction.TERMINAL_REGISTRATION_CHANGE, outcome="done", subject_id="T-20"
    ).order_by("seq")
    assert [e.outcome_reason for e in entries] == ["biometric_only=on", "biometric_only=off"]
    assert all(e.actor_id == admin.user.pk for e in entries)


def test_a_missing_or_odd_value_never_clears_the_flag(admin: Any) -> None:
    make_terminal("T-21")
    Terminal.objects.filter(terminal_id="T-21").update(biometric_only=True)
    for data in ({"terminal_id": "T-21"}, {"terminal_id": "T-21", "biometric_only": "yes"}):
        response = admin.post(reverse("web:terminal_biometric"), data, follow=True)
        assert "入力内容に誤りがあります" in response.content.decode()
    assert Terminal.objects.get(terminal_id="T-21").biometric_only


def test_an_unknown_terminal_is_refused_with_the_remedy(admin: Any) -> None:
    response = admin.post(
        reverse("web:terminal_biometric"), {"terminal_id": "NOPE", "biometric_only": "on"}, follow=True
    )
    assert "端末管理の一覧で端末IDを確認してください" in response.content.decode()


def test_the_toggle_permission_triple(make_staff: Callable[..., Any]) -> None:
    make_terminal("T-22")
    assert_permission_triple(
        make_staff,
        "post",
        reverse("web:terminal_biometric"),
        P.TERMINAL_MANAGE,
        data={"terminal_id": "T-22", "biometric_only": "on"},
    )
    assert Terminal.objects.get(terminal_id="T-22").biometric_only


def test_the_registration_with_the_flag_permission_triple(make_staff: Callable[..., Any]) -> None:
    serial = iter(range(100))
    assert_permission_triple(
        make_staff,
        "post",
        reverse("web:terminal_register"),
        P.TERMINAL_MANAGE,
        data=lambda: {"terminal_id": f"CS-3{next(serial)}", "name": "統合端末", "biometric_only": "on"},
    )
    assert list(Terminal.objects.filter(biometric_only=True).values_list("terminal_id", flat=True)) == [
        "CS-32"
    ]
