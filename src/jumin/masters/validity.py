"""Append-only validity of master rows: a new row ends the row in force instead of overwriting it."""

from __future__ import annotations

from datetime import date
from typing import Protocol, TypeVar

from jumin.domain.address_lots import Period, day_before, next_period


class _Dated(Protocol):
    valid_from: date
    valid_to: date | None

    def save(self, *, update_fields: list[str]) -> None: ...


Row = TypeVar("Row", bound=_Dated)


def end_row_in_force(rows: list[Row], valid_from: date) -> Row | None:
    """Before adding a row of the same key from ``valid_from``: end the open row that started earlier
    (the day before) and return it; refuse an overlap (``next_period``). ``rows`` are locked by the caller."""
    ended = next_period([Period(row.valid_from, row.valid_to) for row in rows], valid_from)
    for row in rows:
        if ended is not None and row.valid_from == ended.valid_from and row.valid_to is None:
            row.valid_to = day_before(valid_from)
            row.save(update_fields=["valid_to"])
            return row
    return None
