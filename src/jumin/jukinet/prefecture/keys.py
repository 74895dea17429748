"""Search keys and retention dates of the prefecture's stores (pure helpers, no database)."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from jumin.domain.errors import DomainError
from jumin.domain.kana import kana_search_key

#: 保存期間 of history rows and removed persons (records.md D1; 令30条の6 for the prefecture, D3).
RETENTION_YEARS = 150
RETENTION_BASIS = "住民基本台帳法施行令第30条の6"
#: The temporary 個人番号 of a 国外転出者 is never kept longer than this (system.md F21b).
TEMPORARY_NUMBER_DAYS = 365

_SPACES = str.maketrans("", "", " \u3000\t")


def name_key(name: str) -> str:
    """The exact-match key of a name: NFC, without spaces (QUERY_IDENTITY matching rule)."""
    return unicodedata.normalize("NFC", name).translate(_SPACES)


def kana_key(name_kana: str) -> str:
    """The 清音化 key of a reading, or "" when the reading is empty or not valid kana."""
    if not name_kana.strip():
        return ""
    try:
        return kana_search_key(name_kana, field="name_kana")
    except DomainError:
        return ""


def years_before(moment: datetime, years: int) -> datetime:
    """``moment`` minus ``years`` calendar years (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)
