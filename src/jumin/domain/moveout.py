"""転出 (move-out): removal date, status, statistics and the 14-day rule (algorithms.md G).

Standard 1.1.5-a, 4.1.3.0.1-a, 4.1.3.0.3-a, 4.1.3.1.1-a, 5.1-d and 6.1-d.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from jumin.domain.errors import Alert

LATE_NOTIFICATION_DAYS = 14
"""A 転出 notified more than this many days after the move is recorded by 職権 (4.1.3.0.1-a)."""


class MoveOutStatus(StrEnum):
    """A person's state on a given day relative to the removal date (algorithms.md G.1)."""

    PLANNED_MOVER = "planned_mover"  # 転出予定者: still a resident
    REMOVED = "removed"  # 除票


class PlannedMoveoutBoundary(StrEnum):
    """Setting ``planned_moveout_boundary`` (algorithms.md G.1, standard 6.1-d, to be confirmed).

    ``EXCLUSIVE`` (default): a planned mover counts as present on reference day R when R < removal
    date. ``INCLUSIVE``: also when R equals the removal date.
    """

    EXCLUSIVE = "exclusive"
    INCLUSIVE = "inclusive"


class MoveOutHandling(StrEnum):
    """How a 転出 is recorded (algorithms.md G.2)."""

    NOTIFICATION = "notification"  # 届出
    EX_OFFICIO = "ex_officio"  # 職権


class MoveOutDocument(StrEnum):
    """The document the 転出 flow prints (standard 4.1.3.0.3-a); values are the Japanese names."""

    MOVE_OUT_CERTIFICATE = "転出証明書"
    SUBSTITUTE_CERTIFICATE = "転出証明書に準ずる証明書又は除票の写し"


@dataclass(frozen=True)
class MoveOutDates:
    """The dates of one 転出. The planned date is never overwritten (standard 4.1.3.1.1-a): the dates
    from the 転入通知 are stored beside it."""

    planned: date
    move_in_notice_date: date | None = None  # move-in date stated in the 転入通知
    notice_received_on: date | None = None

    @property
    def removal_date(self) -> date:
        """The date the record becomes a 除票 (see :func:`removal_date`)."""
        return removal_date(self.planned, self.move_in_notice_date)

    def with_move_in_notice(self, move_in_date: date, received_on: date) -> MoveOutDates:
        """Record a 転入通知, whether or not the planned date has passed (4.1.3.1.1-a, MO-5)."""
        return replace(self, move_in_notice_date=move_in_date, notice_received_on=received_on)


@dataclass(frozen=True)
class LateNotificationDecision:
    """The handling of a 転出 given its notification date (algorithms.md G.2)."""

    days_late: int
    handling: MoveOutHandling
    document: MoveOutDocument

    @property
    def alert(self) -> Alert | None:
        """The notice shown to the clerk when the 転出 must be recorded by 職権."""
        if self.handling is MoveOutHandling.NOTIFICATION:
            return None
        return Alert(
            field="notification_date",
            message=(
                f"転出日から{LATE_NOTIFICATION_DAYS}日を超えた届出のため、職権で記録します。"
                "転出証明書に代えて、転出証明書に準ずる証明書または除票の写しを交付してください。"
            ),
            code="moveout.late_notification",
        )


def removal_date(planned: date, move_in_notice_date: date | None) -> date:
    """The removal date: the earlier of the planned move-out date and the move-in date stated in the
    転入通知, or the planned date alone while no notice has arrived (algorithms.md G.1, standard 1.1.5-a)."""
    if move_in_notice_date is None:
        return planned
    return min(planned, move_in_notice_date)


def status_on(day: date, removal_date: date) -> MoveOutStatus:
    """Planned mover before the removal date, removed from it on (algorithms.md G.1, standard 5.1-d)."""
    return MoveOutStatus.PLANNED_MOVER if day < removal_date else MoveOutStatus.REMOVED


def counted_in_statistics(
    reference_day: date,
    removal_date: date,
    boundary: PlannedMoveoutBoundary = PlannedMoveoutBoundary.EXCLUSIVE,
) -> bool:
    """Whether a planned mover counts as present on the statistics reference day
    (algorithms.md G.1, standard 6.1-d; setting ``planned_moveout_boundary``, default exclusive)."""
    if boundary is PlannedMoveoutBoundary.INCLUSIVE:
        return reference_day <= removal_date
    return reference_day < removal_date


def days_late(move_out: date, notified: date) -> int:
    """Notification date minus actual move-out date, in days; negative when notified in advance
    (algorithms.md G.2)."""
    return (notified - move_out).days


def is_late(move_out: date, notified: date) -> bool:
    """More than 14 days late, i.e. notified on or after move-out + 15 days (algorithms.md G.2,
    standard 4.1.3.0.1-a; counting from the day after the move is to be confirmed)."""
    return days_late(move_out, notified) > LATE_NOTIFICATION_DAYS


def late_notification_decision(move_out: date, notified: date) -> LateNotificationDecision:
    """Notification or 職権, and the certificate to print (algorithms.md G.2, standard 4.1.3.0.1-a,
    4.1.3.0.3-a): late 転出 get the substitute certificate or a 除票 copy instead of the 転出証明書."""
    late = is_late(move_out, notified)
    return LateNotificationDecision(
        days_late=days_late(move_out, notified),
        handling=MoveOutHandling.EX_OFFICIO if late else MoveOutHandling.NOTIFICATION,
        document=MoveOutDocument.SUBSTITUTE_CERTIFICATE if late else MoveOutDocument.MOVE_OUT_CERTIFICATE,
    )


def document_to_issue(move_out: date, notified: date) -> MoveOutDocument:
    """The document printed in the 転出 flow (standard 4.1.3.0.3-a, algorithms.md G.2)."""
    return late_notification_decision(move_out, notified).document
