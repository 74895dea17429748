"""Loading the masters into the database: real facts, repeatability, retirement of vanished rows."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from jumin.domain.checkdigits import validate_lgcode
from jumin.masters.loading import LoadSummary, load_masters
from jumin.masters.models import AddressArea, Country, Municipality, Prefecture
from tests.masters.conftest import LOADED_PREFECTURES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loaded_masters")]


def table_counts() -> tuple[int, int, int, int]:
    return (
        Prefecture.objects.count(),
        Municipality.objects.count(),
        AddressArea.objects.count(),
        Country.objects.count(),
    )


def test_sasebo_is_422029_in_nagasaki_with_its_reading() -> None:
    sasebo = Municipality.objects.select_related("prefecture").get(code="422029")
    assert (sasebo.name, sasebo.kana, sasebo.body) == ("佐世保市", "サセボシ", "42202")
    assert (sasebo.prefecture.code, sasebo.prefecture.name, sasebo.prefecture.kana) == (
        "42",
        "長崎県",
        "ナガサキケン",
    )


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("131016", "千代田区"),
        ("131041", "新宿区"),
        ("141500", "相模原市"),
        ("011002", "札幌市"),
        ("271403", "堺市"),
    ],
)
def test_the_spec_municipalities_exist_with_verified_check_digits(code: str, name: str) -> None:
    municipality = Municipality.objects.get(code=code)
    assert municipality.name == name
    assert validate_lgcode(municipality.code) == code


def test_designated_cities_exist_and_own_their_wards() -> None:
    sapporo = Municipality.objects.get(code="011002")
    assert sapporo.is_designated_city
    assert sapporo.wards.count() == 10
    chuo = Municipality.objects.get(name="札幌市中央区")
    assert chuo.is_designated_city_ward
    assert chuo.parent_id == "011002"
    assert set(Municipality.objects.filter(is_designated_city=True).values_list("name", flat=True)) == {
        "札幌市",
        "横浜市",
        "川崎市",
        "相模原市",
        "大阪市",
        "堺市",
    }


def test_every_loaded_municipality_code_verifies() -> None:
    for code in Municipality.objects.values_list("code", flat=True):
        assert validate_lgcode(code) == code


def test_postal_code_8570044_is_aioi_cho_in_sasebo() -> None:
    area = AddressArea.objects.select_related("municipality__prefecture").get(postal_code="8570044")
    assert (area.municipality.prefecture.name, area.municipality.name, area.name) == (
        "長崎県",
        "佐世保市",
        "相生町",
    )
    assert area.kana == "アイオイチョウ"
    assert area.address_code.startswith("42202")
    assert area.address_code.endswith("000")
    assert area.source == AddressArea.Source.POSTAL


def test_only_the_chosen_prefectures_are_loaded() -> None:
    assert sorted(Prefecture.objects.values_list("code", flat=True)) == LOADED_PREFECTURES


def test_the_summary_counts_what_was_loaded(loaded_masters: LoadSummary) -> None:
    assert loaded_masters.prefectures.total == len(LOADED_PREFECTURES)
    assert loaded_masters.municipalities.total == Municipality.objects.count()
    assert loaded_masters.areas.total == AddressArea.objects.count()
    assert loaded_masters.designated_cities == 6
    assert any("町字" in line for line in loaded_masters.lines())


def test_a_second_load_changes_nothing_and_creates_no_duplicates() -> None:
    before = table_counts()
    summary = load_masters(LOADED_PREFECTURES)
    assert table_counts() == before
    for table in (summary.prefectures, summary.municipalities, summary.areas, summary.countries):
        assert (table.created, table.updated, table.retired) == (0, 0, 0)


def test_a_reload_restores_edited_postal_entries() -> None:
    AddressArea.objects.filter(postal_code="8570044").update(kana="アイオイマチ")
    summary = load_masters(["42"])
    assert summary.areas.updated == 1
    assert AddressArea.objects.get(postal_code="8570044").kana == "アイオイチョウ"


def test_entries_gone_from_the_postal_data_are_retired_not_deleted() -> None:
    sasebo = Municipality.objects.get(code="422029")
    gone = AddressArea.objects.create(
        municipality=sasebo,
        postal_code="8570999",
        name="廃止町",
        kana="ハイシマチ",
        address_code="42202999000",
        source=AddressArea.Source.POSTAL,
    )
    summary = load_masters(["42"])
    assert summary.areas.retired == 1
    gone.refresh_from_db()
    assert not gone.is_current


def test_entries_staff_added_survive_a_reload() -> None:
    sasebo = Municipality.objects.get(code="422029")
    staff = AddressArea.objects.create(
        municipality=sasebo, postal_code="8570999", name="新町", kana="シンマチ", address_code="42202998000"
    )
    load_masters(["42"])
    staff.refresh_from_db()
    assert staff.is_current
    assert staff.source == AddressArea.Source.STAFF


def test_the_command_prints_a_summary_and_is_silent_with_quiet() -> None:
    out = io.StringIO()
    call_command("load_masters", "--prefecture", "42", stdout=out)
    assert "市区町村: 21件" in out.getvalue()
    assert "新規 0" in out.getvalue()
    quiet = io.StringIO()
    call_command("load_masters", "--prefecture", "42", "--quiet", stdout=quiet)
    assert quiet.getvalue() == ""


def test_the_command_refuses_a_malformed_prefecture_code() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("load_masters", "--prefecture", "4")
