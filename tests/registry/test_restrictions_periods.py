"""支援措置 period rules through the services (algorithms.md F tables SP-1…SP-7 and SP-X1…SP-X5).

The pure arithmetic is tested in tests/domain/test_periods.py; these check that the services store,
extend and alert by the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.domain.errors import DomainError
from jumin.registry.models import SupportMeasurePeriod
from jumin.registry.restrictions import RestrictedProcess, check_restrictions
from jumin.registry.selectors_restrictions import person_notices
from jumin.registry.services import DraftRecorded
from jumin.registry.services_restrictions import SupportApplication, create_support_measure, extend_support
from tests.registry.conftest import PURPOSE
from tests.registry.test_move_out import family

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk("officer", Permission.SUPPORT_MEASURE_MANAGE)


def open_measure(officer: User, applicant: str, start: date) -> int:
    return create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=SupportApplication(
            applicant=applicant, covered_services=["copies"], received_on=start, period_start=start
        ),
    )


@pytest.mark.parametrize(
    ("start", "end", "opens", "extended"),
    [
        (date(2020, 4, 1), date(2021, 3, 31), date(2021, 2, 28), (date(2021, 4, 1), date(2022, 3, 31))),
        (date(2023, 3, 1), date(2024, 2, 29), date(2024, 1, 29), (date(2024, 3, 1), date(2025, 2, 28))),
        (date(2024, 2, 29), date(2025, 2, 28), date(2025, 1, 28), (date(2025, 3, 1), date(2026, 2, 28))),
        (date(2024, 3, 1), date(2025, 2, 28), date(2025, 1, 28), (date(2025, 3, 1), date(2026, 2, 28))),
        (date(2024, 2, 28), date(2025, 2, 27), date(2025, 1, 27), (date(2025, 2, 28), date(2026, 2, 27))),
        (date(2024, 1, 31), date(2025, 1, 30), date(2024, 12, 30), (date(2025, 1, 31), date(2026, 1, 30))),
        (date(2019, 4, 30), date(2020, 4, 29), date(2020, 3, 29), (date(2020, 4, 30), date(2021, 4, 29))),
    ],
    ids=["SP-1", "SP-2", "SP-3", "SP-4", "SP-5", "SP-6", "SP-7"],
)
def test_stored_period_window_and_extension(
    family: DraftRecorded,
    officer: User,
    start: date,
    end: date,
    opens: date,
    extended: tuple[date, date],
) -> None:
    measure_id = open_measure(officer, family.atena_numbers[1], start)
    stored = SupportMeasurePeriod.objects.get(measure_id=measure_id)
    assert (stored.start, stored.end) == (start, end)
    day_before = date.fromordinal(opens.toordinal() - 1)
    with pytest.raises(DomainError):
        extend_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, processing_date=day_before)
    period = extend_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, processing_date=opens)
    assert (period.start, period.end) == extended


@pytest.mark.parametrize(
    ("processing", "allowed", "alert"),
    [
        (date(2021, 2, 27), False, None),
        (date(2021, 2, 28), True, "support_period.ends_within_one_month"),
        (date(2021, 3, 10), True, "support_period.ends_within_one_month"),
        (date(2021, 3, 31), True, "support_period.ends_within_one_month"),
        (date(2021, 4, 1), False, "support_period.ended_without_extension"),
    ],
    ids=["SP-X1", "SP-X2", "SP-X3", "SP-X4", "SP-X5"],
)
def test_extension_and_alerts_by_processing_date(
    family: DraftRecorded, officer: User, processing: date, allowed: bool, alert: str | None
) -> None:
    wife = family.atena_numbers[1]
    measure_id = open_measure(officer, wife, date(2020, 4, 1))
    assert [a.code for a in person_notices(wife, on=processing).alerts] == ([alert] if alert else [])
    # Issuance stays blocked whatever the date, until staff end the measure.
    assert check_restrictions([wife], process=RestrictedProcess.CERTIFICATE, on=processing).blocked
    if allowed:
        period = extend_support(
            actor=officer, purpose=PURPOSE, measure_id=measure_id, processing_date=processing
        )
        assert (period.start, period.end) == (date(2021, 4, 1), date(2022, 3, 31))
    else:
        with pytest.raises(DomainError):
            extend_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, processing_date=processing)
        assert SupportMeasurePeriod.objects.filter(measure_id=measure_id).count() == 1
