"""Storage form of a registry date: the value as entered (和暦, 西暦 or 不詳) plus its sort date.

The registry keeps every date field as this JSON object and a separate sortable column
(records.md §6.0 rule 6; algorithms.md B.2 rule 3, B.4, B.5).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from jumin.domain.eras import resolve_table
from jumin.domain.errors import DomainError
from jumin.domain.uncertain_dates import UncertainDate, age_in_years
from jumin.domain.wareki import WarekiDate, format_gregorian_ja

RecordedDate = WarekiDate | UncertainDate | date


def sort_date_of(value: RecordedDate) -> date:
    """The Gregorian day used for sorting and ages: the date itself, or approx_date (B.5)."""
    if isinstance(value, UncertainDate):
        return value.approx_date
    if isinstance(value, WarekiDate):
        return value.to_gregorian()
    return value


def to_json(value: RecordedDate) -> dict[str, object]:
    """A JSON object that :func:`from_json` restores exactly; ``kind`` says which form was entered."""
    if isinstance(value, UncertainDate):
        return {"kind": "uncertain", **value.to_json_dict()}
    if isinstance(value, WarekiDate):
        return {
            "kind": "wareki",
            "era": value.era,
            "year": value.year,
            "month": value.month,
            "day": value.day,
        }
    return {"kind": "gregorian", "date": value.isoformat()}


def from_json(data: Mapping[str, object]) -> RecordedDate:
    """Restore a stored date; an unknown kind is a DomainError, never a guess."""
    kind = data.get("kind")
    try:
        if kind == "uncertain":
            return UncertainDate.from_json_dict({k: v for k, v in data.items() if k != "kind"})
        if kind == "wareki":
            return WarekiDate(
                str(data["era"]), int(str(data["year"])), int(str(data["month"])), int(str(data["day"]))
            )
        if kind == "gregorian":
            return date.fromisoformat(str(data["date"]))
    except (KeyError, ValueError) as error:
        if isinstance(error, DomainError):
            raise
        raise DomainError(
            field="date",
            reason="保存された日付の形式が正しくありません。",
            remedy="システム管理者に連絡してください。",
            code="recorded_date.corrupt",
        ) from None
    raise DomainError(
        field="date",
        reason="保存された日付の種類が不明です。",
        remedy="システム管理者に連絡してください。",
        code="recorded_date.unknown_kind",
    )


def display(value: RecordedDate, *, gregorian: bool = False) -> str:
    """The registry spelling: 和暦 as entered; 西暦 only where the standard requires it (B.2 rule 4)."""
    if isinstance(value, UncertainDate):
        return value.display()
    if isinstance(value, WarekiDate):
        return value.display()
    if gregorian:
        return format_gregorian_ja(value)
    # ``to_wareki(value).display()`` without building and re-validating a WarekiDate: a search result
    # page spells a hundred or more birth dates (P2); tests/domain/test_recorded_dates.py compares both.
    return resolve_table(None).era_at(value).format_day(value)


def age_on(value: RecordedDate, reference: date) -> int | None:
    """満年齢 on ``reference``; None when not yet born then or when a 不詳 date leaves the age open.

    和暦 and 西暦 days give one age; a 不詳 date gives one only when both ends of its range do
    (``UncertainDate.age_on``, algorithms.md B.5), so 「昭和40年頃」 has no single age.
    """
    if isinstance(value, UncertainDate):
        if value.range_start is None or reference < value.range_start:
            return None
        return value.age_on(reference)
    born = sort_date_of(value)
    return age_in_years(born, reference) if born <= reference else None
