"""Era master (元号マスタ) kept as configuration data, never as code.

algorithms.md B.1 defines the table, B.3 how a new era is added by adding one row
(standard 1.3.6-a). The default rows live in ``data/eras.json``; a test or a
deployment can build an :class:`EraTable` from its own rows without a code change.
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from jumin.domain.errors import DomainError

#: algorithms.md B.1 note on 明治: the Gregorian calendar took effect on 明治6年1月1日.
DEFAULT_MIN_SUPPORTED_DATE = date(1873, 1, 1)

_MASTER_FIELD = "era_master"


class Calendar(StrEnum):
    """The calendar a date is entered and shown in (algorithms.md B.2 rule 4, B.5 ``calendar``)."""

    WAREKI = "WAREKI"
    GREGORIAN = "GREGORIAN"


@dataclass(frozen=True)
class Era:
    """One row of the era master with its derived last day (algorithms.md B.1).

    ``last_day`` is ``None`` for the open (current) era.
    """

    code: str
    name: str
    letter: str
    first_day: date
    overlaps_previous: bool
    last_day: date | None

    @property
    def gannen_year(self) -> int:
        """Gregorian year of 元年 (algorithms.md B.1)."""
        return self.first_day.year

    def gregorian_year(self, era_year: int) -> int:
        """Gregorian year = year of 元年 + era year − 1 (algorithms.md B.2 rule 1)."""
        return self.gannen_year + era_year - 1

    def era_year(self, gregorian_year: int) -> int:
        """Era year of a Gregorian year (inverse of :meth:`gregorian_year`)."""
        return gregorian_year - self.gannen_year + 1

    def contains(self, day: date) -> bool:
        """Whether ``day`` lies in first_day … last_day, both inclusive (algorithms.md B.2 rule 1)."""
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)

    def format_day(self, day: date) -> str:
        """``day`` written in this era, e.g. ``明治45年7月30日``; 元年 for year 1 (algorithms.md)."""
        return f"{self.name}{era_year_text(self.era_year(day.year))}年{day.month}月{day.day}日"


def era_year_text(year: int) -> str:
    """The era year as displayed: 元 for year 1, the number otherwise (algorithms.md conventions)."""
    return "元" if year == 1 else str(year)


def last_day_of_month(year: int, month: int) -> date:
    """The last real day of a month; the sort date of a non-calendar date (algorithms.md B.4)."""
    return date(year, month, _calendar.monthrange(year, month)[1])


def _config_error(reason: str) -> DomainError:
    return DomainError(
        field=_MASTER_FIELD,
        reason=reason,
        remedy="元号マスタ（eras.json）の内容を確認してください。",
        code="era_master.invalid",
    )


def _row_str(row: Mapping[str, object], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise _config_error(f"元号マスタの項目「{key}」が文字列ではありません。")
    return value


def _row_date(row: Mapping[str, object], key: str) -> date:
    value = row.get(key)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _config_error(f"元号マスタの項目「{key}」が YYYY-MM-DD 形式の日付ではありません。")


class EraTable:
    """The era master with derived last days and the ``min_supported_date`` setting (algorithms.md B.1).

    Built from rows with the fields ``code, name, letter, first_day, overlaps_previous``
    (B.1 "Table fields"); adding a row is all it takes to add an era (B.3).
    """

    def __init__(
        self,
        rows: Iterable[Mapping[str, object]],
        *,
        min_supported_date: date = DEFAULT_MIN_SUPPORTED_DATE,
    ) -> None:
        parsed = [
            (
                _row_str(row, "code"),
                _row_str(row, "name"),
                _row_str(row, "letter"),
                _row_date(row, "first_day"),
                row.get("overlaps_previous", False),
            )
            for row in rows
        ]
        if not parsed:
            raise _config_error("元号マスタが空です。")
        eras: list[Era] = []
        for index, (code, name, letter, first_day, overlaps) in enumerate(parsed):
            if not isinstance(overlaps, bool):
                raise _config_error("元号マスタの項目「overlaps_previous」が真偽値ではありません。")
            if len(letter) != 1 or not ("A" <= letter <= "Z"):
                raise _config_error("元号マスタの略号（letter）は英大文字1字にしてください。")
            if index == 0 and overlaps:
                raise _config_error("最初の元号は前の元号と重なることができません。")
            if index > 0 and first_day <= parsed[index - 1][3]:
                raise _config_error("元号マスタの開始日が古い順に並んでいません。")
            last_day: date | None = None
            if index + 1 < len(parsed):
                next_first, next_overlaps = parsed[index + 1][3], parsed[index + 1][4]
                # B.1: on an overlap the old era's last day *is* the new era's first day.
                last_day = next_first if next_overlaps is True else next_first - timedelta(days=1)
            eras.append(Era(code, name, letter, first_day, overlaps, last_day))
        for key in ("code", "name", "letter"):
            values = [getattr(era, key) for era in eras]
            if len(set(values)) != len(values):
                raise _config_error(f"元号マスタの「{key}」が重複しています。")
        if min_supported_date < eras[0].first_day:
            raise _config_error("min_supported_date が最初の元号の開始日より前です。")
        self.eras: tuple[Era, ...] = tuple(eras)
        self.min_supported_date = min_supported_date
        self._first_days = [era.first_day for era in eras]
        self._by_code = {era.code: era for era in eras}
        self._by_token = {era.name: era for era in eras} | {era.letter: era for era in eras}

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, object]], *, min_supported_date: date = DEFAULT_MIN_SUPPORTED_DATE
    ) -> EraTable:
        """Build a table from master rows (algorithms.md B.3: a new era is one more row)."""
        return cls(rows, min_supported_date=min_supported_date)

    def rows(self) -> list[dict[str, object]]:
        """The master rows as JSON-ready dicts (last days are derived, so not included; B.1)."""
        return [
            {
                "code": era.code,
                "name": era.name,
                "letter": era.letter,
                "first_day": era.first_day.isoformat(),
                "overlaps_previous": era.overlaps_previous,
            }
            for era in self.eras
        ]

    @property
    def latest(self) -> Era:
        """The current (open) era."""
        return self.eras[-1]

    def by_code(self, code: str, *, field: str = "era") -> Era:
        """The era with this code; an unknown code is refused (algorithms.md B.1)."""
        era = self._by_code.get(code)
        if era is None:
            raise DomainError(
                field=field,
                reason="元号が正しくありません。",
                remedy=f"{self.era_choices_text()}のいずれかを指定してください。",
                code="wareki.unknown_era",
            )
        return era

    def find(self, token: str) -> Era | None:
        """The era named by its kanji name or letter (either case), or ``None`` (algorithms.md B.2 rule 5)."""
        return self._by_token.get(token) or self._by_token.get(token.upper())

    def previous(self, era: Era) -> Era | None:
        """The era before ``era``, if any."""
        index = self.eras.index(era)
        return self.eras[index - 1] if index > 0 else None

    def era_at(self, day: date) -> Era:
        """The latest era whose first day ≤ ``day``; the new era on an overlap day (algorithms.md B.2 rule 2).

        Days before ``min_supported_date`` are refused (B.1 note on 明治).
        """
        self.check_supported(day, calendar=Calendar.GREGORIAN)
        return self.eras[bisect.bisect_right(self._first_days, day) - 1]

    def eras_on(self, day: date) -> list[Era]:
        """Every era containing ``day``, newest (canonical) first; two on overlap days (algorithms.md B.1)."""
        self.check_supported(day, calendar=Calendar.GREGORIAN)
        return [era for era in reversed(self.eras) if era.contains(day)]

    def supported_span(self, era: Era) -> tuple[date, date]:
        """The part of ``era`` converted exactly: from ``min_supported_date`` on (algorithms.md B.1)."""
        return max(era.first_day, self.min_supported_date), era.last_day or date.max

    def check_supported(self, day: date, *, calendar: Calendar, field: str = "date") -> None:
        """Refuse a day before ``min_supported_date`` (algorithms.md B.1 note on 明治)."""
        if day < self.min_supported_date:
            raise self.before_min_error(calendar=calendar, field=field)

    def before_min_error(self, *, calendar: Calendar, field: str) -> DomainError:
        """The error for a day before ``min_supported_date``, worded in the calendar the clerk used."""
        limit = self.min_supported_date
        if calendar is Calendar.WAREKI:
            era = self.eras[bisect.bisect_right(self._first_days, limit) - 1]
            limit_text = era.format_day(limit)
        else:
            limit_text = f"{limit.year}年{limit.month}月{limit.day}日"
        return DomainError(
            field=field,
            reason=f"{limit_text}より前の日付は扱えません（それより前は旧暦のため正確に換算できません）。",
            remedy=f"{limit_text}以降の日付を入力してください。",
            code="wareki.before_min_supported",
        )

    def era_choices_text(self) -> str:
        """The accepted eras for a remedy text, e.g. ``明治(M)・大正(T)…``."""
        return "・".join(f"{era.name}（{era.letter}）" for era in self.eras)


def load_era_rows() -> list[dict[str, object]]:
    """The default era master rows from ``data/eras.json`` (algorithms.md B.1)."""
    text = resources.files("jumin.domain").joinpath("data/eras.json").read_text(encoding="utf-8")
    rows = json.loads(text)
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise _config_error("元号マスタは行の配列にしてください。")
    return rows


@lru_cache(maxsize=1)
def default_era_table() -> EraTable:
    """The era master shipped with Jumin, loaded once (algorithms.md B.1)."""
    return EraTable(load_era_rows())


def resolve_table(table: EraTable | None) -> EraTable:
    """``table`` or the default master; lets every function take ``table=None``."""
    return table if table is not None else default_era_table()


def check_date_parts(*, year: int, month: int | None, day: int | None, field: str) -> None:
    """Refuse a year below 1, a month outside 1–12 or a day outside 1–31 (algorithms.md B.2 rule 1, B.4)."""
    if year < 1:
        raise DomainError(
            field=field,
            reason="年が正しくありません。",
            remedy="年は1以上で入力してください（1年は元年とも書けます）。",
            code="wareki.invalid_year",
        )
    if month is not None and not 1 <= month <= 12:
        raise DomainError(
            field=field,
            reason="月は1から12までです。",
            remedy="正しい月を入力してください。",
            code="wareki.invalid_month",
        )
    if day is not None and not 1 <= day <= 31:
        raise DomainError(
            field=field,
            reason="日は1から31までです。",
            remedy="正しい日を入力してください。",
            code="wareki.invalid_day",
        )


def gregorian_year_or_error(era: Era | None, year: int, *, field: str) -> int:
    """The Gregorian year of an era year (or a 西暦 year), refused beyond 9999 (algorithms.md B.2)."""
    gregorian = era.gregorian_year(year) if era is not None else year
    if not 1 <= gregorian <= date.max.year:
        raise DomainError(
            field=field,
            reason="年が大きすぎます。",
            remedy="年の桁数を確認してください。",
            code="wareki.invalid_year",
        )
    return gregorian


def real_day(year: int, month: int, day: int, *, field: str) -> date:
    """The calendar day, or an error when that day does not exist (algorithms.md B.2 rule 1, B.4)."""
    if day > _calendar.monthrange(year, month)[1]:
        raise DomainError(
            field=field,
            reason="暦にない日付です（その月にその日はありません）。",
            remedy="正しい日付を入力してください。",
            code="wareki.not_a_calendar_date",
        )
    return date(year, month, day)


def outside_era_error(
    era: Era, *, after: bool, suggestion: str | None, suggested_era: Era | None, field: str
) -> DomainError:
    """The error for a date outside its era: the boundary and the correct form (algorithms.md B.2 rule 6).

    Only the era boundary and the derived correct form are printed, never the clerk's input as such.
    """
    if after and era.last_day is not None:
        reason = f"{era.name}は{era.format_day(era.last_day)}までです。"
        code = "wareki.after_era_end"
    else:
        reason = f"{era.name}は{era.format_day(era.first_day)}からです。"
        code = "wareki.before_era_start"
    if suggestion and suggested_era is not None:
        remedy = f"{suggestion}のように{suggested_era.name}で入力してください。"
    else:
        remedy = "正しい元号で入力してください。"
    return DomainError(field=field, reason=reason, remedy=remedy, code=code)
