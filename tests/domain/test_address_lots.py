"""Lots as numeric codes and the append-only validity of master rows (standard 1.3.2-a)."""

from __future__ import annotations

from datetime import date

import pytest

from jumin.domain.address_lots import (
    LotNumber,
    LotSystem,
    Period,
    in_force,
    lot_text,
    next_period,
    parse_lot_text,
)
from jumin.domain.errors import DomainError


def test_lots_sort_by_number_not_by_text() -> None:
    lots = [LotNumber("", 10), LotNumber("", 2, 3), LotNumber("", 2)]
    assert sorted(lots) == [LotNumber("", 2), LotNumber("", 2, 3), LotNumber("", 10)]
    assert sorted(lot_text(LotSystem.LAND_LOT, n) for n in lots) != [
        lot_text(LotSystem.LAND_LOT, n) for n in sorted(lots)
    ]  # why the codes are numeric: as text, 「10番地」 sorts before 「2番地」


@pytest.mark.parametrize(
    ("system", "number", "text"),
    [
        (LotSystem.RESIDENCE_INDICATION, LotNumber("", 1, 2), "1番2号"),
        (LotSystem.RESIDENCE_INDICATION, LotNumber("", 7), "7番"),
        (LotSystem.LAND_LOT, LotNumber("甲", 12, 3, 4), "甲12番地3の4"),
        (LotSystem.LAND_READJUSTMENT, LotNumber("", 5, 7), "5街区7画地"),
    ],
)
def test_lot_text(system: LotSystem, number: LotNumber, text: str) -> None:
    assert lot_text(system, number) == text


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1番2号", LotNumber("", 1, 2)),
        ("１番２号 相生ハイツ203号", LotNumber("", 1, 2)),
        ("1番1号相生ハイツ 203号", LotNumber("", 1, 1)),
        ("十二番地三", LotNumber("", 12, 3)),
        ("甲12番地", LotNumber("甲", 12)),
        ("1-2-3", LotNumber("", 1, 2, 3)),
        ("無番地", LotNumber("無番地", 0)),
    ],
)
def test_parse_lot_text(typed: str, number: LotNumber) -> None:
    assert parse_lot_text(typed) == number


def test_parse_lot_text_without_a_number_is_none() -> None:
    assert parse_lot_text("相生ハイツ") is None


def test_a_new_row_ends_the_open_row_that_started_earlier() -> None:
    open_row = Period(date(2020, 4, 1))
    assert next_period([Period(date(2010, 1, 1), date(2020, 3, 31)), open_row], date(2026, 12, 1)) == open_row
    assert next_period([], date(2026, 12, 1)) is None


@pytest.mark.parametrize(
    "existing",
    [
        [Period(date(2026, 12, 1))],  # same start: would overwrite
        [Period(date(2027, 1, 1))],  # an open row starting later
        [Period(date(2020, 1, 1), date(2030, 1, 1))],  # inside an ended row
    ],
)
def test_overlapping_rows_are_refused(existing: list[Period]) -> None:
    with pytest.raises(DomainError) as refused:
        next_period(existing, date(2026, 12, 1))
    assert refused.value.code == "masters.period_overlap"
    assert refused.value.field == "valid_from"


def test_in_force_includes_both_ends() -> None:
    period = Period(date(2026, 1, 1), date(2026, 1, 31))
    assert in_force(period, date(2026, 1, 1))
    assert in_force(period, date(2026, 1, 31))
    assert not in_force(period, date(2026, 2, 1))
    assert not in_force(period, date(2025, 12, 31))
