"""Today and now for the account rules, and the fiscal year (年度: 1 April to 31 March).

Kept in one module so tests can move the clock (C-14: "with the clock at 2026-04-01 00:00").
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    """The current aware time."""
    return timezone.now()


def today() -> date:
    """The current local date (Asia/Tokyo)."""
    return timezone.localdate(now())


def fiscal_year(day: date) -> int:
    """The fiscal year (年度) a day belongs to: 2026-03-31 is in 2025, 2026-04-01 in 2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_end(day: date) -> date:
    """31 March that ends the fiscal year of ``day`` (controls.md C-13)."""
    return date(fiscal_year(day) + 1, 3, 31)


def fiscal_year_start(day: date) -> date:
    """1 April that starts the fiscal year of ``day`` (controls.md C-14)."""
    return date(fiscal_year(day), 4, 1)
