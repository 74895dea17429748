"""支援措置 (support measure for victims of DV, stalking and abuse): period arithmetic.

Rules are algorithms.md F (standard 3.4-b, 3.4-c, 3.4-e, 3.4-f). The period counts by years the way
the Civil Code does: it ends on the day before the same month and day one year later.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from jumin.domain.errors import Alert, DomainError

FIELD_END = "support_period_end"
FIELD_PROCESSING_DATE = "processing_date"

ALERT_ENDS_WITHIN_ONE_MONTH = "support_period.ends_within_one_month"
ALERT_ENDED_WITHOUT_EXTENSION = "support_period.ended_without_extension"


class ExtensionAfterEnd(StrEnum):
    """Policy setting ``extension_after_end`` (algorithms.md F rule 2, to be confirmed).

    ``REFUSE`` (default): after the end date the period cannot be extended; a new application starts
    a new period. ``ALLOW``: a late extension is still accepted and, like any extension, starts on the
    day after the old end (rule 3).
    """

    REFUSE = "refuse"
    ALLOW = "allow"


@dataclass(frozen=True)
class SupportPeriod:
    """A support period, both ends inclusive. ``end`` may be a date edited by staff (3.4-b)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise DomainError(
                field=FIELD_END,
                reason="支援措置の終了日が開始日より前になっています。",
                remedy="開始日以後の日付を終了日に入力してください。",
                code="support_period.end_before_start",
            )


def support_period_end(start: date) -> date:
    """The automatic end date: the day before the same month and day one year later
    (algorithms.md F rule 1, standard 3.4-b).

    A start on 29 February ends on 28 February when the next year has no 29 February (SP-3); a naive
    "one year minus one day" would give 27 February.
    """
    next_year = _checked_year(start.year + 1)
    if start.month == 2 and start.day == 29 and not calendar.isleap(next_year):
        # The anniversary does not exist; the period ends with the last day of February (Civil Code).
        return date(next_year, 2, 28)
    return date(next_year, start.month, start.day) - timedelta(days=1)


def new_support_period(start: date) -> SupportPeriod:
    """A support period starting on ``start`` with the automatic end date (algorithms.md F rule 1)."""
    return SupportPeriod(start, support_period_end(start))


def extension_window_opens(end: date) -> date:
    """W: the end date minus one calendar month, the day clamped to the shorter month's last day
    (algorithms.md F rule 2, standard 3.4-c). Recomputed from an edited end date (rule 5)."""
    year, month = (end.year - 1, 12) if end.month == 1 else (end.year, end.month - 1)
    if year < date.min.year:
        raise _out_of_range()
    return date(year, month, min(end.day, calendar.monthrange(year, month)[1]))


def last_end_with_open_window(today: date) -> date:
    """The latest end date whose extension window (``extension_window_opens``) has opened by ``today``.

    The default reach of the 期間終了予定一覧 (standard 3.4-c, 3.4-d): every period ending from today up
    to this date can be extended now, so its 支援措置期間終了通知 is due. The inverse of the window rule:
    a day that is the last of its month reaches the last day of the next month (31 March opens on
    28 February).
    """
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    if year > date.max.year:
        raise _out_of_range()
    last = calendar.monthrange(year, month)[1]
    if today.day == calendar.monthrange(today.year, today.month)[1]:
        return date(year, month, last)
    return date(year, month, min(today.day, last))


def extended_period(end: date) -> SupportPeriod:
    """The period after an extension: from the day after the old end, ending per rule 1
    (algorithms.md F rule 3, standard 3.4-c). It never starts from the processing date."""
    if end == date.max:
        raise _out_of_range()
    return new_support_period(end + timedelta(days=1))


def can_extend(
    end: date, processing_date: date, *, extension_after_end: ExtensionAfterEnd = ExtensionAfterEnd.REFUSE
) -> SupportPeriod:
    """Return the extended period when an extension may be processed on ``processing_date``;
    raise :class:`DomainError` otherwise (algorithms.md F rule 2, standard 3.4-c).

    Allowed when W ≤ processing date ≤ end. Before W it is an error. After the end the policy
    ``extension_after_end`` applies (default refuse: a new application starts a new period).
    """
    if processing_date < extension_window_opens(end):
        raise DomainError(
            field=FIELD_PROCESSING_DATE,
            reason="延長の申出は、支援措置の終了日の1か月前から受け付けます。",
            remedy="延長の受付期間になってから処理してください。",
            code="support_period.extension_too_early",
        )
    if processing_date > end and extension_after_end is ExtensionAfterEnd.REFUSE:
        raise DomainError(
            field=FIELD_PROCESSING_DATE,
            reason="支援措置の期間が終了しているため、延長できません。",
            remedy="新たな支援措置の申出として受け付けてください。",
            code="support_period.extension_after_end",
        )
    return extended_period(end)


def alerts_on_view(end: date, today: date, *, ended: bool) -> list[Alert]:
    """Alerts shown when a support target's record is viewed (algorithms.md F rule 4, standard 3.4-e).

    "ends within one month" when W ≤ today ≤ end; "ended without extension" when today > end and staff
    have not ended the support (``ended`` false). No alert once staff have ended it.
    """
    if ended:
        return []
    if today > end:
        return [
            Alert(
                field=FIELD_END,
                message=(
                    "支援措置の期間が延長されずに終了しています。"
                    "支援措置は終了の処理をするまで継続しています。延長または終了の処理をしてください。"
                ),
                code=ALERT_ENDED_WITHOUT_EXTENSION,
            )
        ]
    if today >= extension_window_opens(end):
        return [
            Alert(
                field=FIELD_END,
                message="支援措置の期間が1か月以内に終了します。延長の申出の有無を確認してください。",
                code=ALERT_ENDS_WITHIN_ONE_MONTH,
            )
        ]
    return []


def suppression_in_force(*, ended: bool) -> bool:
    """Whether issuance and inspection stay blocked: the suppression lasts until staff end the support,
    even after the period has run out (algorithms.md F rule 4, standard 3.1-c, 3.4-f)."""
    return not ended


def _checked_year(year: int) -> int:
    if year > date.max.year:
        raise _out_of_range()
    return year


def _out_of_range() -> DomainError:
    return DomainError(
        field=FIELD_END,
        reason="支援措置の期間が扱える日付の範囲を超えています。",
        remedy="正しい日付を入力してください。",
        code="support_period.out_of_range",
    )
