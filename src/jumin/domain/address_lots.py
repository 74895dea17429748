"""Address lots (住居表示・区画整理・地番, standard 1.3.2-a) and the validity of master rows.

A lot is held as numeric codes (lot, sub-lot, minor number) so 「2番」 sorts before 「10番」; a special
lot (特殊地番: 甲, 乙, 無番地 …) keeps its prefix as text. Master rows are never overwritten: a
change ends the row that is in force (``valid_to``) and adds a new one (``next_period``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from jumin.domain.errors import refusal

__all__ = [
    "SYSTEM_LABELS",
    "LotNumber",
    "LotSystem",
    "Period",
    "day_before",
    "in_force",
    "lot_text",
    "next_period",
    "parse_lot_text",
]


class LotSystem(StrEnum):
    """How the lot is written: 住居表示 (街区符号・住居番号), 区画整理 (街区・画地) or 地番 (番地・枝番)."""

    RESIDENCE_INDICATION = "residence_indication"  # 住居表示
    LAND_READJUSTMENT = "land_readjustment"  # 区画整理（仮換地）
    LAND_LOT = "land_lot"  # 地番


SYSTEM_LABELS: dict[LotSystem, str] = {
    LotSystem.RESIDENCE_INDICATION: "住居表示",
    LotSystem.LAND_READJUSTMENT: "区画整理",
    LotSystem.LAND_LOT: "地番",
}


@dataclass(frozen=True, order=True)
class LotNumber:
    """A lot as numeric codes: ``lot`` (番地・街区符号・街区), ``sub`` and ``minor`` (0 = none)."""

    special: str
    lot: int
    sub: int = 0
    minor: int = 0


def lot_text(system: LotSystem, number: LotNumber) -> str:
    """The lot as written in an address: 「1番2号」, 「甲12番地3の4」, 「5街区7画地」."""
    if system is LotSystem.RESIDENCE_INDICATION:
        text = f"{number.lot}番" + (f"{number.sub}号" if number.sub else "")
    elif system is LotSystem.LAND_READJUSTMENT:
        text = f"{number.lot}街区" + (f"{number.sub}画地" if number.sub else "")
    else:
        text = f"{number.lot}番地" + (f"{number.sub}" if number.sub else "")
    if number.minor:
        text += f"の{number.minor}"
    return number.special + text


_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
# One number of the lot and what follows it; a number with no separator after it ends the lot.
_LOT_PART = re.compile(
    r"(?P<n>[0-9]+|[〇一二三四五六七八九十百千]+)(?P<sep>番地|番|号|の|街区|画地|[-ー−‐])?"
)
_SPECIAL = re.compile(r"^(甲|乙|丙|丁|戊|己|庚|辛|壬|癸|無番地)")


def _kanji_number(text: str) -> int:
    """「十二」 → 12, 「百五」 → 105, 「二〇三」 → 203 (place-value digits are read as such)."""
    if not any(ch in _KANJI_UNITS for ch in text):
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in text))
    total, digit = 0, 0
    for ch in text:
        if ch in _KANJI_UNITS:
            total += (digit or 1) * _KANJI_UNITS[ch]
            digit = 0
        else:
            digit = _KANJI_DIGITS[ch]
    return total + digit


def parse_lot_text(text: str) -> LotNumber | None:
    """The lot at the start of ``text`` (what follows the 町字), or None if it names no number.

    Full-width and kanji numerals are read (「１番２号」, 「十二番地三」, 「1-2-3」); up to three
    numbers are taken and the lot ends at the first text that is not part of it (a building name).
    """
    normalized = unicodedata.normalize("NFKC", text).strip()
    special_match = _SPECIAL.match(normalized)
    special = special_match.group(1) if special_match else ""
    numbers: list[int] = []
    position = len(special)
    while len(numbers) < 3 and (part := _LOT_PART.match(normalized, position)):
        token = part.group("n")
        numbers.append(int(token) if token.isdigit() else _kanji_number(token))
        position = part.end()
        if not part.group("sep"):
            break
    if not numbers:
        return LotNumber(special, 0) if special else None
    numbers += [0] * (3 - len(numbers))
    return LotNumber(special, numbers[0], numbers[1], numbers[2])


@dataclass(frozen=True)
class Period:
    """The days a master row is in force: from ``valid_from`` to ``valid_to`` (None = open)."""

    valid_from: date
    valid_to: date | None = None


def in_force(period: Period, day: date) -> bool:
    """Whether the row is in force on ``day`` (both ends included)."""
    return period.valid_from <= day and (period.valid_to is None or day <= period.valid_to)


def next_period(existing: list[Period], valid_from: date, *, field: str = "valid_from") -> Period | None:
    """Check a new row of the same key starting ``valid_from``; return the open row it ends, if any.

    Rows are never overwritten: an open row that started earlier is ended the day before; a new row
    that starts on or before an existing row's start, or inside an ended row, is refused.
    """
    open_row: Period | None = None
    for period in existing:
        ends_before = period.valid_to is not None and period.valid_to < valid_from
        if ends_before:
            continue
        if period.valid_to is None and period.valid_from < valid_from:
            open_row = period
            continue
        raise refusal(
            field,
            "同じコードの有効期間と重なります。",
            "適用開始日を、今の行の適用開始日より後にしてください（今の行は前日で終了します）。",
            "masters.period_overlap",
        )
    return open_row


def day_before(day: date) -> date:
    """The last day of a row that a new row starting ``day`` replaces."""
    return day - timedelta(days=1)
