"""Clerk input forms and the CLI helpers (algorithms.md B.2 rule 5, B.4, B.5)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from jumin.domain.eras import Calendar
from jumin.domain.errors import DomainError
from jumin.domain.uncertain_dates import UncertainDate, UncertainPattern
from jumin.domain.wareki import (
    DateFieldKind,
    WarekiDate,
    from_seireki_lines,
    parse_date_input,
    to_seireki_text,
)

REIWA_5_4_1 = WarekiDate("reiwa", 5, 4, 1)


@pytest.mark.parametrize(
    "text",
    [
        "令和5年4月1日",
        "R5.4.1",
        "r5.4.1",
        "R05.04.01",
        "R5/4/1",
        "R5-4-1",
        "令和5.4.1",
        "R5年4月1日",
        "令和０５年０４月０１日",
        "Ｒ５．４．１",
        "　令和5年4月1日 ",
        "令和 5年 4月 1日",
        "㋿5年4月1日",
    ],
)
def test_wareki_input_forms_are_accepted(text: str) -> None:
    assert parse_date_input(text).value == REIWA_5_4_1


@pytest.mark.parametrize("text", ["令和元年5月1日", "令和1年5月1日", "R1.5.1", "R元.5.1", "r01.05.01"])
def test_gannen_and_year_one_are_the_same(text: str) -> None:
    assert parse_date_input(text).value == WarekiDate("reiwa", 1, 5, 1)


@pytest.mark.parametrize(
    "text", ["2023-04-01", "2023/4/1", "2023年4月1日", "20230401", "２０２３－０４－０１", "2023.4.1"]
)
def test_seireki_input_forms_are_accepted_as_dates(text: str) -> None:
    parsed = parse_date_input(text)
    assert parsed.value == date(2023, 4, 1)
    assert parsed.sort_date == date(2023, 4, 1)


@pytest.mark.parametrize("default_era", ["reiwa", "令和", "R"])
def test_a_bare_date_needs_an_era_chosen(default_era: str) -> None:
    assert parse_date_input("5.4.1", default_era=default_era).value == REIWA_5_4_1
    assert parse_date_input("5年4月1日", default_era=default_era).value == REIWA_5_4_1


def test_a_bare_date_without_an_era_asks_for_the_era() -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("5.4.1")
    assert caught.value.code == "wareki.era_required"


def test_an_explicit_era_wins_over_the_default_era() -> None:
    assert parse_date_input("H31.4.30", default_era="reiwa").value == WarekiDate("heisei", 31, 4, 30)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "wareki.empty"),
        ("   ", "wareki.empty"),
        ("令和5年13月1日", "wareki.invalid_month"),
        ("令和5年0月1日", "wareki.invalid_month"),
        ("令和5年4月32日", "wareki.invalid_day"),
        ("令和5年4月0日", "wareki.invalid_day"),
        ("令和0年4月1日", "wareki.invalid_year"),
        ("令和2023年4月1日", "wareki.invalid_year"),
        ("0000-01-01", "wareki.invalid_year"),
        ("令和5年4月31日", "wareki.not_a_calendar_date"),
        ("2023-02-29", "wareki.not_a_calendar_date"),
        ("1872-12-31", "wareki.before_min_supported"),
        ("R5.4/1", "wareki.unrecognized"),
        ("X5.4.1", "wareki.unrecognized"),
        ("2023 0401", "wareki.unrecognized"),
        ("2023-4", "wareki.unrecognized"),
        ("令和4年4月", "wareki.unrecognized"),
        ("慶応4年1月1日", "wareki.unrecognized"),
        ("昨日", "wareki.unrecognized"),
        ("R5.4.1" * 20, "wareki.unrecognized"),
        ("令和2年頃", "wareki.uncertain_not_allowed"),
    ],
)
def test_anything_else_is_refused_with_a_stable_code_and_without_echoing_the_input(
    text: str, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input(text)
    assert caught.value.code == code
    assert caught.value.field == "date"
    assert caught.value.reason
    assert caught.value.remedy
    if text.strip():
        assert text.strip() not in str(caught.value)


def test_errors_name_the_field_of_the_kind_or_the_given_field() -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("昨日", field_kind=DateFieldKind.BIRTH)
    assert caught.value.field == "birth_date"
    with pytest.raises(DomainError) as caught:
        parse_date_input("昨日", field="moved_in_on")
    assert caught.value.field == "moved_in_on"


# --- the field's recording calendar ------------------------------------------------------------------


def test_exact_days_are_converted_to_the_fields_calendar() -> None:
    assert parse_date_input("2023-04-01", calendar=Calendar.WAREKI).value == REIWA_5_4_1
    assert parse_date_input("1912-07-30", calendar=Calendar.WAREKI).value == WarekiDate("taisho", 1, 7, 30)
    assert parse_date_input("令和5年4月1日", calendar=Calendar.GREGORIAN).value == date(2023, 4, 1)


@pytest.mark.parametrize(
    ("text", "calendar"),
    [
        ("令和2年頃", Calendar.GREGORIAN),
        ("2020年頃", Calendar.WAREKI),
        ("令和3年2月29日", Calendar.GREGORIAN),
        ("2021-02-29", Calendar.WAREKI),
    ],
)
def test_unknown_and_non_calendar_dates_must_be_entered_in_the_fields_calendar(
    text: str, calendar: Calendar
) -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input(text, field_kind=DateFieldKind.BIRTH, calendar=calendar)
    assert caught.value.code == "wareki.calendar_mismatch"


def test_unknown_dates_accept_the_default_era() -> None:
    value = parse_date_input("2年頃", field_kind=DateFieldKind.BIRTH, default_era="reiwa").value
    assert isinstance(value, UncertainDate)
    assert value.display() == "令和2年頃"


# --- CLI helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("令和5年4月1日", "2023-04-01"),
        ("明治45年7月30日", "1912-07-30"),
        ("R1.5.1", "2019-05-01"),
        ("2023/4/1", "2023-04-01"),
    ],
)
def test_to_seireki_text_gives_iso_for_exact_days(text: str, iso: str) -> None:
    assert to_seireki_text(text) == iso


def test_to_seireki_text_gives_the_structured_unknown_value_as_json() -> None:
    data = json.loads(to_seireki_text("令和2年5月中旬頃"))
    assert data["pattern"] == "U08"
    assert (data["range_start"], data["range_end"], data["approx_date"]) == (
        "2020-05-11",
        "2020-05-20",
        "2020-05-11",
    )
    assert data["display"] == "令和2年5月中旬頃"
    assert UncertainDate.from_json_dict(data).pattern is UncertainPattern.U08
    assert json.loads(to_seireki_text("令和3年2月29日"))["pattern"] == "NON_CALENDAR"


def test_to_seireki_text_refuses_invalid_input() -> None:
    with pytest.raises(DomainError):
        to_seireki_text("平成31年5月1日")


@pytest.mark.parametrize(
    ("iso", "lines"),
    [
        ("1912-07-30", ["大正元年7月30日", "明治45年7月30日"]),
        ("1926-12-25", ["昭和元年12月25日", "大正15年12月25日"]),
        ("2019-05-01", ["令和元年5月1日"]),
        (" 2023-04-01\n", ["令和5年4月1日"]),
    ],
)
def test_from_seireki_lines_lists_every_valid_wareki_spelling(iso: str, lines: list[str]) -> None:
    assert from_seireki_lines(iso) == lines


@pytest.mark.parametrize(
    ("iso", "code"),
    [
        ("2019-5-1", "wareki.invalid_iso_date"),
        ("令和元年5月1日", "wareki.invalid_iso_date"),
        ("2021-02-29", "wareki.not_a_calendar_date"),
        ("2021-13-01", "wareki.invalid_month"),
        ("1872-12-31", "wareki.before_min_supported"),
    ],
)
def test_from_seireki_lines_refuses_anything_but_a_real_iso_day(iso: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        from_seireki_lines(iso)
    assert caught.value.code == code
