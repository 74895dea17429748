"""転出届 and 世帯変更届 rows of the 届出 CSV file as drafts (standard 10.8-a; docs/workflows/import.md).

Each 届出 goes through ``record_move_out`` or ``record_household_change`` exactly as entered on its
screen (checked, audited, committed only by another clerk's review). Each row is one person of the
届出 by 宛名番号 (checked per row beforehand by the caller); a refusal of the workflow is sent to the
row and column it concerns: a 続柄 to its own row (parsed here per row), other items to the first row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from jumin.domain.errors import DomainError, refusal
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import ChangeReason
from jumin.domain.wareki import parse_date_input
from jumin.registry.member_rows import relationship_proof_from
from jumin.registry.notification_import_rows import ImportRow, RowRefusal, RowsRefused
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.move_out import MoveOut, record_move_out

MOVE_OUT = "転出"
# The 届出種別 of a 世帯変更届 as written in the file (standard 4.1.4.1-a; 事実上の世帯主 is not a 届出).
HOUSEHOLD_EVENTS: Mapping[str, HouseholdChangeKind] = {
    kind.value: kind for kind in HouseholdChangeKind if kind is not HouseholdChangeKind.DE_FACTO_HEAD
}
# The 届出's own items these events add to the layout (header → item name).
EVENT_COLUMNS: Mapping[str, str] = {
    "転出予定日": "planned_date",
    "転出先": "destination",
    "転出先郵便番号": "destination_postal_code",
    "転入予定地市町村コード": "destination_municipality_code",
    "異動日": "change_date",
    "移る先の世帯番号": "target_household_number",
}
_MOVE_OUT_REASONS = {
    "": ChangeReason.DOMESTIC_MOVE_OUT,
    **{r.value: r for r in (ChangeReason.DOMESTIC_MOVE_OUT, ChangeReason.MOVE_OUT_ABROAD)},
}
# The kinds whose rows are the persons who move (the others list every member with the new 続柄).
_ROWS_MOVE = (HouseholdChangeKind.SPLIT, HouseholdChangeKind.TRANSFER)
# A workflow's field → the item (column) of the file it comes from.
_ITEM_OF = {"atena_numbers": "atena_number", "members": "atena_number", "relationships": "relationship"}


def _on_first_row(rows: Sequence[ImportRow], error: DomainError) -> RowRefusal:
    base = error.field.split("[", 1)[0]
    item = _ITEM_OF.get(base, base)
    named = DomainError(field=item, reason=error.reason, remedy=error.remedy, code=error.code)
    return RowRefusal(rows[0], named)


def _entered(rows: Sequence[ImportRow], enter: Any) -> DraftRecorded:
    """Run the workflow in its own transaction; its refusal is named on the 届出's first row."""
    try:
        with transaction.atomic():
            result: DraftRecorded = enter()
            return result
    except DomainError as error:
        raise _on_first_row(rows, error) from None


def enter_move_out(
    actor: Any, purpose: str, rows: Sequence[ImportRow], shared: Mapping[str, str], atena_numbers: list[str]
) -> DraftRecorded:
    """A 転出届: its rows are the persons leaving (one household); 転出先 and dates from the 届出."""
    reason = _MOVE_OUT_REASONS.get(shared["reason"])
    if reason is None:
        raise RowRefusal(
            rows[0],
            refusal(
                "reason",
                "異動事由が正しくありません。",
                "「国内転出」（空欄）または「国外転出」と書いてください。",
                "import.reason",
            ),
        )
    planned = parse_date_input(shared["planned_date"], field="planned_date")
    notified = parse_date_input(shared["notification_date"], field="notification_date")
    move_out = MoveOut(
        atena_numbers=atena_numbers,
        planned_date=planned.sort_date,
        destination=shared["destination"],
        notification_date=notified.sort_date,
        reason=reason,
        destination_municipality_code=shared["destination_municipality_code"],
        destination_postal_code=shared["destination_postal_code"],
    )
    return _entered(rows, lambda: record_move_out(actor=actor, purpose=purpose, move_out=move_out))


def _relationships(rows: Sequence[ImportRow]) -> dict[str, str]:
    """Each row's 続柄 by 宛名番号, checked per row so a wrong one names its own row."""
    refused: list[tuple[ImportRow, DomainError]] = []
    for row in rows:
        try:
            parse_relationship(row.values.get("relationship", ""), field="relationship")
        except DomainError as error:
            refused.append((row, error))
    if refused:
        raise RowsRefused(refused)
    return {row.values["atena_number"]: row.values["relationship"] for row in rows}


def enter_household_change(
    actor: Any, purpose: str, rows: Sequence[ImportRow], shared: Mapping[str, str], atena_numbers: list[str]
) -> DraftRecorded:
    """A 世帯変更届 (世帯分離・世帯合併・世帯変更・世帯主変更): one row per person with the 続柄 they take.

    世帯分離 and 世帯変更: the rows are the persons who move. 世帯主変更: every member of the household.
    世帯合併: every member of the household that joins (世帯番号) the other (移る先の世帯番号).
    """
    kind = HOUSEHOLD_EVENTS[shared["event"]]
    relationships = _relationships(rows)
    changed = parse_date_input(shared["change_date"], field="change_date")
    notified = parse_date_input(shared["notification_date"], field="notification_date")
    change = HouseholdChange(
        kind=kind,
        household_number=shared["household_number"],
        change_date=changed.sort_date,
        notification_date=notified.sort_date,
        relationships=relationships,
        members=atena_numbers if kind in _ROWS_MOVE else (),
        target_household_number=shared["target_household_number"] or None,
        relationship_proofs={
            row.values["atena_number"]: proof
            for row in rows
            if (proof := relationship_proof_from(row.values)) is not None
        },
    )
    return _entered(rows, lambda: record_household_change(actor=actor, purpose=purpose, change=change))
