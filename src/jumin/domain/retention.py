"""Retention periods counted in calendar years (controls.md §13), pure Python.

The 交付履歴 is kept for a period the municipality sets (standard 1.3.8-a; "no number given", standard
§ "Numbers": municipal setting) and purged automatically after it (controls.md §13, "Certificate
issuance log"); deleting it earlier is an X row (1.3.8-b). Both the municipality's 交付履歴 and the
CS's 広域交付 issuance records follow the same setting, so the rule lives here once.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from jumin.domain.errors import DomainError

#: Proposed default: the spec gives no figure; five years covers the usual 文書保存 class of 請求書.
DEFAULT_ISSUANCE_RETENTION_YEARS = 5
#: A shorter setting is refused: it would purge this year's history, which no municipality intends.
MINIMUM_ISSUANCE_RETENTION_YEARS = 1

SETTING_ISSUANCE_RETENTION = "JUMIN_ISSUANCE_RETENTION_YEARS"

DateT = TypeVar("DateT", bound=date)


def years_before(day: DateT, years: int) -> DateT:
    """``day`` minus ``years`` calendar years (29 February falls back to the 28th); dates and datetimes."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _configured_years(configured: object, default: int) -> int:
    """A setting's raw value as whole years: ``default`` when unset, 0 (refused by the callers) when
    it is not a whole number."""
    if configured is None or configured == "":
        return default
    try:
        return int(str(configured))
    except ValueError:
        return 0


def issuance_retention_years(configured: object) -> int:
    """The retention in years from a setting's raw value (None → the default); refuses a bad value.

    Raises ``ValueError`` naming the setting and the remedy: a purge must never run on a guess.
    """
    years = _configured_years(configured, DEFAULT_ISSUANCE_RETENTION_YEARS)
    if years < MINIMUM_ISSUANCE_RETENTION_YEARS:
        raise ValueError(
            f"{SETTING_ISSUANCE_RETENTION} は{MINIMUM_ISSUANCE_RETENTION_YEARS}以上の整数（年）で"
            "設定してください。交付履歴は保存期間内に削除できません。"
        )
    return years


def issuance_purge_cutoff(today: date, years: int) -> date:
    """Records issued before this day are past the retention period on ``today`` and may be purged.

    A record issued on 2021-04-01 with five years' retention is kept through 2026-04-01 and purged
    from 2026-04-02: the period starts the day after issue (民法140条) and ends on the day before the
    same date five years later (民法143条).
    """
    return years_before(today, years)


#: 除票 move from the live database to the 除票 database after this many years (standard 1.1.5-e, 9.3-a).
DEFAULT_REMOVED_ARCHIVE_YEARS = 5
SETTING_REMOVED_ARCHIVE_YEARS = "JUMIN_REMOVED_ARCHIVE_YEARS"
#: A 除票 is kept this many years after its removal, then deleted (standard 1.1.5-e; system.md D1).
REMOVED_RECORD_RETENTION_YEARS = 150


def removed_archive_years(configured: object) -> int:
    """The archive age in years from a setting's raw value (None → 5); refuses a bad value.

    Raises ``ValueError`` naming the setting and the remedy: the batch must never move on a guess.
    """
    years = _configured_years(configured, DEFAULT_REMOVED_ARCHIVE_YEARS)
    if not 1 <= years < REMOVED_RECORD_RETENTION_YEARS:
        raise ValueError(
            f"{SETTING_REMOVED_ARCHIVE_YEARS} は1以上{REMOVED_RECORD_RETENTION_YEARS}未満の整数（年）で"
            "設定してください。"
        )
    return years


def removed_before(today: date, years: int) -> date:
    """A 除票 removed before this day is more than ``years`` old on ``today`` (counted as
    ``issuance_purge_cutoff``: kept through the anniversary of its removal, due the day after)."""
    return years_before(today, years)


def retention_end(removal_date: date) -> date:
    """The last day a 除票 removed on ``removal_date`` is kept (the 150th anniversary); purged after it."""
    try:
        return removal_date.replace(year=removal_date.year + REMOVED_RECORD_RETENTION_YEARS)
    except ValueError:  # 29 February → 28 February, as years_before does
        return removal_date.replace(year=removal_date.year + REMOVED_RECORD_RETENTION_YEARS, day=28)


#: The audit log's retention floor (controls.md C-51, §12 "Floor on log retention": proposed 7 years).
MINIMUM_AUDIT_LOG_RETENTION_YEARS = 7
#: Default until the municipality sets one: the floor (standard 10.2-c gives no figure; §"Numbers").
DEFAULT_AUDIT_LOG_RETENTION_YEARS = MINIMUM_AUDIT_LOG_RETENTION_YEARS
#: An upper bound that catches a typo (e.g. 1000) without limiting any real choice: 除票 are kept 150 years.
MAXIMUM_AUDIT_LOG_RETENTION_YEARS = 150


def check_audit_log_retention(years: int) -> None:
    """Refuse an audit-log retention outside 7–150 years (C-51: never below the floor; C-79)."""
    if not MINIMUM_AUDIT_LOG_RETENTION_YEARS <= years <= MAXIMUM_AUDIT_LOG_RETENTION_YEARS:
        raise DomainError(
            field="years",
            reason=f"監査ログの保存期間は{MINIMUM_AUDIT_LOG_RETENTION_YEARS}年以上"
            f"{MAXIMUM_AUDIT_LOG_RETENTION_YEARS}年以下でなければなりません。",
            remedy=f"{MINIMUM_AUDIT_LOG_RETENTION_YEARS}以上{MAXIMUM_AUDIT_LOG_RETENTION_YEARS}以下の"
            "整数（年）を入力してください。下限を下回る設定はできません。",
            code="audit_retention.out_of_range",
        )
