"""Property tests for the 和暦 converter and parser (style.md: every parser and converter)."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import assume, given
from hypothesis import strategies as st

from jumin.domain.eras import Calendar, default_era_table
from jumin.domain.errors import DomainError
from jumin.domain.uncertain_dates import UNKNOWN_SENTINEL, UncertainDate, UncertainPattern
from jumin.domain.wareki import (
    DateFieldKind,
    WarekiDate,
    all_wareki_forms,
    from_seireki_lines,
    parse_date_input,
    to_wareki,
)

supported_days = st.dates(min_value=date(1873, 1, 1), max_value=date(2100, 12, 31))
wareki_dates = supported_days.flatmap(lambda day: st.sampled_from(all_wareki_forms(day)))


_YMD = ("year", "month", "day")
# The parts each pattern carries, written out again from the algorithms.md B.5 table.
_PATTERN_PARTS: dict[UncertainPattern, tuple[str, ...]] = {
    UncertainPattern.NON_CALENDAR: _YMD,
    UncertainPattern.U01: ("year",),
    UncertainPattern.U02: ("year", "month"),
    UncertainPattern.U03: _YMD,
    UncertainPattern.U04: _YMD,
    UncertainPattern.U05: ("year", "month"),
    UncertainPattern.U06: ("year",),
    UncertainPattern.U07: ("year", "month"),
    UncertainPattern.U08: ("year", "month"),
    UncertainPattern.U09: (),
    UncertainPattern.U10: ("year",),
    UncertainPattern.U11: ("year", "month"),
    UncertainPattern.U12: (*_YMD, "end_month", "end_day"),
    UncertainPattern.U13: (*_YMD, "end_day"),
    UncertainPattern.U14: (*_YMD, "end_day"),
}


@st.composite
def uncertain_dates(draw: st.DrawFn) -> UncertainDate:
    """Any pattern but EXACT, in either calendar, built through the validating constructor."""
    pattern = draw(st.sampled_from([p for p in UncertainPattern if p is not UncertainPattern.EXACT]))
    day = draw(supported_days)
    calendar = draw(st.sampled_from(Calendar))
    if calendar is Calendar.WAREKI:
        form = draw(st.sampled_from(all_wareki_forms(day)))
        era, year = form.era, form.year
    else:
        era, year = None, day.year
    parts = {
        "year": year,
        "month": day.month,
        "day": day.day if pattern is not UncertainPattern.NON_CALENDAR else draw(st.integers(29, 31)),
        "end_month": draw(st.integers(day.month, 12)),
        "end_day": draw(st.integers(day.day, 31)),
    }
    wanted = {name: value for name, value in parts.items() if name in _PATTERN_PARTS[pattern]}
    try:
        return UncertainDate.create(
            pattern,
            calendar=calendar,
            era=era if pattern is not UncertainPattern.U09 else None,
            **wanted,  # type: ignore[arg-type]
        )
    except DomainError:
        assume(False)
        raise


@given(supported_days)
def test_date_to_wareki_to_gregorian_is_the_identity(day: date) -> None:
    assert to_wareki(day).to_gregorian() == day
    assert all(form.to_gregorian() == day for form in all_wareki_forms(day))


@given(wareki_dates)
def test_parsing_a_displayed_wareki_date_gives_it_back(value: WarekiDate) -> None:
    assert parse_date_input(value.display()).value == value
    assert value.display() in from_seireki_lines(value.to_gregorian().isoformat())


@given(uncertain_dates())
def test_parsing_a_displayed_uncertain_date_gives_it_back(value: UncertainDate) -> None:
    parsed = parse_date_input(value.display(), field_kind=DateFieldKind.BIRTH, calendar=value.calendar)
    assert parsed.value == value
    assert parsed.sort_date == value.approx_date


@given(uncertain_dates())
def test_approx_date_lies_in_the_range_and_the_range_in_the_era(value: UncertainDate) -> None:
    if value.pattern is UncertainPattern.U09:
        assert value.approx_date == UNKNOWN_SENTINEL
        return
    assert value.range_start is not None
    assert value.range_end is not None
    assert value.range_start == value.approx_date <= value.range_end
    if value.era is not None:
        era = default_era_table().by_code(value.era)
        assert era.contains(value.range_start)
        assert era.contains(value.range_end)


@given(uncertain_dates())
def test_json_round_trip_restores_the_value(value: UncertainDate) -> None:
    assert UncertainDate.from_json_dict(json.loads(json.dumps(value.to_json_dict()))) == value


@given(uncertain_dates(), supported_days)
def test_a_known_age_is_the_age_at_both_ends(value: UncertainDate, reference: date) -> None:
    assume(value.range_start is not None and reference >= value.range_start)
    age = value.age_on(reference)
    if age is not None:
        assert value.range_start is not None
        assert value.range_end is not None
        assert age == reference.year - value.range_end.year - (
            (reference.month, reference.day) < (value.range_end.month, value.range_end.day)
        )


_DATE_ALPHABET = st.sampled_from(
    list(
        "令和平成昭和大正明治元年月日頃推定春夏上中下旬不詳からまでの間0123456789.-/ RrHhSsTtMmN０１２３．　"
    )
)


@given(
    st.one_of(st.text(), st.text(_DATE_ALPHABET, max_size=30)),
    st.sampled_from(DateFieldKind),
    st.sampled_from([None, "reiwa", "showa", "unknown"]),
    st.sampled_from([None, *Calendar]),
)
def test_the_parser_raises_nothing_but_domain_error(
    text: str, kind: DateFieldKind, default_era: str | None, calendar: Calendar | None
) -> None:
    refusal: DomainError | None = None
    try:
        parse_date_input(text, field_kind=kind, default_era=default_era, calendar=calendar)
    except DomainError as error:
        refusal = error
    if refusal is not None:
        assert refusal.reason
        assert refusal.remedy
        assert refusal.code
