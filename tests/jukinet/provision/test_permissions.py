"""The permission triple for the provision screens and API (issue 9 item 7; C-7, C-8)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.permissions import Permission as P  # noqa: N817 (keeps the table readable)
from tests.helpers.accounts import StaffClient
from tests.helpers.permission_matrix import assert_permission_triple

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "permission"),
    [
        (lambda: reverse("jukinet_provision:register"), P.PROVISION_BODY_MANAGE),
        (lambda: reverse("jukinet_provision:statistics"), P.PROVISION_STATISTICS),
        (lambda: reverse("jukinet_provision:disclosure"), P.PROVISION_DISCLOSURE),
        (lambda: "/api/jukinet/provision/bodies", P.PROVISION_BODY_MANAGE),
        (
            lambda: f"/api/jukinet/provision/statistics?since={clock.today()}&until={clock.today()}",
            P.PROVISION_STATISTICS,
        ),
    ],
)
def test_screens_and_api_need_their_permission(
    make_staff: Callable[..., StaffClient], url: Callable[[], str], permission: P
) -> None:
    assert_permission_triple(make_staff, "get", url, permission)


def test_the_individual_provision_api_needs_the_provide_permission(
    make_staff: Callable[..., StaffClient],
) -> None:
    client = make_staff([P.PROVISION_STATISTICS])
    response = client.post(
        "/api/jukinet/provision/provide",
        {"basis_id": 1, "by": "resident_code", "resident_code": "00000000000"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert (
        make_staff(anonymous=True)
        .post("/api/jukinet/provision/provide", {}, content_type="application/json")
        .status_code
        == 401
    )


def test_the_terminal_needs_the_second_factor(make_staff: Callable[..., StaffClient]) -> None:
    client = make_staff([P.PROVISION_PROVIDE], second_factor_verified=False)
    response = client.get(reverse("jukinet_provision:terminal"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:verify"))
