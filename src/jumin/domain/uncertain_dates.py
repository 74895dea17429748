"""Unknown and approximate dates (不詳日) as structured values (algorithms.md B.5, B.4; standard 1.1.8-a/b).

Exactly the 14 patterns of the standard are representable, plus EXACT and NON_CALENDAR so
that one stored shape holds every date of the lenient fields. The display text is always
generated from the pattern, never stored as free text only.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from jumin.domain.eras import (
    Calendar,
    Era,
    EraTable,
    check_date_parts,
    era_year_text,
    gregorian_year_or_error,
    last_day_of_month,
    outside_era_error,
    real_day,
    resolve_table,
)
from jumin.domain.errors import DomainError

_E = TypeVar("_E", bound=StrEnum)

#: algorithms.md B.5: approx_date of U09 (年月日不詳), so that these dates sort last.
UNKNOWN_SENTINEL = date(9999, 12, 31)


class UncertainPattern(StrEnum):
    """The stored pattern code (algorithms.md B.5 ``pattern``)."""

    EXACT = "EXACT"
    NON_CALENDAR = "NON_CALENDAR"
    U01 = "U01"
    U02 = "U02"
    U03 = "U03"
    U04 = "U04"
    U05 = "U05"
    U06 = "U06"
    U07 = "U07"
    U08 = "U08"
    U09 = "U09"
    U10 = "U10"
    U11 = "U11"
    U12 = "U12"
    U13 = "U13"
    U14 = "U14"


class Season(StrEnum):
    """Season of U06; only spring is among the 14 patterns (algorithms.md B.5)."""

    SPRING = "SPRING"


class Jun(StrEnum):
    """旬 of U07/U08: 上旬 = days 1–10, 中旬 = days 11–20 (algorithms.md B.5); 下旬 is not a pattern."""

    EARLY = "EARLY"
    MIDDLE = "MIDDLE"


_P = UncertainPattern
_YMD = ("year", "month", "day")
# Which optional parts each pattern carries; every other part must be null (algorithms.md B.5 table).
_PARTS: dict[UncertainPattern, tuple[str, ...]] = {
    _P.EXACT: _YMD,
    _P.NON_CALENDAR: _YMD,
    _P.U01: ("year",),
    _P.U02: ("year", "month"),
    _P.U03: _YMD,
    _P.U04: _YMD,
    _P.U05: ("year", "month"),
    _P.U06: ("year", "season"),
    _P.U07: ("year", "month", "jun"),
    _P.U08: ("year", "month", "jun"),
    _P.U09: (),
    _P.U10: ("year",),
    _P.U11: ("year", "month"),
    _P.U12: (*_YMD, "end_month", "end_day"),
    _P.U13: (*_YMD, "end_day"),
    _P.U14: (*_YMD, "end_day"),
}
_ALL_PARTS = ("year", "month", "day", "season", "jun", "end_month", "end_day")

# Display templates (algorithms.md B.5 "Display pattern"); {y} is era name + era year, or the 西暦 year.
_TEMPLATES: dict[UncertainPattern, str] = {
    _P.EXACT: "{y}年{m}月{d}日",
    _P.NON_CALENDAR: "{y}年{m}月{d}日",
    _P.U01: "{y}年頃",
    _P.U02: "{y}年{m}月頃",
    _P.U03: "{y}年{m}月{d}日頃",
    _P.U04: "推定{y}年{m}月{d}日",
    _P.U05: "推定{y}年{m}月",
    _P.U06: "{y}年春",
    _P.U07: "{y}年{m}月上旬",
    _P.U08: "{y}年{m}月中旬頃",
    _P.U09: "年月日不詳",
    _P.U10: "{y}年 月日不詳",
    _P.U11: "{y}年{m}月 日不詳",
    _P.U12: "{y}年{m}月{d}日から{em}月{ed}日頃までの間",
    _P.U13: "{y}年{m}月推定{d}日から{ed}日までの間",
    _P.U14: "{y}年{m}月{d}日頃から{ed}日頃までの間",
}

_JSON_KEYS = (
    "pattern",
    "calendar",
    "era",
    "year",
    "month",
    "day",
    "season",
    "jun",
    "end_month",
    "end_day",
    "range_start",
    "range_end",
    "approx_date",
)


def _inconsistent(reason: str, field: str = "date") -> DomainError:
    return DomainError(
        field=field,
        reason=f"不詳日の値が正しくありません（{reason}）。",
        remedy="不詳日は定められた14種類の形で入力し直してください。",
        code="uncertain_date.inconsistent",
    )


def age_in_years(birth: date, reference: date) -> int:
    """Completed years from ``birth`` to ``reference`` (満年齢); the birthday itself counts as reached."""
    if reference < birth:
        raise DomainError(
            field="reference_date",
            reason="基準日が生年月日より前です。",
            remedy="生年月日以後の基準日を指定してください。",
            code="date.reference_before_birth",
        )
    return reference.year - birth.year - ((reference.month, reference.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class UncertainDate:
    """A date stored as structured fields, exactly the field list of algorithms.md B.5.

    Build new values with :meth:`create` (validates and derives the range); the plain
    constructor is for stored values and checks only that the fields fit the pattern, so that
    adding an era later never invalidates what is stored (B.3).
    """

    pattern: UncertainPattern
    calendar: Calendar
    era: str | None
    year: int | None
    month: int | None
    day: int | None
    season: Season | None
    jun: Jun | None
    end_month: int | None
    end_day: int | None
    range_start: date | None
    range_end: date | None
    approx_date: date

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, UncertainPattern) or not isinstance(self.calendar, Calendar):
            raise _inconsistent("pattern と calendar")
        parts = _PARTS[self.pattern]
        for name in _ALL_PARTS:
            if (getattr(self, name) is not None) != (name in parts):
                raise _inconsistent(f"{self.pattern.value} の {name}")
        if self.year is not None:
            check_date_parts(year=self.year, month=self.month, day=self.day, field="date")
            check_date_parts(year=self.year, month=self.end_month, day=self.end_day, field="date")
        needs_era = self.calendar is Calendar.WAREKI and self.pattern is not _P.U09
        if (self.era is not None) != needs_era:
            raise _inconsistent("元号")
        if (self.season is not None and self.season is not Season.SPRING) or (
            self.jun is not None and self.jun is not {_P.U07: Jun.EARLY, _P.U08: Jun.MIDDLE}.get(self.pattern)
        ):
            raise _inconsistent("季節・旬")
        if self.pattern is _P.U09:
            if (
                self.range_start is not None
                or self.range_end is not None
                or self.approx_date != UNKNOWN_SENTINEL
            ):
                raise _inconsistent("年月日不詳の範囲")
        elif (
            self.range_start is None
            or self.range_end is None
            or self.range_start > self.range_end
            or self.approx_date != self.range_start
        ):
            raise _inconsistent("範囲")

    @classmethod
    def create(
        cls,
        pattern: UncertainPattern,
        *,
        calendar: Calendar = Calendar.WAREKI,
        era: str | None = None,
        year: int | None = None,
        month: int | None = None,
        day: int | None = None,
        end_month: int | None = None,
        end_day: int | None = None,
        table: EraTable | None = None,
        field: str = "date",
    ) -> UncertainDate:
        """Validate a pattern's parts and derive range and approx_date (algorithms.md B.5 "Derived values").

        The range is clipped to the era's span; a pattern wholly outside its era is refused with
        the correct form (B.2 rule 6). Season and 旬 follow from the pattern code.
        """
        table = resolve_table(table)
        given = {"year": year, "month": month, "day": day, "end_month": end_month, "end_day": end_day}
        for name, value in given.items():
            if (value is not None) != (name in _PARTS[pattern]):
                raise _inconsistent(f"{pattern.value} の {name}", field)
        if pattern is _P.U09:
            if era is not None:
                raise _inconsistent("年月日不詳に元号", field)
            return cls(
                pattern=pattern,
                calendar=calendar,
                era=None,
                year=None,
                month=None,
                day=None,
                season=None,
                jun=None,
                end_month=None,
                end_day=None,
                range_start=None,
                range_end=None,
                approx_date=UNKNOWN_SENTINEL,
            )
        season = Season.SPRING if pattern is _P.U06 else None
        jun = {_P.U07: Jun.EARLY, _P.U08: Jun.MIDDLE}.get(pattern)
        if year is None:  # every pattern but U09 has a year (checked above); this narrows the type
            raise _inconsistent("年", field)
        era_row: Era | None = None
        if calendar is Calendar.WAREKI:
            if era is None:
                raise _inconsistent("元号", field)
            era_row = table.by_code(era, field=field)
        elif era is not None:
            raise _inconsistent("西暦に元号", field)
        check_date_parts(year=year, month=month, day=day, field=field)
        check_date_parts(year=year, month=end_month, day=end_day, field=field)
        gregorian_year = gregorian_year_or_error(era_row, year, field=field)
        start, end = _unclipped_range(pattern, gregorian_year, month, day, end_month, end_day, field)
        low, high = (
            table.supported_span(era_row) if era_row is not None else (table.min_supported_date, date.max)
        )
        if max(start, low) > min(end, high):
            raise _outside_error(pattern, calendar, era_row, start, end, given, table, field)
        clipped_start, clipped_end = max(start, low), min(end, high)
        return cls(
            pattern=pattern,
            calendar=calendar,
            era=era,
            year=year,
            month=month,
            day=day,
            season=season,
            jun=jun,
            end_month=end_month,
            end_day=end_day,
            range_start=clipped_start,
            range_end=clipped_end,
            approx_date=clipped_start,
        )

    def display(self, table: EraTable | None = None) -> str:
        """The display text generated from the pattern, e.g. ``令和2年5月中旬頃`` (algorithms.md B.5)."""
        if self.pattern is _P.U09 or self.year is None:
            return _TEMPLATES[_P.U09]
        if self.era is not None:
            prefix = resolve_table(table).by_code(self.era).name + era_year_text(self.year)
        else:
            prefix = str(self.year)
        return _TEMPLATES[self.pattern].format(
            y=prefix, m=self.month, d=self.day, em=self.end_month, ed=self.end_day
        )

    def age_on(self, reference: date) -> int | None:
        """The age on ``reference`` if equal at both ends of the range, else ``None`` (algorithms.md B.5)."""
        if self.range_start is None or self.range_end is None:
            return None
        oldest = age_in_years(self.range_start, reference)  # refuses a reference before the whole range
        if reference < self.range_end:  # not necessarily born yet on the reference date
            return None
        return oldest if age_in_years(self.range_end, reference) == oldest else None

    def to_json_dict(self, table: EraTable | None = None) -> dict[str, object]:
        """The stored fields as JSON-ready values plus the generated ``display`` text (algorithms.md B.5)."""
        return {
            "pattern": self.pattern.value,
            "calendar": self.calendar.value,
            "era": self.era,
            "year": self.year,
            "month": self.month,
            "day": self.day,
            "season": self.season.value if self.season else None,
            "jun": self.jun.value if self.jun else None,
            "end_month": self.end_month,
            "end_day": self.end_day,
            "range_start": self.range_start.isoformat() if self.range_start else None,
            "range_end": self.range_end.isoformat() if self.range_end else None,
            "approx_date": self.approx_date.isoformat(),
            "display": self.display(table),
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, object]) -> UncertainDate:
        """Restore a stored value exactly; ``display`` is derived, so ignored (algorithms.md B.5)."""
        unknown = set(data) - {*_JSON_KEYS, "display"}
        if unknown or not set(_JSON_KEYS) <= set(data):
            raise _inconsistent("JSON の項目")
        approx = _json_date(data, "approx_date")
        if approx is None:
            raise _inconsistent("approx_date")
        return cls(
            pattern=_json_required_enum(data, "pattern", UncertainPattern),
            calendar=_json_required_enum(data, "calendar", Calendar),
            era=_json_str(data, "era"),
            year=_json_int(data, "year"),
            month=_json_int(data, "month"),
            day=_json_int(data, "day"),
            season=_json_enum(data, "season", Season),
            jun=_json_enum(data, "jun", Jun),
            end_month=_json_int(data, "end_month"),
            end_day=_json_int(data, "end_day"),
            range_start=_json_date(data, "range_start"),
            range_end=_json_date(data, "range_end"),
            approx_date=approx,
        )


def _unclipped_range(
    pattern: UncertainPattern,
    year: int,
    month: int | None,
    day: int | None,
    end_month: int | None,
    end_day: int | None,
    field: str,
) -> tuple[date, date]:
    """The period the pattern names before clipping; 頃 and 推定 do not widen it (algorithms.md B.5)."""
    if pattern in (_P.U01, _P.U10):
        return date(year, 1, 1), date(year, 12, 31)
    if pattern is _P.U06:
        return date(year, 3, 1), date(year, 5, 31)  # B.5 policy: 春 = 1 March to 31 May
    if month is None:
        raise _inconsistent("月", field)
    if pattern in (_P.U02, _P.U05, _P.U11):
        return date(year, month, 1), last_day_of_month(year, month)
    if pattern is _P.U07:
        return date(year, month, 1), date(year, month, 10)
    if pattern is _P.U08:
        return date(year, month, 11), date(year, month, 20)
    if day is None:
        raise _inconsistent("日", field)
    if pattern is _P.NON_CALENDAR:
        # B.4: stored as entered, sorted on the last real day of that month.
        if day <= _calendar.monthrange(year, month)[1]:
            raise _inconsistent("暦上の日付は NON_CALENDAR ではありません", field)
        last = last_day_of_month(year, month)
        return last, last
    start = real_day(year, month, day, field=field)
    if pattern in (_P.EXACT, _P.U03, _P.U04):
        return start, start
    if end_day is None:
        raise _inconsistent("終わりの日", field)
    end = real_day(
        year, end_month if pattern is _P.U12 and end_month is not None else month, end_day, field=field
    )
    if end < start:
        raise DomainError(
            field=field,
            reason="期間の終わりが始まりより前です。",
            remedy="終わりの月日を始まりの月日以後にしてください。",
            code="wareki.range_end_before_start",
        )
    return start, end


def _outside_error(
    pattern: UncertainPattern,
    calendar: Calendar,
    era: Era | None,
    start: date,
    end: date,
    given: dict[str, int | None],
    table: EraTable,
    field: str,
) -> DomainError:
    """Why a pattern lies wholly outside its era, with the same pattern in the right era when one fits."""
    # A 西暦 value can only fall outside the supported span at its lower end.
    if era is None or end < table.min_supported_date:
        return table.before_min_error(calendar=calendar, field=field)
    suggestion: str | None = None
    right_era = table.era_at(start) if start >= table.min_supported_date else None
    if right_era is not None and right_era.contains(end) and right_era is not era:
        try:
            fixed = UncertainDate.create(
                pattern,
                calendar=calendar,
                era=right_era.code,
                year=right_era.era_year(start.year),
                month=given["month"],
                day=given["day"],
                end_month=given["end_month"],
                end_day=given["end_day"],
                table=table,
                field=field,
            )
            suggestion = fixed.display(table)
        except DomainError:
            suggestion = None
    return outside_era_error(
        era, after=end >= era.first_day, suggestion=suggestion, suggested_era=right_era, field=field
    )


def _json_int(data: Mapping[str, object], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _inconsistent(key)
    return value


def _json_str(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _inconsistent(key)


def _json_date(data: Mapping[str, object], key: str) -> date | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _inconsistent(key)


def _json_enum(data: Mapping[str, object], key: str, kind: type[_E]) -> _E | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    raise _inconsistent(key)


def _json_required_enum(data: Mapping[str, object], key: str, kind: type[_E]) -> _E:
    value = _json_enum(data, key, kind)
    if value is None:
        raise _inconsistent(key)
    return value
