"""Non-calendar (B.4) and unknown/approximate (B.5) dates."""

from __future__ import annotations

import json
from datetime import date

import pytest

from jumin.domain.eras import Calendar
from jumin.domain.errors import DomainError
from jumin.domain.uncertain_dates import (
    UNKNOWN_SENTINEL,
    Jun,
    Season,
    UncertainDate,
    UncertainPattern,
    age_in_years,
)
from jumin.domain.wareki import DateFieldKind, parse_date_input


def _uncertain(text: str, **kwargs: object) -> UncertainDate:
    parsed = parse_date_input(text, field_kind=DateFieldKind.BIRTH, **kwargs)  # type: ignore[arg-type]
    assert isinstance(parsed.value, UncertainDate)
    assert parsed.sort_date == parsed.value.approx_date
    return parsed.value


# --- B.4 non-calendar dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "sort_date"),
    [
        pytest.param("令和3年2月29日", DateFieldKind.BIRTH, date(2021, 2, 28), id="NC-1"),
        pytest.param("平成5年4月31日", DateFieldKind.EVENT_DEATH, date(1993, 4, 30), id="NC-2"),
    ],
)
def test_non_calendar_day_is_stored_as_entered_and_sorted_on_the_months_last_day(
    text: str, kind: DateFieldKind, sort_date: date
) -> None:
    parsed = parse_date_input(text, field_kind=kind)
    assert isinstance(parsed.value, UncertainDate)
    assert parsed.value.pattern is UncertainPattern.NON_CALENDAR
    assert parsed.value.display() == text
    assert parsed.sort_date == sort_date
    assert [alert.code for alert in parsed.alerts] == ["wareki.non_calendar_date"]


def test_nc_3_a_non_calendar_notification_date_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("令和3年2月29日", field_kind=DateFieldKind.NOTIFICATION)
    assert caught.value.code == "wareki.not_a_calendar_date"


@pytest.mark.parametrize(
    "kind",
    [
        DateFieldKind.BIRTH,
        DateFieldKind.BECAME_RESIDENT,
        DateFieldKind.ADDRESS_SET,
        DateFieldKind.BECAME_FOREIGN_RESIDENT,
        DateFieldKind.EVENT_BIRTH,
        DateFieldKind.EVENT_DEATH,
        DateFieldKind.EVENT_DISAPPEARANCE,
    ],
)
def test_every_b4_field_accepts_non_calendar_and_unknown_dates(kind: DateFieldKind) -> None:
    assert kind.allows_non_calendar
    assert kind.allows_uncertain
    assert parse_date_input("令和3年2月29日", field_kind=kind).alerts


@pytest.mark.parametrize(
    "kind", [DateFieldKind.NOTIFICATION, DateFieldKind.RESIDENCE_EXPIRY, DateFieldKind.OTHER]
)
def test_other_fields_refuse_unknown_dates(kind: DateFieldKind) -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("令和2年頃", field_kind=kind)
    assert caught.value.code == "wareki.uncertain_not_allowed"


def test_non_calendar_day_in_seireki_keeps_the_gregorian_calendar() -> None:
    value = _uncertain("2021-02-29")
    assert (value.calendar, value.era, value.display()) == (Calendar.GREGORIAN, None, "2021年2月29日")


def test_non_calendar_day_outside_its_era_is_refused_with_the_correct_form() -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("昭和64年2月30日", field_kind=DateFieldKind.BIRTH)
    assert caught.value.code == "wareki.after_era_end"
    assert "平成元年2月30日" in caught.value.remedy


# --- B.5 the 14 patterns ----------------------------------------------------------------------------

