"""``recorded_dates.display`` of a 西暦 day is the canonical 和暦 spelling (algorithms.md B.2 rules 2–3)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from jumin.domain import recorded_dates
from jumin.domain.eras import resolve_table
from jumin.domain.wareki import to_wareki

_SUPPORTED = st.dates(min_value=resolve_table(None).min_supported_date, max_value=date(2100, 12, 31))


@given(day=_SUPPORTED)
@settings(max_examples=500)
def test_a_gregorian_day_is_spelled_as_its_wareki_date(day: date) -> None:
    assert recorded_dates.display(day) == to_wareki(day).display()


def test_overlap_days_and_first_years_are_spelled_in_the_new_era() -> None:
    assert recorded_dates.display(date(1926, 12, 25)) == "昭和元年12月25日"
    assert recorded_dates.display(date(1989, 1, 8)) == "平成元年1月8日"
    assert recorded_dates.display(date(2019, 4, 30)) == "平成31年4月30日"
    assert recorded_dates.display(date(2019, 5, 1)) == "令和元年5月1日"
    assert recorded_dates.display(date(1960, 4, 1), gregorian=True) == "1960年4月1日"
