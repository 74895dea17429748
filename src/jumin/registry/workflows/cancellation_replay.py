"""Re-stating the later changes of a cancelled older change (standard 4.6.0.1-a).

When the change cancelled is not the person's latest, their record after the cancellation is the
restored row with every later change applied again. Each later row is re-stated, never rewritten:
the cancellation appends one new row per later row (``ResidentSnapshot.restates`` points at it)
holding the items that later change set, on top of the restored record. The items a later change
did not touch come from the record before it, so whatever the cancelled change set is gone.

A later change that could not exist without the cancelled one is not replayed: the record it was
made on (resident or 除票) differs from the restored one (a 転出 after a cancelled 転入, a 転出確定
after a cancelled 転出). The cancellation is then refused naming that change; the clerk cancels it
first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jumin.domain.errors import DomainError, refusal
from jumin.registry.models import ResidentSnapshot
from jumin.registry.snapshots import NOT_COPIED

# The columns a row carries for the person (ids for foreign keys), compared and replayed.
REPLAYED_COLUMNS = tuple(
    field.attname
    for field in ResidentSnapshot._meta.concrete_fields
    if field.name not in NOT_COPIED and field.attname not in NOT_COPIED
)
# 異動前住所 is the address the person left: after a replay it is the restored record's address.
_PRE_MOVE = {
    "pre_move_postal_code": "postal_code",
    "pre_move_address": "address",
    "pre_move_katagaki": "katagaki",
}


@dataclass(frozen=True)
class Restated:
    """One later row re-stated by the cancellation: a copy of ``source`` with ``columns`` replaced."""

    source: ResidentSnapshot
    columns: dict[str, Any]

    def value(self, column: str) -> Any:
        """The re-stated row's value of ``column`` (an attname, e.g. ``household_id``)."""
        return self.columns.get(column, getattr(self.source, column))


def newest_statement(row: ResidentSnapshot) -> ResidentSnapshot:
    """The row as it stands now: ``row`` or its latest committed re-statement by a cancellation."""
    while (
        restated := ResidentSnapshot.objects.filter(restates=row, history_no__isnull=False)
        .select_related("resident", "household")
        .first()
    ) is not None:
        row = restated
    return row


def later_rows(row: ResidentSnapshot) -> list[ResidentSnapshot]:
    """The person's committed rows after ``row``, oldest first."""
    assert row.history_no is not None
    return list(
        ResidentSnapshot.objects.filter(resident_id=row.resident_id, history_no__gt=row.history_no)
        .select_related("change", "household", "restates__change")
        .order_by("history_no")
    )


def row_values(row: ResidentSnapshot, columns: dict[str, Any]) -> dict[str, Any]:
    """The replayed columns of ``row`` with ``columns`` (names or attnames) applied."""
    values = {column: getattr(row, column) for column in REPLAYED_COLUMNS}
    for name, value in columns.items():
        if name == "household":
            values["household_id"] = value.pk
        else:
            values[name] = value
    return values


def restate(
    restored: dict[str, Any], cancelled: ResidentSnapshot, later: list[ResidentSnapshot]
) -> list[Restated]:
    """Replay ``later`` (the rows after ``cancelled``) on the ``restored`` record, or refuse.

    Each later row keeps the items its change set (those that differ from the row before it);
    every other item is carried from the replayed record.
    """
    state = dict(restored)
    before = cancelled
    result: list[Restated] = []
    skipped = undone_rows(later)
    for row in later:
        if row.pk in skipped:
            before = row
            continue
        if state["status"] != before.status:
            raise _depends_on_cancelled(row)
        changed = {column for column in REPLAYED_COLUMNS if getattr(row, column) != getattr(before, column)}
        replayed = {column: getattr(row, column) if column in changed else state[column] for column in state}
        for pre_move, source in _PRE_MOVE.items():
            if pre_move in changed:
                replayed[pre_move] = state[source]
        result.append(Restated(row, {c: v for c, v in replayed.items() if v != getattr(row, c)}))
        state, before = replayed, row
    return result


def undone_rows(later: list[ResidentSnapshot]) -> set[int]:
    """The later rows with no effect left to replay: a change cancelled among them with the row
    restoring it (the pair nets out), and a row re-stated among them (its re-statement replays it)."""
    changes = {row.change_id for row in later}
    cancelled = {row.change.cancels_id for row in later if row.change.cancels_id in changes}
    restated = {row.restates_id for row in later if row.restates_id is not None}
    return {
        row.pk
        for row in later
        if row.change_id in cancelled
        or row.pk in restated
        or (row.restates_id is None and row.change.cancels_id in cancelled)
    }


def _depends_on_cancelled(row: ResidentSnapshot) -> DomainError:
    # A re-stated row stands for the change it re-states: that is the one the clerk cancels.
    change = row.restates.change if row.restates is not None else row.change
    return refusal(
        "change_id",
        f"この方には、取り消す異動がなければ成り立たない後の異動（異動番号 {change.pk}「{change.reason}」"
        f"異動日 {change.change_date.isoformat()}）があります。",
        f"先に異動番号 {change.pk} の異動を取り消してから、この異動を取り消してください。",
        "registry.cancel_later_change_depends",
    )
