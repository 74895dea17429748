"""The 国籍・地域 master: Japanese names as residence cards write them."""

from __future__ import annotations

import pytest

from jumin.masters.countries import country_rows
from jumin.masters.models import Country

RESIDENCE_CARD_NAMES = {
    "156": "中国",
    "410": "韓国",
    "704": "ベトナム",
    "608": "フィリピン",
    "076": "ブラジル",
    "524": "ネパール",
    "360": "インドネシア",
    "840": "米国",
    "158": "台湾",
    "275": "パレスチナ",
    "643": "ロシア",
    "268": "ジョージア",
    "392": "日本",
}


@pytest.mark.django_db
@pytest.mark.usefixtures("loaded_masters")
@pytest.mark.parametrize(("code", "name"), sorted(RESIDENCE_CARD_NAMES.items()))
def test_countries_carry_the_names_residence_cards_use(code: str, name: str) -> None:
    assert Country.objects.get(code=code).name_ja == name


@pytest.mark.django_db
@pytest.mark.usefixtures("loaded_masters")
def test_regions_outside_iso_use_private_codes() -> None:
    stateless = Country.objects.get(name_ja="無国籍")
    assert (stateless.code, stateless.is_iso) == ("999", False)
    assert Country.objects.get(name_ja="朝鮮").code == "997"
    assert Country.objects.get(alpha_2="XK").name_ja == "コソボ"


def test_every_country_has_a_japanese_name_and_unique_codes() -> None:
    rows = country_rows()
    assert len(rows) == len({row.code for row in rows}) > 250
    for row in rows:
        assert not row.name_ja.isascii(), row
        assert len(row.code) == 3
        assert row.code.isdigit()
    iso = [row for row in rows if row.is_iso]
    assert len({row.alpha_2 for row in iso}) == len(iso)
    assert all(900 <= int(row.code) <= 999 for row in rows if not row.is_iso)
