"""Building draft snapshots for amendments and removals from a person's current record.

Every workflow other than 転入 starts from the current committed snapshot and changes some fields;
the copy keeps everything else (history is full rows, records.md §6.0 rule 2) and remembers which
履歴番号 it was based on, so commit_change can refuse a stale draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.forms.models import model_to_dict

from jumin.domain.errors import DomainError
from jumin.registry import locks
from jumin.registry.models import Change, Resident, ResidentSnapshot

# Fields that belong to the row itself, never copied from the previous snapshot.
# move_in_notice_due belongs to the 転入 that set it: a later row owes no 転入通知.
# restates marks a row re-stated by an 異動の取消し (workflows.cancellation_replay): never inherited.
# archive_entry marks a row copied into the 除票データベース (registry.removed_archive): the row's own.
NOT_COPIED = {
    "id",
    "resident",
    "change",
    "history_no",
    "based_on_history_no",
    "move_in_notice_due",
    "restates",
    "archive_entry",
}


def current_of(atena_number: str, *, lock: bool = False) -> tuple[Resident, ResidentSnapshot]:
    """The person and their current committed snapshot, or a DomainError naming the field."""
    query = Resident.objects.select_related("current")
    if lock:
        query = query.select_for_update()
    resident = query.filter(atena_number=atena_number, current__isnull=False).first()
    if resident is None or resident.current is None:
        raise DomainError(
            field="atena_number",
            reason="該当する住民が見つかりません。",
            remedy="宛名番号を確認してください。",
            code="registry.resident_not_found",
        )
    return resident, resident.current


def draft_from_current(
    resident: Resident,
    current: ResidentSnapshot,
    change: Change,
    *,
    copy_of: ResidentSnapshot | None = None,
    based_on_history_no: int | None = None,
    **changes: Any,
) -> ResidentSnapshot:
    """Save a draft snapshot for ``change``: the current row with ``changes`` applied.

    ``copy_of`` copies an earlier committed row of the person instead (異動の取消し restores it); the
    draft is still based on ``current``, so commit refuses it if the person changed meanwhile.
    ``based_on_history_no`` is for a change holding several rows of one person (the re-stated rows of
    an 異動の取消し): each is based on the 履歴番号 the row before it in the change will get.
    The person is locked for the draft's maker (standard 10.3-d; ``locks.take`` refuses when another
    clerk's open draft includes them).
    """
    locks.take(resident, change)
    source = copy_of or current
    values = {
        name: value
        for name, value in model_to_dict(source, exclude=list(NOT_COPIED)).items()
        if name not in changes
    }
    # model_to_dict gives foreign keys as ids; the encrypted 個人番号 is copied as stored (never decrypted).
    # A changed household comes in ``changes``; copying the old id too would silently win over it.
    household_id = values.pop("household", source.household_id)
    if "household" not in changes and "household_id" not in changes:
        values["household_id"] = household_id
    for column in ("individual_number", "individual_number_index"):
        if column not in changes:
            values[column] = getattr(source, column)
    return ResidentSnapshot.objects.create(
        resident=resident,
        change=change,
        based_on_history_no=current.history_no if based_on_history_no is None else based_on_history_no,
        **values,
        **changes,
    )


def in_history_order(rows: Iterable[ResidentSnapshot]) -> list[ResidentSnapshot]:
    """``rows`` with each person's rows in the order they were written (pk), people in first-seen order.

    A change holds one row per person, except an 異動の取消し that re-states later changes
    (workflows.cancellation_replay): its rows get their 履歴番号 in the order they were written.
    """
    by_person: dict[int, list[ResidentSnapshot]] = {}
    for row in rows:
        by_person.setdefault(row.resident_id, []).append(row)
    return [row for person in by_person.values() for row in sorted(person, key=lambda each: each.pk)]


def newest_per_person(rows: Iterable[ResidentSnapshot]) -> list[ResidentSnapshot]:
    """Each person's last row of ``rows`` (in history order): what the CS and the 附票 are told."""
    newest: dict[int, ResidentSnapshot] = {}
    for row in rows:
        newest[row.resident_id] = row
    return list(newest.values())
