"""The 住民票コード pool's alert level (standard 4.3.1-a)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.messaging import housekeeping
from jumin.registry.code_pool import pool_status, warn_if_low
from jumin.registry.numbering import load_code_pool, take_juminhyo_code
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_codes(db: None) -> None:
    load_code_pool([resident_code(n) for n in range(700, 704)])
    take_juminhyo_code()  # one of four taken: three unused


def test_the_menu_warns_every_clerk_below_the_level_and_names_the_remedy(
    three_codes: None, settings: Any, make_clerk: Callable[..., User]
) -> None:
    clerk = logged_in(make_clerk("menu_reader", Permission.RESIDENT_VIEW))
    settings.JUMIN_CODE_POOL_ALERT_LEVEL = 5
    page = clerk.get(reverse("registry:menu")).content.decode()
    assert "未使用の住民票コードが残り3件です（警告水準 5件）" in page
    assert "jumin cs fetch-codes" in page
    settings.JUMIN_CODE_POOL_ALERT_LEVEL = 3  # at the level: no alert
    assert "未使用の住民票コード" not in clerk.get(reverse("registry:menu")).content.decode()
    settings.JUMIN_CODE_POOL_ALERT_LEVEL = 0  # switched off, even when empty
    assert not pool_status().low


def test_the_daily_check_logs_a_warning_and_is_registered(
    three_codes: None, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.JUMIN_CODE_POOL_ALERT_LEVEL = 1000
    with caplog.at_level(logging.WARNING, logger="jumin.registry"):
        assert warn_if_low().unused == 3
    assert "残り3件（水準1000件）" in caplog.text
    assert housekeeping._jobs["registry.code_pool_alert"].kind == "municipality"


@pytest.mark.parametrize("bad", ["-1", "many", -5])
def test_a_bad_level_is_refused(settings: Any, bad: object) -> None:
    settings.JUMIN_CODE_POOL_ALERT_LEVEL = bad
    with pytest.raises(ValueError, match="0以上の整数"):
        pool_status()
