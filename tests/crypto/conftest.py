"""Each crypto test gets its own keyring file in a temporary directory, generated on first use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from jumin.crypto.keys import reset_keyring_cache
from jumin.domain.checkdigits import mynumber_check_digit

# A synthetic, valid 個人番号 (check digit 8) used throughout; never a real person's number.
TEST_NUMBER = "123456789018"
OTHER_NUMBER = "111111111118"


def valid_number(base11: str) -> str:
    return base11 + mynumber_check_digit(base11)


@pytest.fixture(autouse=True)
def keyring_file(tmp_path: Path, settings: Settings) -> Iterator[Path]:
    path = tmp_path / "keys" / "individual-number-keyring.json"
    settings.JUMIN_CRYPTO_KEYRING = path
    settings.JUMIN_DEMO = True
    reset_keyring_cache()
    yield path
    reset_keyring_cache()
