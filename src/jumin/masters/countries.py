"""Rows of the 国籍・地域 master: pycountry (ISO 3166-1) plus regions written on residence cards."""

from __future__ import annotations

import gettext
from dataclasses import dataclass

import pycountry

# Short names as residence cards and the immigration statistics write them, where pycountry's
# Japanese catalogue gives a formal, outdated or political form.
_NAME_OVERRIDES = {
    "036": "オーストラリア",  # catalogue: オーストラリア連邦
    "096": "ブルネイ",  # ブルネイ・ダルサラーム国
    "158": "台湾",  # 中国領・台湾; residence cards write 台湾
    "232": "エリトリア",  # エリトリア国
    "268": "ジョージア",  # グルジア; the Japanese government's name since 2015
    "417": "キルギス",  # キルギスタン
    "496": "モンゴル",  # モンゴル国
    "643": "ロシア",  # ロシア連邦
}


@dataclass(frozen=True)
class CountryRow:
    code: str
    alpha_2: str
    alpha_3: str
    name_ja: str
    name_en: str
    is_iso: bool = True


# Regions that are not ISO 3166-1 entries but are written as 国籍・地域, in the user-assigned
# numeric range 900–999 so they never collide with a future ISO code.
EXTRA_REGIONS = (
    # 「朝鮮」 on residence cards and special permanent resident certificates is a region
    # designation kept from the former alien registration, not a nationality of 408 北朝鮮.
    CountryRow("997", "", "", "朝鮮", "Chosen (Korea)", is_iso=False),
    # Kosovo has no ISO code; XK/XKX are the user-assigned codes the EU and ICAO use.
    CountryRow("998", "XK", "XKX", "コソボ", "Kosovo", is_iso=False),
    CountryRow("999", "", "", "無国籍", "Stateless", is_iso=False),
)


def country_rows() -> list[CountryRow]:
    """Every ISO 3166-1 country with its Japanese name, then the extra regions (standard 1.3.3-a)."""
    catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ja"])
    rows = []
    for country in pycountry.countries:
        # The common name when there is one: 韓国, not 大韓民国 (韓国); ボリビア, not ボリビア多民族国.
        english = getattr(country, "common_name", None) or country.name
        name_ja = _NAME_OVERRIDES.get(country.numeric) or catalogue.gettext(english)
        if name_ja == english:
            name_ja = catalogue.gettext(country.name)
        rows.append(CountryRow(country.numeric, country.alpha_2, country.alpha_3, name_ja, country.name))
    rows.extend(EXTRA_REGIONS)
    return rows
