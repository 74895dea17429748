"""Japanese public holidays 2000–2100 under the 国民の祝日に関する法律, in pure Python.

Used by the after-hours and holiday access report (standard 10.2-d, controls.md C-53). Rules:

- the fixed and "Happy Monday" holidays with the years each rule applied;
- 春分の日 and 秋分の日 from the usual astronomical approximation (the Cabinet Office announces them
  each February for the next year; the approximation matches every announced day so far and is
  the established forecast for the years after);
- the special days: 2019-05-01 天皇の即位の日, 2019-10-22 即位礼正殿の儀の行われる日, and the
  Olympic moves of 海の日, スポーツの日 and 山の日 in 2020 and 2021;
- 国民の休日 (law art. 3-3): a day between two holidays that is not itself one (before 2007 a Sunday
  or a 振替休日 did not become one);
- 振替休日 (art. 3-2): a holiday on a Sunday moves the rest day to the next day that is not a
  holiday (from 2007; before, only to the Monday).

``is_closed_day`` adds weekends and the 年末年始 closure (12/29–1/3, 行政機関の休日に関する法律).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

FIRST_YEAR = 2000
LAST_YEAR = 2100

SUBSTITUTE = "振替休日"
CITIZENS = "国民の休日"


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (7 - first.weekday()) % 7  # Monday is weekday 0
    return first + timedelta(days=offset + 7 * (n - 1))


def _equinox_day(year: int, base_before_2100: float, base_2100: float) -> int:
    base = base_2100 if year >= 2100 else base_before_2100
    return int(base + 0.242194 * (year - 1980) - int((year - 1980) / 4))


def vernal_equinox(year: int) -> date:
    """春分の日 (approximation valid 1980–2150)."""
    return date(year, 3, _equinox_day(year, 20.8431, 21.8510))


def autumnal_equinox(year: int) -> date:
    """秋分の日 (approximation valid 1980–2150)."""
    return date(year, 9, _equinox_day(year, 23.2488, 24.2488))


def _national_holidays(year: int) -> dict[date, str]:
    """The 国民の祝日 of the year (art. 2 and the special laws), without 振替休日 and 国民の休日."""
    days: dict[date, str] = {date(year, 1, 1): "元日"}
    days[_nth_monday(year, 1, 2)] = "成人の日"
    days[date(year, 2, 11)] = "建国記念の日"
    if year >= 2020:
        days[date(year, 2, 23)] = "天皇誕生日"
    days[vernal_equinox(year)] = "春分の日"
    days[date(year, 4, 29)] = "昭和の日" if year >= 2007 else "みどりの日"
    days[date(year, 5, 3)] = "憲法記念日"
    if year >= 2007:
        days[date(year, 5, 4)] = "みどりの日"
    days[date(year, 5, 5)] = "こどもの日"
    if year == 2020:
        days[date(2020, 7, 23)] = "海の日"
    elif year == 2021:
        days[date(2021, 7, 22)] = "海の日"
    elif year >= 2003:
        days[_nth_monday(year, 7, 3)] = "海の日"
    else:
        days[date(year, 7, 20)] = "海の日"
    if year == 2020:
        days[date(2020, 8, 10)] = "山の日"
    elif year == 2021:
        days[date(2021, 8, 8)] = "山の日"
    elif year >= 2016:
        days[date(year, 8, 11)] = "山の日"
    days[_nth_monday(year, 9, 3) if year >= 2003 else date(year, 9, 15)] = "敬老の日"
    days[autumnal_equinox(year)] = "秋分の日"
    if year == 2020:
        days[date(2020, 7, 24)] = "スポーツの日"
    elif year == 2021:
        days[date(2021, 7, 23)] = "スポーツの日"
    else:
        days[_nth_monday(year, 10, 2)] = "スポーツの日" if year >= 2020 else "体育の日"
    days[date(year, 11, 3)] = "文化の日"
    days[date(year, 11, 23)] = "勤労感謝の日"
    if year <= 2018:
        days[date(year, 12, 23)] = "天皇誕生日"
    if year == 2019:
        days[date(2019, 5, 1)] = "天皇の即位の日"
        days[date(2019, 10, 22)] = "即位礼正殿の儀の行われる日"
    return days


@lru_cache(maxsize=128)
def holidays_in(year: int) -> dict[date, str]:
    """Every holiday (休日) of the year under the law, with its Japanese name."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"holidays are defined for {FIRST_YEAR}–{LAST_YEAR}")
    national = _national_holidays(year)
    result = dict(national)
    # 振替休日: a national holiday on a Sunday gives the next day that is not one.
    for day in sorted(national):
        if day.weekday() != 6:
            continue
        substitute = day + timedelta(days=1)
        if year >= 2007:
            while substitute in national:
                substitute += timedelta(days=1)
        if substitute not in national:
            result[substitute] = SUBSTITUTE
    # 国民の休日: sandwiched between two national holidays.
    for day in sorted(national):
        between = day + timedelta(days=1)
        if between in national or (between + timedelta(days=1)) not in national:
            continue
        if year < 2007 and (between.weekday() == 6 or between in result):
            continue
        result.setdefault(between, CITIZENS)
    return dict(sorted(result.items()))


def holiday_name(day: date) -> str | None:
    """The holiday's Japanese name, or None on an ordinary day."""
    return holidays_in(day.year).get(day)


def is_holiday(day: date) -> bool:
    """Whether the day is a holiday (休日) under the 国民の祝日に関する法律."""
    return day in holidays_in(day.year)


def is_closed_day(day: date) -> bool:
    """Whether a municipal office is closed: weekends, holidays and 12/29–1/3 (行政機関の休日)."""
    if day.weekday() >= 5 or is_holiday(day):
        return True
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
