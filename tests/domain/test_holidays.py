"""The holiday calendar against days published by the Cabinet Office (内閣府「国民の祝日について」)."""

from datetime import date, timedelta

import pytest

from jumin.domain.holidays import holiday_name, holidays_in, is_closed_day, is_holiday

KNOWN = {
    date(2019, 4, 30): "国民の休日",
    date(2019, 5, 1): "天皇の即位の日",
    date(2019, 5, 2): "国民の休日",
    date(2019, 5, 6): "振替休日",
    date(2019, 10, 22): "即位礼正殿の儀の行われる日",
    date(2020, 7, 23): "海の日",
    date(2020, 7, 24): "スポーツの日",
    date(2020, 8, 10): "山の日",
    date(2021, 7, 22): "海の日",
    date(2021, 7, 23): "スポーツの日",
    date(2021, 8, 8): "山の日",
    date(2021, 8, 9): "振替休日",
    date(2009, 9, 22): "国民の休日",
    date(2015, 9, 22): "国民の休日",
    date(2008, 5, 6): "振替休日",
    date(2000, 1, 10): "成人の日",
    date(2002, 7, 20): "海の日",
    date(2002, 9, 15): "敬老の日",
    date(2003, 7, 21): "海の日",
    date(2006, 5, 4): "国民の休日",
    date(2006, 4, 29): "みどりの日",
    date(2007, 4, 29): "昭和の日",
    date(2016, 8, 11): "山の日",
    date(2018, 12, 23): "天皇誕生日",
    date(2018, 12, 24): "振替休日",
    date(2020, 2, 23): "天皇誕生日",
    date(2020, 2, 24): "振替休日",
    date(2023, 3, 21): "春分の日",
    date(2024, 3, 20): "春分の日",
    date(2024, 9, 22): "秋分の日",
    date(2024, 9, 23): "振替休日",
    date(2025, 3, 20): "春分の日",
    date(2025, 9, 23): "秋分の日",
    date(2026, 9, 22): "国民の休日",
    date(2012, 9, 22): "秋分の日",
    date(2012, 3, 20): "春分の日",
}

NOT_HOLIDAYS = [
    date(2019, 12, 23),  # no 天皇誕生日 in 2019
    date(2020, 7, 20),  # 海の日 moved to 7/23
    date(2020, 8, 11),  # 山の日 moved to 8/10
    date(2020, 10, 12),  # スポーツの日 moved to 7/24
    date(2021, 8, 11),
    date(2021, 10, 11),
    date(2015, 8, 11),  # before 山の日 existed
    date(2003, 5, 4),  # a Sunday between holidays before 2007 is not a 国民の休日
]


@pytest.mark.parametrize(("day", "name"), sorted(KNOWN.items()))
def test_known_holidays_have_their_names(day: date, name: str) -> None:
    assert holiday_name(day) == name


@pytest.mark.parametrize("day", NOT_HOLIDAYS)
def test_moved_and_abolished_days_are_ordinary(day: date) -> None:
    assert not is_holiday(day)


def test_2019_has_the_ten_day_golden_week() -> None:
    start = date(2019, 4, 27)
    assert all(is_closed_day(start + timedelta(days=i)) for i in range(10))


def test_every_year_has_between_15_and_22_holidays_and_no_sunday_substitute() -> None:
    for year in range(2000, 2101):
        days = holidays_in(year)
        assert 15 <= len(days) <= 22, year
        for day, name in days.items():
            if name == "振替休日":
                assert day.weekday() != 6


def test_the_new_year_closure_is_a_closed_day_but_not_a_holiday() -> None:
    assert is_closed_day(date(2025, 12, 30))
    assert not is_holiday(date(2025, 12, 30))
    assert not is_closed_day(date(2025, 12, 26))


def test_years_outside_the_range_are_refused() -> None:
    with pytest.raises(ValueError, match="2000"):
        holidays_in(1999)