UD_ROWS = [
    pytest.param("U01", "令和2年頃", "2020-01-01", "2020-12-31", "2020-01-01", id="UD-1"),
    pytest.param("U02", "令和2年5月頃", "2020-05-01", "2020-05-31", "2020-05-01", id="UD-2"),
    pytest.param("U03", "令和2年5月10日頃", "2020-05-10", "2020-05-10", "2020-05-10", id="UD-3"),
    pytest.param("U04", "推定令和2年5月10日", "2020-05-10", "2020-05-10", "2020-05-10", id="UD-4"),
    pytest.param("U05", "推定令和2年5月", "2020-05-01", "2020-05-31", "2020-05-01", id="UD-5"),
    pytest.param("U06", "令和2年春", "2020-03-01", "2020-05-31", "2020-03-01", id="UD-6"),
    pytest.param("U07", "令和2年5月上旬", "2020-05-01", "2020-05-10", "2020-05-01", id="UD-7"),
    pytest.param("U08", "令和2年5月中旬頃", "2020-05-11", "2020-05-20", "2020-05-11", id="UD-8"),
    pytest.param("U09", "年月日不詳", None, None, "9999-12-31", id="UD-9"),
    pytest.param("U10", "令和2年 月日不詳", "2020-01-01", "2020-12-31", "2020-01-01", id="UD-10"),
    pytest.param("U11", "令和2年5月 日不詳", "2020-05-01", "2020-05-31", "2020-05-01", id="UD-11"),
    pytest.param(
        "U12", "令和2年5月10日から6月3日頃までの間", "2020-05-10", "2020-06-03", "2020-05-10", id="UD-12"
    ),
    pytest.param(
        "U13", "令和2年5月推定10日から15日までの間", "2020-05-10", "2020-05-15", "2020-05-10", id="UD-13"
    ),
    pytest.param(
        "U14", "令和2年5月10日頃から15日頃までの間", "2020-05-10", "2020-05-15", "2020-05-10", id="UD-14"
    ),
]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@pytest.mark.parametrize(("code", "text", "start", "end", "approx"), UD_ROWS)
def test_each_of_the_14_patterns_parses_to_its_range_and_displays_as_entered(
    code: str, text: str, start: str | None, end: str | None, approx: str
) -> None:
    value = _uncertain(text)
    assert value.pattern == UncertainPattern(code)
    assert (_iso(value.range_start), _iso(value.range_end), value.approx_date.isoformat()) == (
        start,
        end,
        approx,
    )
    assert value.display() == text


@pytest.mark.parametrize(("code", "text", "start", "end", "approx"), UD_ROWS)
def test_each_pattern_survives_a_json_round_trip(
    code: str, text: str, start: str | None, end: str | None, approx: str
) -> None:
    value = _uncertain(text)
    data = json.loads(json.dumps(value.to_json_dict()))
    assert data["pattern"] == code
    assert data["display"] == text
    assert UncertainDate.from_json_dict(data) == value


def test_season_and_jun_follow_from_the_pattern() -> None:
    assert _uncertain("令和2年春").season is Season.SPRING
    assert _uncertain("令和2年5月上旬").jun is Jun.EARLY
    assert _uncertain("令和2年5月中旬頃").jun is Jun.MIDDLE
    assert _uncertain("年月日不詳").approx_date == UNKNOWN_SENTINEL


def test_unknown_date_spaces_may_be_omitted_or_full_width() -> None:
    assert _uncertain("令和2年月日不詳") == _uncertain("令和2年 月日不詳") == _uncertain("令和２年　月日不詳")
    assert _uncertain("令和2年5月日不詳") == _uncertain("令和2年5月 日不詳")


# --- B.5 edge cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        pytest.param("平成31年頃", date(2019, 1, 1), date(2019, 4, 30), id="UD-E1"),
        pytest.param("令和元年 月日不詳", date(2019, 5, 1), date(2019, 12, 31), id="UD-E2"),
        pytest.param("昭和64年頃", date(1989, 1, 1), date(1989, 1, 7), id="UD-E3"),
    ],
)
def test_the_range_is_clipped_to_the_era(text: str, start: date, end: date) -> None:
    value = _uncertain(text)
    assert (value.range_start, value.range_end, value.approx_date) == (start, end, start)


