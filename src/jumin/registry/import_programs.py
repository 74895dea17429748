"""The programs' eligibility dates of an import line (docs/import-layout.md ``program_dates``; standard
1.1.1-a): the ``ProgramRecord`` rows of one loaded person, built without the database.

A line may carry ``program_dates``, an object keyed by program (the ``program_*`` flag names without
the prefix): 資格取得日・喪失日 of 国保, 後期高齢, 介護 and 国民年金 (with 基礎年金番号, 種別 and its change
date), 児童手当's first and last month, the 選挙人名簿's 登録日 and 抹消日. Each program given becomes
one row, checked as the program departments' own entry checks it (``programs.checked_details``), its
``enrolled`` taken from the line's flag; or, given as a list of periods oldest first, one row per
period in that order (the earlier ones ended, the last one the flag's), refused when out of order or
overlapping. A line without the object costs one lookup
(``prepare_chunk``) and gets no row, as before. A bad value refuses the line with
``ProgramDatesRefused``, naming the item, never its value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from jumin.domain.errors import DomainError
from jumin.registry.programs import Program, ProgramUpdate, checked_details

# The ProgramRecord columns a load writes, in this order (the id is the database's).
PROGRAM_COLUMNS = (
    "resident",
    "program",
    "enrolled",
    "acquired_on",
    "lost_on",
    "details",
    "reason",
    "recorded_by",
    "recorded_at",
)
# The layout's program names (the ``program_*`` flags) and the programs they are.
PROGRAM_OF: Mapping[str, Program] = {
    "nhi": Program.NATIONAL_HEALTH_INSURANCE,
    "late_elderly": Program.LATE_ELDERLY,
    "long_term_care": Program.LONG_TERM_CARE,
    "national_pension": Program.NATIONAL_PENSION,
    "child_allowance": Program.CHILD_ALLOWANCE,
    "voter": Program.ELECTORAL_ROLL,
}
_DATES = ("acquired_date", "lost_date")
# The items each program may carry (layout name → label).
_ITEMS: Mapping[Program, tuple[str, ...]] = {
    Program.NATIONAL_HEALTH_INSURANCE: _DATES,
    Program.LATE_ELDERLY: _DATES,
    Program.LONG_TERM_CARE: _DATES,
    Program.NATIONAL_PENSION: (*_DATES, "basic_pension_number", "pension_kind", "pension_kind_date"),
    Program.CHILD_ALLOWANCE: ("first_month", "last_month"),
    Program.ELECTORAL_ROLL: _DATES,
}
_LABELS = {
    "acquired_date": "資格取得日（登録日）",
    "lost_date": "資格喪失日（抹消日）",
    "pension_kind_date": "種別変更年月日",
}
# ProgramUpdate's field names (in a DomainError of programs.checked_details) as layout names.
_LAYOUT_NAME = {"acquired_on": "acquired_date", "lost_on": "lost_date"}
REASON = "移行"
_CODE = "import.program_dates"
_REMEDY = "docs/import-layout.md の program_dates の項目と形式に合わせて元データを直してください。"


class ProgramDatesRefused(Exception):  # noqa: N818 (a refusal, raised to the chunk's loop)
    """A line's program_dates cannot be loaded: ``item`` names the layout item, never its value."""

    def __init__(self, item: str, reason: str, remedy: str = _REMEDY) -> None:
        super().__init__(item)
        self.item, self.reason, self.remedy, self.code = item, reason, remedy, _CODE


def _day(items: Mapping[str, Any], name: str, where: str) -> date | None:
    value = items.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ProgramDatesRefused(
            f"{where}.{name}",
            f"{_LABELS[name]}の形式が正しくありません。",
            f"{_LABELS[name]}を西暦の「YYYY-MM-DD」で書いてください。",
        ) from None


def _text(items: Mapping[str, Any], name: str, where: str) -> str:
    value = items.get(name, "")
    if not isinstance(value, str):
        raise ProgramDatesRefused(f"{where}.{name}", "文字列でない項目があります。")
    return value


def _checked(update: ProgramUpdate, where: str, today: date) -> dict[str, str]:
    """programs.checked_details, its refusal renamed to the layout's item."""
    try:
        details = checked_details(update, today)
    except DomainError as error:
        item = _LAYOUT_NAME.get(error.field, error.field)
        raise ProgramDatesRefused(
            f"{where}.{item}", error.reason, f"元データを直してください（{error.remedy}）"
        ) from None
    if update.program is Program.ELECTORAL_ROLL:  # not a dated program there: its 登録日・抹消日 checked here
        for name, day in (("acquired_date", update.acquired_on), ("lost_date", update.lost_on)):
            if day is not None and day > today:
                raise ProgramDatesRefused(f"{where}.{name}", f"{_LABELS[name]}が未来の日付です。")
        if update.acquired_on and update.lost_on and update.lost_on < update.acquired_on:
            raise ProgramDatesRefused(f"{where}.lost_date", "抹消日が登録日より前です。")
    return details


def _update(program: Program, items: Mapping[str, Any], where: str, enrolled: bool) -> ProgramUpdate:
    return ProgramUpdate(
        atena_number="",
        program=program,
        enrolled=enrolled,
        acquired_on=_day(items, "acquired_date", where),
        lost_on=_day(items, "lost_date", where),
        basic_pension_number=_text(items, "basic_pension_number", where),
        pension_kind=_text(items, "pension_kind", where),
        first_month=_text(items, "first_month", where),
        last_month=_text(items, "last_month", where),
    )


