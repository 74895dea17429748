"""Household facts shared by the workflows that remove people or add one (転出, 死亡, 出生)."""

from __future__ import annotations

from collections.abc import Collection

from jumin.domain.errors import Alert
from jumin.domain.member_order import first_remaining_member
from jumin.domain.resident import ResidentStatus
from jumin.registry.models import Household, ResidentSnapshot
from jumin.registry.workflows.household_members import current_rows


def current_members(household: Household) -> list[ResidentSnapshot]:
    """The household's members now, 転出予定者 included (not yet removed), in the stored order."""
    return current_rows(household, statuses=[ResidentStatus.RESIDENT, ResidentStatus.PLANNED_MOVE_OUT])


def head_change_alert(household: Household, leaving: Collection[str]) -> Alert | None:
    """When the 世帯主 leaves and others stay, the clerk is told a 世帯主変更 is needed and who receives
    the notices (standard 4.0.5-a: the first remaining member in the order before the head left)."""
    members = current_members(household)
    if not any(m.is_head and m.resident.atena_number in leaving for m in members):
        return None
    order = [m.resident.atena_number for m in members]
    first = first_remaining_member(order, [n for n in order if n not in leaving])
    if first is None:
        return None
    return Alert(
        field="atena_numbers",
        message=(
            "世帯主が世帯を離れ、他の世帯員が残ります。世帯主変更が必要です。"
            f"通知の宛先は残る世帯員の先頭（宛名番号 {first}）の方です。"
        ),
        code="registry.head_change_required",
    )
