"""Master lookups clerks use: postal code, kana drill-down, the node's name, countries."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from jumin.masters.models import Municipality
from jumin.masters.selectors import (
    addresses_by_kana_prefixes,
    addresses_by_postal_code,
    countries,
    municipality_by_code,
    node_municipality_name,
    normalize_kana,
    normalize_postal_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loaded_masters")]


def test_the_node_municipality_name_is_sasebo_for_the_default_node_code(settings: Settings) -> None:
    assert settings.JUMIN_NODE_CODE == "422029"
    assert node_municipality_name() == "佐世保市"


def test_the_node_municipality_name_is_empty_for_an_unknown_code(settings: Settings) -> None:
    settings.JUMIN_NODE_CODE = "999999"
    assert node_municipality_name() == ""


def test_a_municipality_is_found_by_its_six_digit_code() -> None:
    sakai = municipality_by_code("271403")
    assert sakai is not None
    assert sakai.name == "堺市"
    assert municipality_by_code("27140") is None


def test_a_postal_code_fills_in_the_address() -> None:
    (candidate,) = addresses_by_postal_code("8570044")
    assert candidate.name == "長崎県佐世保市相生町"
    assert candidate.kana == "ナガサキケンサセボシアイオイチョウ"
    assert candidate.postal_code == "8570044"
    assert candidate.address_code.startswith("42202")


@pytest.mark.parametrize("typed", ["857-0044", "〒857-0044", "８５７－００４４", " 8570044 "])
def test_postal_codes_are_accepted_as_clerks_type_them(typed: str) -> None:
    assert [c.name for c in addresses_by_postal_code(typed)] == ["長崎県佐世保市相生町"]


def test_a_municipality_wide_postal_code_offers_the_municipality() -> None:
    (candidate,) = addresses_by_postal_code("8570000")
    assert candidate.area is None
    assert candidate.name == "長崎県佐世保市"


def test_a_postal_code_shared_by_several_towns_offers_each() -> None:
    # 0600042 大通西 1〜19丁目; a code with several 町域 lists them all.
    names = {c.name for c in addresses_by_postal_code("0600042")}
    assert names == {"北海道札幌市中央区大通西"}


def test_malformed_or_unknown_postal_codes_offer_nothing() -> None:
    assert addresses_by_postal_code("857004") == []
    assert addresses_by_postal_code("abcdefg") == []
    assert addresses_by_postal_code("0000000") == []


def test_kana_prefixes_nagasaki_sasebo_offer_sasebo_city() -> None:
    candidates = addresses_by_kana_prefixes(["ナガサキ", "サセボ"])
    assert [c.name for c in candidates] == ["長崎県佐世保市"]
    assert candidates[0].postal_code == "8570000"


def test_kana_prefixes_accept_hiragana_and_half_width_kana() -> None:
    assert [c.name for c in addresses_by_kana_prefixes(["ながさき", "ｻｾﾎﾞ"])] == ["長崎県佐世保市"]


def test_three_kana_prefixes_narrow_down_to_the_oaza() -> None:
    candidates = addresses_by_kana_prefixes(["ナ", "サセボ", "アイオイ"])
    assert "長崎県佐世保市相生町" in {c.name for c in candidates}
    assert all(c.area is not None and c.area.kana.startswith("アイオイ") for c in candidates)


def test_to_hi_shi_offers_shinmei_in_hino_tokyo_as_in_the_standard() -> None:
    names = {c.name for c in addresses_by_kana_prefixes(["ト", "ヒ", "シ"])}
    assert "東京都日野市神明" in names
    assert all(name.startswith("東京都") for name in names)  # only 東京都 of the loaded prefectures reads ト…


def test_one_prefix_offers_prefectures() -> None:
    assert [c.name for c in addresses_by_kana_prefixes(["ホッ"])] == ["北海道"]


def test_a_county_reading_also_finds_its_towns() -> None:
    names = {c.name for c in addresses_by_kana_prefixes(["ナガサキ", "ヒガシソノギ"])}
    assert names == {"長崎県東彼杵郡東彼杵町", "長崎県東彼杵郡川棚町", "長崎県東彼杵郡波佐見町"}


def test_designated_cities_are_not_offered_but_their_wards_are() -> None:
    names = {c.name for c in addresses_by_kana_prefixes(["ホッカイドウ", "サッポロ"])}
    assert "北海道札幌市中央区" in names
    assert "北海道札幌市" not in names
    assert len(names) == 10


def test_empty_prefixes_offer_nothing_and_too_many_levels_are_refused() -> None:
    assert addresses_by_kana_prefixes([]) == []
    assert addresses_by_kana_prefixes(["ナガサキ", ""]) == []
    with pytest.raises(ValueError, match="3段階"):
        addresses_by_kana_prefixes(["ナ", "サ", "ア", "イ"])


def test_retired_municipalities_are_not_offered() -> None:
    Municipality.objects.filter(code="422029").update(is_current=False)
    assert addresses_by_kana_prefixes(["ナガサキ", "サセボ"]) == []


def test_normalisers() -> None:
    assert normalize_kana("とう きょう") == "トウキョウ"
    assert normalize_postal_code("１００-０００１") == "1000001"
    assert normalize_postal_code("100-00011") == ""


def test_countries_list_iso_countries_first_and_end_with_stateless() -> None:
    listed = list(countries())
    assert listed[0].is_iso
    assert listed[-1].name_ja == "無国籍"
