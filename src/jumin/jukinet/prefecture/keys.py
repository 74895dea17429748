"""Retention constants of the prefecture's stores (the search keys are jumin.jukinet.common.keys)."""

from __future__ import annotations

#: 保存期間 of history rows and removed persons (records.md D1; 令30条の6 for the prefecture, D3).
RETENTION_YEARS = 150
RETENTION_BASIS = "住民基本台帳法施行令第30条の6"
#: The temporary 個人番号 of a 国外転出者 is never kept longer than this (system.md F21b).
TEMPORARY_NUMBER_DAYS = 365