def test_ud_e4_a_range_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("令和2年5月10日から5月3日頃までの間", field_kind=DateFieldKind.BIRTH)
    assert caught.value.code == "wareki.range_end_before_start"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("令和2年5月下旬", id="UD-E5"),
        pytest.param("令和2年夏", id="UD-E5-summer"),
        pytest.param("令和2年5月上旬頃", id="UD-E5-early-about"),
        pytest.param("令和2年5月中旬", id="UD-E5-middle-without-about"),
    ],
)
def test_ud_e5_combinations_outside_the_14_patterns_are_rejected(text: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input(text, field_kind=DateFieldKind.BIRTH)
    assert caught.value.code == "wareki.unsupported_uncertain_pattern"


@pytest.mark.parametrize(
    ("text", "age"),
    [
        pytest.param("令和2年頃", None, id="UD-E6"),
        pytest.param("令和2年5月頃", 5, id="UD-E7"),
    ],
)
def test_an_age_is_known_only_when_equal_at_both_ends_of_the_range(text: str, age: int | None) -> None:
    assert _uncertain(text).age_on(date(2025, 6, 1)) == age


def test_age_is_unknown_for_year_month_day_unknown_and_when_birth_may_follow_the_reference() -> None:
    assert _uncertain("年月日不詳").age_on(date(2025, 6, 1)) is None
    assert _uncertain("令和2年5月頃").age_on(date(2020, 5, 15)) is None
    with pytest.raises(DomainError):
        _uncertain("令和2年5月頃").age_on(date(2020, 4, 30))


def test_age_in_years_counts_the_birthday_as_reached() -> None:
    assert age_in_years(date(2000, 6, 1), date(2025, 5, 31)) == 24
    assert age_in_years(date(2000, 6, 1), date(2025, 6, 1)) == 25


def test_ud_e8_seireki_years_for_foreign_residents() -> None:
    value = _uncertain("2020年頃", calendar=Calendar.GREGORIAN)
    assert (value.calendar, value.era, value.year) == (Calendar.GREGORIAN, None, 2020)
    assert (value.range_start, value.range_end) == (date(2020, 1, 1), date(2020, 12, 31))
    assert value.display() == "2020年頃"


def test_seireki_patterns_other_than_about_a_year_also_work() -> None:
    assert _uncertain("2020年5月上旬").display() == "2020年5月上旬"
    assert _uncertain("年月日不詳", calendar=Calendar.GREGORIAN).calendar is Calendar.GREGORIAN


def test_a_pattern_wholly_outside_its_era_suggests_the_same_pattern_in_the_right_era() -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("平成32年頃", field_kind=DateFieldKind.BIRTH)
    assert caught.value.code == "wareki.after_era_end"
    assert "令和2年頃" in caught.value.remedy
    with pytest.raises(DomainError) as caught:
        parse_date_input("大正元年7月上旬", field_kind=DateFieldKind.BIRTH)
    assert caught.value.code == "wareki.before_era_start"
    assert "明治45年7月上旬" in caught.value.remedy


def test_a_range_crossing_the_era_end_is_clipped() -> None:
    value = _uncertain("平成31年4月20日から5月3日頃までの間")
    assert (value.range_start, value.range_end) == (date(2019, 4, 20), date(2019, 4, 30))


def test_a_day_inside_a_pattern_must_exist() -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("令和3年2月29日頃", field_kind=DateFieldKind.BIRTH)
    assert caught.value.code == "wareki.not_a_calendar_date"


def test_seireki_years_before_min_supported_date_are_refused() -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("1872年頃", field_kind=DateFieldKind.BIRTH)
    assert caught.value.code == "wareki.before_min_supported"


# --- structure ----------------------------------------------------------------------------------------


def test_create_builds_exact_values_too() -> None:
    value = UncertainDate.create(UncertainPattern.EXACT, era="reiwa", year=1, month=5, day=1)
    assert (value.display(), value.range_start, value.approx_date) == (
        "令和元年5月1日",
        date(2019, 5, 1),
        date(2019, 5, 1),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param(
            {"pattern": UncertainPattern.U01, "era": "reiwa", "year": 2, "month": 5}, id="extra-month"
        ),
        pytest.param({"pattern": UncertainPattern.U02, "era": "reiwa", "year": 2}, id="missing-month"),
        pytest.param({"pattern": UncertainPattern.U01, "year": 2}, id="wareki-without-era"),
        pytest.param(
            {"pattern": UncertainPattern.U01, "calendar": Calendar.GREGORIAN, "era": "reiwa", "year": 2020},
            id="seireki-with-era",
        ),
        pytest.param(
            {"pattern": UncertainPattern.NON_CALENDAR, "era": "reiwa", "year": 2, "month": 2, "day": 29},
            id="non-calendar-that-exists",
        ),
    ],
)
def test_create_refuses_parts_that_do_not_fit_the_pattern(kwargs: dict[str, object]) -> None:
    with pytest.raises(DomainError):
        UncertainDate.create(**kwargs)  # type: ignore[arg-type]


def test_the_constructor_refuses_inconsistent_stored_fields() -> None:
    good = _uncertain("令和2年5月頃").to_json_dict()
    for broken in (
        {**good, "pattern": "U15"},
        {**good, "month": None},
        {**good, "approx_date": "2020-05-02"},
        {**good, "range_end": "2020-04-01"},
        {**good, "year": "2"},
        {**good, "year": True},
        {**good, "jun": "LATE"},
        {**good, "range_start": "2020/05/01"},
        {**good, "extra": 1},
        {key: value for key, value in good.items() if key != "era"},
        {**good, "era": None},
        {**good, "season": "SPRING"},
    ):
        with pytest.raises(DomainError) as caught:
            UncertainDate.from_json_dict(broken)
        assert caught.value.code == "uncertain_date.inconsistent"


def test_stored_values_are_restored_without_rederiving_the_range() -> None:
    """B.3: a value stored before an era change keeps its stored range."""
    stored = {**_uncertain("令和2年頃").to_json_dict(), "range_end": "2020-06-30"}
    assert UncertainDate.from_json_dict(stored).range_end == date(2020, 6, 30)
