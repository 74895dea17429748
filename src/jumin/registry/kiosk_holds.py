"""Why a kiosk may not issue today (コンビニ交付, standard 7.2.5-a; system.md F11c common practice).

Kiosk issuance is refused for a 転出予定者 and their household, and on the day of the 転入: the household
is about to change (or has just changed), and no clerk is there to check what the kiosk prints. A 転出
still in draft (仮登録) is refused before this, by the rule that holds certificates while a change waits
for review (standard 4.0.8-a, ``certificates.pending_draft``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.utils import timezone

from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry.models import ChangeState, Resident, ResidentSnapshot

#: The 異動事由 by which a person comes to live here from elsewhere (転入).
MOVE_IN_REASONS = (ChangeReason.DOMESTIC_MOVE_IN.value, ChangeReason.MOVE_IN_FROM_ABROAD.value)


class KioskHold(StrEnum):
    """A reason the kiosk refuses for the card holder; its value ends the refusal code."""

    MOVING_OUT = "moving_out"
    MOVED_IN_TODAY = "moved_in_today"


def _local_day(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def kiosk_hold(holder: str, printed: Collection[str], *, today: date) -> KioskHold | None:
    """The hold on a kiosk copy for the card holder ``holder`` printing ``printed`` (宛名番号s), or None.

    * MOVING_OUT: anyone of the holder's current household is a 転出予定者 (a committed 転出 whose date
      has not come), the holder included;
    * MOVED_IN_TODAY: a person printed came in by a 転入 committed (本登録) today, local time.
    """
    resident = Resident.objects.select_related("current").filter(atena_number=holder).first()
    if resident is None or resident.current is None:
        return None
    moving = Resident.objects.filter(
        current__household_id=resident.current.household_id,
        current__status=ResidentStatus.PLANNED_MOVE_OUT.value,
    )
    if moving.exists():
        return KioskHold.MOVING_OUT
    start, end = _local_day(today)
    moved_in_today = ResidentSnapshot.objects.filter(
        resident__atena_number__in=list(printed),
        change__state=ChangeState.COMMITTED,
        change__reason__in=MOVE_IN_REASONS,
        change__reviewed_at__gte=start,
        change__reviewed_at__lt=end,
    )
    return KioskHold.MOVED_IN_TODAY if moved_in_today.exists() else None
