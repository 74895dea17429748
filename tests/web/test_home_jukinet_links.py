"""The start page links the 住基ネット screens a user may open on this node, and only those."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.permissions import Permission

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("permission", "url_name"),
    [
        (Permission.PREFECTURE_MONITOR, "jukinet_prefecture:monitor"),
        (Permission.PROVISION_PROVIDE, "jukinet_provision:terminal"),
        (Permission.PROVISION_DISCLOSURE, "jukinet_provision:disclosure"),
        (Permission.NATIONAL_MONITOR, "jukinet_national:overview"),
        (Permission.NATIONAL_FUHYO_VIEW, "jukinet_national:fuhyo_lookup"),
    ],
)
def test_home_links_a_jukinet_screen_only_with_its_permission(
    make_staff: Callable[..., Any], permission: Permission, url_name: str
) -> None:
    holder = make_staff([permission]).get(reverse("web:home")).content.decode()
    other = make_staff([Permission.AUDIT_REVIEW]).get(reverse("web:home")).content.decode()
    assert reverse(url_name) in holder
    assert reverse(url_name) not in other


@pytest.mark.parametrize(
    ("permission", "url_name"),
    [
        (Permission.RESIDENT_SEARCH, "registry:menu"),
        (Permission.RESIDENT_COMMIT, "registry:menu"),
        (Permission.SUPPORT_MEASURE_MANAGE, "registry:menu"),
        (Permission.CERTIFICATE_ISSUE, "certificates:menu"),
        (Permission.CERTIFICATE_VERIFY, "certificates:menu"),
        (Permission.NETWORK_MONITOR, "messaging:monitor"),
        (Permission.STAFF_GRANT_REPORT, "audit:holders"),
    ],
)
def test_home_links_the_menus_a_user_may_open(
    make_staff: Callable[..., Any], permission: Permission, url_name: str
) -> None:
    """Every screen is reached by links from the start page (standard 2.3.2-a), each menu only with a
    permission of its screens."""
    holder = make_staff([permission]).get(reverse("web:home")).content.decode()
    other = make_staff([Permission.HR_EVENT_RECORD]).get(reverse("web:home")).content.decode()
    assert f'href="{reverse(url_name)}"' in holder
    assert f'href="{reverse(url_name)}"' not in other


def test_home_links_the_access_log_review_to_an_auditor(make_staff: Callable[..., Any]) -> None:
    page = make_staff([Permission.AUDIT_REVIEW]).get(reverse("web:home")).content.decode()
    assert f'href="{reverse("audit:review")}"' in page
    assert f'href="{reverse("registry:menu")}"' not in page
