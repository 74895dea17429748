"""転出 removal date, status and the 14-day rule (algorithms.md G, standard 1.1.5-a, 4.1.3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.moveout import (
    LATE_NOTIFICATION_DAYS,
    MoveOutDates,
    MoveOutDocument,
    MoveOutHandling,
    MoveOutStatus,
    PlannedMoveoutBoundary,
    counted_in_statistics,
    days_late,
    document_to_issue,
    is_late,
    late_notification_decision,
    removal_date,
    status_on,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("planned", "move_in", "received_on", "expected"),
    [
        pytest.param("2024-04-10", "2024-04-05", None, "2024-04-05", id="MO-1"),
        pytest.param("2024-04-10", "2024-04-12", None, "2024-04-10", id="MO-2"),
        pytest.param("2024-04-10", "2024-04-10", None, "2024-04-10", id="MO-3"),
        pytest.param("2024-04-10", None, None, "2024-04-10", id="MO-4"),
        pytest.param("2024-04-10", "2024-04-05", "2024-04-20", "2024-04-05", id="MO-5"),
    ],
)
def test_removal_date_is_the_earlier_of_planned_and_notified_move_in(
    planned: str, move_in: str | None, received_on: str | None, expected: str
) -> None:
    move_in_date = D(move_in) if move_in else None
    assert removal_date(D(planned), move_in_date) == D(expected)
    if received_on is not None and move_in_date is not None:
        before_notice = MoveOutDates(planned=D(planned))
        assert before_notice.removal_date == D(planned)
        after_notice = before_notice.with_move_in_notice(move_in_date, D(received_on))
        assert after_notice.removal_date == D(expected)
        assert after_notice.planned == D(planned)  # the planned value is never overwritten
        assert after_notice.notice_received_on == D(received_on)


@pytest.mark.parametrize(
    ("removal", "day", "status", "counted"),
    [
        pytest.param("2024-04-10", "2024-04-09", MoveOutStatus.PLANNED_MOVER, True, id="MO-S1"),
        pytest.param("2024-04-10", "2024-04-10", MoveOutStatus.REMOVED, False, id="MO-S2"),
    ],
)
def test_status_and_statistics_switch_on_the_removal_date(
    removal: str, day: str, status: MoveOutStatus, counted: bool
) -> None:
    assert status_on(D(day), D(removal)) is status
    assert counted_in_statistics(D(day), D(removal)) is counted


def test_inclusive_boundary_counts_the_planned_mover_on_the_removal_date() -> None:
    assert counted_in_statistics(D("2024-04-10"), D("2024-04-10"), PlannedMoveoutBoundary.INCLUSIVE)
    assert not counted_in_statistics(D("2024-04-11"), D("2024-04-10"), PlannedMoveoutBoundary.INCLUSIVE)
    assert PlannedMoveoutBoundary("exclusive") is PlannedMoveoutBoundary.EXCLUSIVE


@pytest.mark.parametrize(
    ("move_out", "notified", "late_days", "handling", "document"),
    [
        pytest.param("2024-04-01", "2024-03-25", -7, MoveOutHandling.NOTIFICATION, "転出証明書", id="LT-1"),
        pytest.param("2024-04-01", "2024-04-01", 0, MoveOutHandling.NOTIFICATION, "転出証明書", id="LT-2"),
        pytest.param("2024-04-01", "2024-04-15", 14, MoveOutHandling.NOTIFICATION, "転出証明書", id="LT-3"),
        pytest.param(
            "2024-04-01",
            "2024-04-16",
            15,
            MoveOutHandling.EX_OFFICIO,
            "転出証明書に準ずる証明書又は除票の写し",
            id="LT-4",
        ),
        pytest.param(
            "2024-12-25",
            "2025-01-09",
            15,
            MoveOutHandling.EX_OFFICIO,
            "転出証明書に準ずる証明書又は除票の写し",
            id="LT-5",
        ),
        pytest.param("2024-02-20", "2024-03-05", 14, MoveOutHandling.NOTIFICATION, "転出証明書", id="LT-6"),
    ],
)
def test_notification_more_than_fourteen_days_late_is_recorded_ex_officio(
    move_out: str, notified: str, late_days: int, handling: MoveOutHandling, document: str
) -> None:
    assert days_late(D(move_out), D(notified)) == late_days
    assert is_late(D(move_out), D(notified)) is (handling is MoveOutHandling.EX_OFFICIO)
    decision = late_notification_decision(D(move_out), D(notified))
    assert decision.days_late == late_days
    assert decision.handling is handling
    assert decision.document == document
    assert document_to_issue(D(move_out), D(notified)) == document
    assert (decision.alert is not None) is (handling is MoveOutHandling.EX_OFFICIO)


def test_late_notification_alert_names_the_substitute_certificate() -> None:
    alert = late_notification_decision(D("2024-04-01"), D("2024-04-16")).alert
    assert alert is not None
    assert "職権" in alert.message
    assert "転出証明書に準ずる証明書" in alert.message
    assert alert.code == "moveout.late_notification"


dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31))


@given(dates, st.none() | dates)
def test_removal_date_never_after_the_planned_date(planned: date, move_in: date | None) -> None:
    removal = removal_date(planned, move_in)
    assert removal <= planned
    assert removal in (planned, move_in)


@given(dates, st.integers(min_value=-60, max_value=60))
def test_late_exactly_from_move_out_plus_fifteen_days(move_out: date, offset: int) -> None:
    notified = move_out + timedelta(days=offset)
    assert is_late(move_out, notified) is (notified >= move_out + timedelta(days=LATE_NOTIFICATION_DAYS + 1))
    expected = MoveOutDocument.SUBSTITUTE_CERTIFICATE if offset > 14 else MoveOutDocument.MOVE_OUT_CERTIFICATE
    assert document_to_issue(move_out, notified) is expected


@given(dates, dates)
def test_planned_mover_is_counted_exactly_while_not_removed(day: date, removal: date) -> None:
    planned_mover = status_on(day, removal) is MoveOutStatus.PLANNED_MOVER
    assert counted_in_statistics(day, removal) is planned_mover
