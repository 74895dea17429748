"""Household facts shared by the workflows that remove people or add one (転出, 死亡, 出生)."""

from __future__ import annotations

from collections.abc import Collection

from jumin.domain.errors import Alert
from jumin.domain.resident import ResidentStatus
from jumin.registry.models import Household, ResidentSnapshot
from jumin.registry.workflows.household_members import current_rows, headless_household_alert


def current_members(household: Household) -> list[ResidentSnapshot]:
    """The household's members now, 転出予定者 included (not yet removed), in the stored order."""
    return current_rows(household, statuses=[ResidentStatus.RESIDENT, ResidentStatus.PLANNED_MOVE_OUT])


def head_change_alert(household: Household, leaving: Collection[str]) -> Alert | None:
    """When the 世帯主 leaves and others stay, the clerk is told what follows and who receives the
    notices (standard 4.0.4, 4.0.5-a; one code per situation, see headless_household_alert)."""
    members = current_members(household)
    if not any(m.is_head and m.resident.atena_number in leaving for m in members):
        return None
    order = [m.resident.atena_number for m in members]
    return headless_household_alert(order, [n for n in order if n not in leaving])
