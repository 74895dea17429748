"""支援措置 period arithmetic (algorithms.md F, standard 3.4)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.domain.periods import (
    ALERT_ENDED_WITHOUT_EXTENSION,
    ALERT_ENDS_WITHIN_ONE_MONTH,
    ExtensionAfterEnd,
    SupportPeriod,
    alerts_on_view,
    can_extend,
    extended_period,
    extension_window_opens,
    last_end_with_open_window,
    new_support_period,
    support_period_end,
    suppression_in_force,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    ("start", "end", "window", "extended_start", "extended_end"),
    [
        pytest.param("2020-04-01", "2021-03-31", "2021-02-28", "2021-04-01", "2022-03-31", id="SP-1"),
        pytest.param("2023-03-01", "2024-02-29", "2024-01-29", "2024-03-01", "2025-02-28", id="SP-2"),
        pytest.param("2024-02-29", "2025-02-28", "2025-01-28", "2025-03-01", "2026-02-28", id="SP-3"),
        pytest.param("2024-03-01", "2025-02-28", "2025-01-28", "2025-03-01", "2026-02-28", id="SP-4"),
        pytest.param("2024-02-28", "2025-02-27", "2025-01-27", "2025-02-28", "2026-02-27", id="SP-5"),
        pytest.param("2024-01-31", "2025-01-30", "2024-12-30", "2025-01-31", "2026-01-30", id="SP-6"),
        pytest.param("2019-04-30", "2020-04-29", "2020-03-29", "2020-04-30", "2021-04-29", id="SP-7"),
    ],
)
def test_support_period_end_window_and_extension_follow_the_civil_code(
    start: str, end: str, window: str, extended_start: str, extended_end: str
) -> None:
    assert support_period_end(D(start)) == D(end)
    assert new_support_period(D(start)) == SupportPeriod(D(start), D(end))
    assert extension_window_opens(D(end)) == D(window)
    assert extended_period(D(end)) == SupportPeriod(D(extended_start), D(extended_end))


@pytest.mark.parametrize(
    ("end", "processing", "extension", "alert_code"),
    [
        pytest.param("2021-03-31", "2021-02-27", "support_period.extension_too_early", None, id="SP-X1"),
        pytest.param(
            "2021-03-31", "2021-02-28", ("2021-04-01", "2022-03-31"), ALERT_ENDS_WITHIN_ONE_MONTH, id="SP-X2"
        ),
        pytest.param(
            "2021-03-31", "2021-03-10", ("2021-04-01", "2022-03-31"), ALERT_ENDS_WITHIN_ONE_MONTH, id="SP-X3"
        ),
        pytest.param(
            "2021-03-31", "2021-03-31", ("2021-04-01", "2022-03-31"), ALERT_ENDS_WITHIN_ONE_MONTH, id="SP-X4"
        ),
        pytest.param(
            "2021-03-31",
            "2021-04-01",
            "support_period.extension_after_end",
            ALERT_ENDED_WITHOUT_EXTENSION,
            id="SP-X5",
        ),
    ],
)
def test_extension_is_allowed_only_inside_the_window_and_viewing_alerts_match(
    end: str, processing: str, extension: str | tuple[str, str], alert_code: str | None
) -> None:
    if isinstance(extension, str):
        with pytest.raises(DomainError) as caught:
            can_extend(D(end), D(processing))
        assert caught.value.code == extension
        assert caught.value.field == "processing_date"
    else:
        assert can_extend(D(end), D(processing)) == SupportPeriod(D(extension[0]), D(extension[1]))
    alerts = alerts_on_view(D(end), D(processing), ended=False)
    assert [alert.code for alert in alerts] == ([alert_code] if alert_code else [])
    # The suppression outlives the period until staff end it (SP-X5: issuance still blocked).
    assert suppression_in_force(ended=False)


def test_alert_messages_are_japanese_sentences() -> None:
    (soon,) = alerts_on_view(D("2021-03-31"), D("2021-03-10"), ended=False)
    assert "1か月以内に終了" in soon.message
    (ended,) = alerts_on_view(D("2021-03-31"), D("2021-04-01"), ended=False)
    assert "延長されずに終了" in ended.message


def test_no_alert_once_staff_have_ended_the_support() -> None:
    assert alerts_on_view(D("2021-03-31"), D("2021-04-01"), ended=True) == []
    assert alerts_on_view(D("2021-03-31"), D("2021-03-10"), ended=True) == []
    assert not suppression_in_force(ended=True)


def test_late_extension_is_accepted_when_the_policy_allows_it() -> None:
    period = can_extend(D("2021-03-31"), D("2021-05-01"), extension_after_end=ExtensionAfterEnd.ALLOW)
    assert period == SupportPeriod(D("2021-04-01"), D("2022-03-31"))


def test_edited_end_date_moves_the_window() -> None:
    edited = SupportPeriod(D("2020-04-01"), D("2021-05-31"))
    assert extension_window_opens(edited.end) == D("2021-04-30")
    assert can_extend(edited.end, D("2021-04-30")) == SupportPeriod(D("2021-06-01"), D("2022-05-31"))


def test_end_before_start_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        SupportPeriod(D("2021-04-01"), D("2021-03-31"))
    assert caught.value.code == "support_period.end_before_start"


def test_dates_beyond_the_calendar_are_refused() -> None:
    with pytest.raises(DomainError):
        support_period_end(D("9999-01-01"))
    with pytest.raises(DomainError):
        extension_window_opens(D("0001-01-15"))


def _anniversary(start: date) -> date:
    """Start + 1 year; a missing 29 February rolls over to 1 March."""
    if start.month == 2 and start.day == 29 and not calendar.isleap(start.year + 1):
        return date(start.year + 1, 3, 1)
    return start.replace(year=start.year + 1)


starts = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


@given(starts)
def test_end_is_just_before_the_first_anniversary(start: date) -> None:
    end = support_period_end(start)
    anniversary = _anniversary(start)
    assert anniversary - timedelta(days=2) < end < anniversary


@given(starts)
def test_window_opens_on_or_before_the_end_and_within_a_month(start: date) -> None:
    end = support_period_end(start)
    window = extension_window_opens(end)
    assert window <= end
    assert timedelta(days=28) <= end - window <= timedelta(days=31)


@given(starts)
def test_extended_period_starts_the_day_after_the_old_end(start: date) -> None:
    end = support_period_end(start)
    extended = extended_period(end)
    assert extended.start == end + timedelta(days=1)
    assert extended.end == support_period_end(extended.start)


@given(starts, st.integers(min_value=-400, max_value=400))
def test_extension_outcome_depends_only_on_the_window(start: date, offset: int) -> None:
    end = support_period_end(start)
    processing = end + timedelta(days=offset)
    allowed = extension_window_opens(end) <= processing <= end
    try:
        can_extend(end, processing)
    except DomainError:
        assert not allowed
    else:
        assert allowed


@given(starts)
def test_the_default_notice_window_reaches_the_last_end_whose_extension_window_is_open(today: date) -> None:
    last = last_end_with_open_window(today)
    assert extension_window_opens(last) <= today
    assert extension_window_opens(last + timedelta(days=1)) > today


@pytest.mark.parametrize(
    ("today", "last"),
    [
        ("2026-01-15", "2026-02-15"),
        ("2026-01-31", "2026-02-28"),
        ("2026-02-28", "2026-03-31"),
        ("2024-01-30", "2024-02-29"),
        ("2026-12-31", "2027-01-31"),
    ],
)
def test_the_default_notice_window_examples(today: str, last: str) -> None:
    assert last_end_with_open_window(D(today)) == D(last)