def _span(update: ProgramUpdate) -> tuple[Any, Any, str, str]:
    """A period's start, end and their layout names: months for 児童手当, days for the others."""
    if update.program is Program.CHILD_ALLOWANCE:
        return update.first_month or None, update.last_month or None, "first_month", "last_month"
    return update.acquired_on, update.lost_on, "acquired_date", "lost_date"


def _check_ended(update: ProgramUpdate, where: str) -> None:
    """A period followed by another must have ended (ProgramDatesRefused)."""
    _, end, _, end_name = _span(update)
    if end is None:
        raise ProgramDatesRefused(
            f"{where}.{end_name}",
            "終わっていない期間（資格喪失日・支給終了月がない期間）の後に、別の期間があります。",
            "この期間に終わりの日付を書くか、期間を一つにまとめてください。",
        )


def _check_order(earlier: ProgramUpdate, later: ProgramUpdate, where: str) -> None:
    """The later of two periods starts after the earlier (ended) one (ProgramDatesRefused)."""
    first_start, first_end, _, _ = _span(earlier)
    start, _, start_name, _ = _span(later)
    if start is None:
        raise ProgramDatesRefused(
            f"{where}.{start_name}",
            "2番目以降の期間に始まりの日付（資格取得日・支給開始月）がありません。",
            "各期間の始まりの日付を書いてください。",
        )
    if first_start is not None and start < first_start:
        raise ProgramDatesRefused(
            f"{where}.{start_name}",
            "期間が日付の順に並んでいません。",
            "期間を古いものから順に並べてください。",
        )
    # A day lost is the day the next period may start (資格喪失日 = the day after the last day);
    # a month paid last is not paid again.
    overlaps = start <= first_end if later.program is Program.CHILD_ALLOWANCE else start < first_end
    if overlaps:
        raise ProgramDatesRefused(
            f"{where}.{start_name}",
            "前の期間と重なっています。",
            "前の期間の終わりより後の始まりの日付を書いてください。",
        )


def _closed_details(
    update: ProgramUpdate, details: dict[str, str], where: str, today: date
) -> dict[str, str]:
    """An ended pension period keeps its 基礎年金番号 and 種別 when given (checked as when enrolled)."""
    if update.program is Program.NATIONAL_PENSION and (update.basic_pension_number or update.pension_kind):
        return {**_checked(replace(update, enrolled=True), where, today), **details}
    return details


def program_rows(
    record: Mapping[str, Any],
    resident_id: int,
    *,
    today: date,
    recorded_by: int | None,
    recorded_at: Any,
    date_value: Callable[[date], Any],
) -> list[tuple[Any, ...]]:
    """The ProgramRecord rows (``PROGRAM_COLUMNS``) of one line's ``program_dates``, or
    ProgramDatesRefused. ``recorded_at`` and ``date_value`` as the connection takes them (LoadContext).

    A program's value is one period (its current state) or a list of periods, oldest first: each becomes
    a row in that order, so the last is the current state (enrolled as the line's flag) and the earlier,
    ended ones (not enrolled) its history. Periods out of order or overlapping refuse the line."""
    given = record["program_dates"]
    if not isinstance(given, dict):
        raise ProgramDatesRefused("program_dates", "program_dates が制度ごとのオブジェクトではありません。")
    rows = []
    for name, value in given.items():
        program = PROGRAM_OF.get(name)
        if program is None:
            raise ProgramDatesRefused(
                "program_dates",
                "program_dates に定義されていない制度があります。",
                f"制度は {'、'.join(PROGRAM_OF)} のいずれかにしてください。",
            )
        enrolled = record.get(f"program_{name}")
        if not isinstance(enrolled, bool):
            raise ProgramDatesRefused(f"program_{name}", f"program_{name}（true/false）がありません。")
        periods = value if isinstance(value, list) and value else [value]
        earlier: ProgramUpdate | None = None
        for index, items in enumerate(periods):
            where = f"program_dates.{name}" + (f"[{index}]" if isinstance(value, list) else "")
            if not isinstance(items, dict) or not set(items) <= set(_ITEMS[program]):
                raise ProgramDatesRefused(
                    where,
                    "この制度に定義されていない項目があります。",
                    f"{where} の項目は {'、'.join(_ITEMS[program])} です。",
                )
            last = index == len(periods) - 1
            update = _update(program, items, where, enrolled if last else False)
            if not last:
                _check_ended(update, where)
            details = _checked(update, where, today)
            if not last:
                details = _closed_details(update, details, where, today)
            if earlier is not None:
                _check_order(earlier, update, where)
            earlier = update
            kind_changed = _day(items, "pension_kind_date", where)
            if kind_changed is not None:
                if kind_changed > today:
                    raise ProgramDatesRefused(
                        f"{where}.pension_kind_date", "種別変更年月日が未来の日付です。"
                    )
                details["pension_kind_changed_on"] = kind_changed.isoformat()
            rows.append(
                (
                    resident_id,
                    program.value,
                    update.enrolled,
                    None if update.acquired_on is None else date_value(update.acquired_on),
                    None if update.lost_on is None else date_value(update.lost_on),
                    json.dumps(details, ensure_ascii=False),
                    REASON,
                    recorded_by,
                    recorded_at,
                )
            )
    return rows
