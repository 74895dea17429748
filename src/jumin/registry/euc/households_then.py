"""The 世帯 as it was on a row (standard 10.1-a/b): 世帯主の氏名 and 世帯人数 right after the row's own
committed change, read from the history rather than today's rows (docs/euc.md).

Committed changes are ordered by when they were committed (確認日時, or 入力日時 for a change committed
without review), then by id. For each row, each person ever in the row's 世帯 counts with their latest
committed row at or before the row's change: a member when that row is in the 世帯 and not a 除票, its
世帯主 when it says so. People moved to the 除票データベース are left out, as everywhere in the live
scopes (standard 1.1.5-e). One query for the changes and one for the people's rows per chunk.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models.functions import Coalesce

from jumin.domain.resident import ResidentStatus
from jumin.registry.euc.catalogue import full_name
from jumin.registry.models import Change, ChangeState, ResidentSnapshot

ChangeOrder = tuple[datetime, int]


@dataclass(frozen=True)
class HouseholdThen:
    """A 世帯 at one moment: its 世帯主's name and the number of its members not removed."""

    head_name: str = ""
    members: int = 0


@dataclass(frozen=True)
class _PersonRow:
    order: ChangeOrder
    household_id: int
    is_head: bool
    removed: bool
    name: str


def _change_orders(change_ids: Iterable[int]) -> dict[int, ChangeOrder]:
    rows = Change.objects.filter(pk__in=set(change_ids)).annotate(
        committed_at=Coalesce("reviewed_at", "made_at")
    )
    return {pk: (committed_at, pk) for pk, committed_at in rows.values_list("pk", "committed_at")}


def households_then(rows: list[dict[str, Any]]) -> dict[tuple[int, int], HouseholdThen]:
    """For each (世帯 id, change id) of the rows, the 世帯 right after that change was committed."""
    wanted = {(row["household_id"], row["change_id"]) for row in rows if row.get("change_id")}
    if not wanted:
        return {}
    committed = ResidentSnapshot.objects.filter(
        change__state=ChangeState.COMMITTED, resident__archive_entry__isnull=True
    )
    people = committed.filter(household_id__in={household for household, _ in wanted}).values("resident_id")
    history = list(
        committed.filter(resident_id__in=people).values_list(
            "resident_id", "change_id", "household_id", "is_head", "status", "surname", "given_name"
        )
    )
    orders = _change_orders({change for _, change in wanted} | {row[1] for row in history})
    by_person: dict[int, list[_PersonRow]] = {}
    ever_in: dict[int, set[int]] = {}
    for resident_id, change_id, household_id, is_head, status, surname, given_name in history:
        removed = status == ResidentStatus.REMOVED
        by_person.setdefault(resident_id, []).append(
            _PersonRow(orders[change_id], household_id, is_head, removed, full_name(surname, given_name))
        )
        ever_in.setdefault(household_id, set()).add(resident_id)
    for person_rows in by_person.values():
        person_rows.sort(key=lambda person_row: person_row.order)
    found: dict[tuple[int, int], HouseholdThen] = {}
    for household_id, change_id in wanted:
        at = orders.get(change_id)
        if at is None:
            continue
        head, members = "", 0
        for resident_id in ever_in.get(household_id, set()):
            person_rows = by_person[resident_id]
            index = bisect_right([person_row.order for person_row in person_rows], at) - 1
            if index < 0:
                continue
            latest = person_rows[index]
            if latest.household_id != household_id or latest.removed:
                continue
            members += 1
            if latest.is_head:
                head = latest.name
        found[(household_id, change_id)] = HouseholdThen(head, members)
    return found
