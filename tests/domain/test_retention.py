"""Retention periods in calendar years (jumin.domain.retention; controls.md §13)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.retention import (
    DEFAULT_ISSUANCE_RETENTION_YEARS,
    DEFAULT_REMOVED_ARCHIVE_YEARS,
    issuance_purge_cutoff,
    issuance_retention_years,
    removed_archive_years,
    removed_before,
    retention_end,
    years_before,
)


def test_a_record_is_kept_through_the_last_day_of_its_period_and_purged_the_day_after() -> None:
    issued = date(2021, 4, 1)
    assert not issued < issuance_purge_cutoff(date(2026, 4, 1), 5)
    assert issued < issuance_purge_cutoff(date(2026, 4, 2), 5)


def test_29_february_falls_back_to_the_28th_for_dates_and_datetimes() -> None:
    assert years_before(date(2028, 2, 29), 5) == date(2023, 2, 28)
    assert years_before(datetime(2028, 2, 29, 9, 30), 1) == datetime(2027, 2, 28, 9, 30)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)), st.integers(1, 150))
def test_the_cutoff_is_never_later_than_the_same_day_years_before(today: date, years: int) -> None:
    cutoff = issuance_purge_cutoff(today, years)
    assert cutoff.year == today.year - years
    assert (cutoff.month, cutoff.day) <= (today.month, today.day)


def test_the_setting_defaults_to_five_years_and_reads_numbers_and_text() -> None:
    assert issuance_retention_years(None) == DEFAULT_ISSUANCE_RETENTION_YEARS == 5
    assert issuance_retention_years("") == 5
    assert issuance_retention_years(10) == 10
    assert issuance_retention_years("3") == 3


@pytest.mark.parametrize("bad", [0, -1, "0", "five", "1.5"])
def test_a_setting_below_one_year_or_not_a_whole_number_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="JUMIN_ISSUANCE_RETENTION_YEARS は1以上の整数"):
        issuance_retention_years(bad)


def test_a_removed_record_is_kept_through_its_150th_anniversary() -> None:
    assert retention_end(date(1876, 11, 24)) == date(2026, 11, 24)
    assert retention_end(date(1880, 2, 29)) == date(2030, 2, 28)


def test_a_removed_record_is_due_for_the_archive_the_day_after_its_fifth_anniversary() -> None:
    removed = date(2021, 4, 1)
    assert not removed < removed_before(date(2026, 4, 1), DEFAULT_REMOVED_ARCHIVE_YEARS)
    assert removed < removed_before(date(2026, 4, 2), DEFAULT_REMOVED_ARCHIVE_YEARS)


@pytest.mark.parametrize("configured", ["0", "-1", "150", "five", "1.5"])
def test_a_bad_archive_age_is_refused_naming_the_setting(configured: str) -> None:
    with pytest.raises(ValueError, match="JUMIN_REMOVED_ARCHIVE_YEARS"):
        removed_archive_years(configured)


@pytest.mark.parametrize(("configured", "years"), [(None, 5), ("", 5), ("3", 3), (10, 10)])
def test_the_archive_age_defaults_to_five_years(configured: object, years: int) -> None:
    assert removed_archive_years(configured) == years
