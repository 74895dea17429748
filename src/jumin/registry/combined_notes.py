"""統合記載欄 (combined notes field, standard 1.1.14-a; 1.1.5-g): one person's types A, B and C together.

- A (履歴): one line per committed history row: 異動日, 異動事由, 届出日 (generated from the snapshots);
- B (留意事項): the type-B note of each committed change that has one (``Change.attention_note``);
- C (備考): the 事実上の世帯主 remark of the household, then the clerks' remarks (``registry.remarks``),
  withdrawn ones marked with their withdrawal;
- for a 除票, the items specific to it (消除事由・日, 転出先) as the field shows them (1.1.5-g).

Read as a 照会 of the person (authorised, 照会 抑止 enforced, audited as a history view).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from jumin.audit.actions import AuditAction
from jumin.domain import recorded_dates
from jumin.domain.eras import Calendar
from jumin.domain.relationships import de_facto_head_remark
from jumin.domain.resident import ResidentStatus
from jumin.domain.wareki import format_date_ja
from jumin.registry.inquiry import committed_rows
from jumin.registry.models import ResidentSnapshot
from jumin.registry.remarks import RemarkView, remarks_of
from jumin.registry.selectors_common import audited_inquiry


@dataclass(frozen=True)
class NoteLine:
    """One line of type A or B: the day it belongs to, and the text."""

    day: str
    text: str
    history_no: int


@dataclass(frozen=True)
class CombinedNotes:
    """The 統合記載欄 of one person (current record and its history)."""

    atena_number: str
    name: str
    history: tuple[NoteLine, ...]
    attention_notes: tuple[NoteLine, ...]
    de_facto_head_remark: str
    remarks: tuple[RemarkView, ...]
    removal_items: tuple[str, ...]


def _day(value: date | None) -> str:
    return format_date_ja(value, calendar=Calendar.WAREKI) if value is not None else ""


def _history_line(snapshot: ResidentSnapshot) -> str:
    change = snapshot.change
    notified = f"（{_day(change.notification_date)}届出）" if change.notification_date else ""
    return f"{change.reason}{notified}"


def _removal_items(current: ResidentSnapshot) -> tuple[str, ...]:
    if current.status != ResidentStatus.REMOVED:
        return ()
    items = []
    if current.removal_reason:
        event = recorded_dates.from_json(current.removal_event_date) if current.removal_event_date else None
        day = recorded_dates.display(event) if event is not None else _day(current.removal_date)
        items.append(f"{day}\u3000{current.removal_reason}により消除")
    if current.confirmed_destination or current.planned_destination:
        label = "転出先" if current.confirmed_destination else "転出先（予定）"
        items.append(f"{label}\u3000{current.confirmed_destination or current.planned_destination}")
    return tuple(items)


def combined_notes(
    *, actor: Any, purpose: str, atena_number: str, acknowledged_alerts: Collection[str] = ()
) -> CombinedNotes:
    """The person's combined notes field (types A, B, C and the 除票 items), audited as a 照会."""
    number = atena_number.strip()
    with audited_inquiry(
        actor=actor,
        purpose=purpose,
        atena_number=number,
        action=AuditAction.RESIDENT_HISTORY_VIEW,
        acknowledged_alerts=acknowledged_alerts,
        reason="統合記載欄",
    ):
        snapshots = committed_rows(number)
        current = snapshots[-1]
        remarks = tuple(remarks_of(current.resident))
    history = tuple(
        NoteLine(_day(s.change.change_date), _history_line(s), s.history_no or 0) for s in snapshots
    )
    seen: set[int] = set()
    attention = []
    for s in snapshots:
        if s.change.attention_note and s.change_id not in seen:
            seen.add(s.change_id)
            attention.append(NoteLine(_day(s.change.change_date), s.change.attention_note, s.history_no or 0))
    return CombinedNotes(
        atena_number=number,
        name=f"{current.surname}\u3000{current.given_name}".strip("\u3000"),
        history=history,
        attention_notes=tuple(attention),
        de_facto_head_remark=de_facto_head_remark(current.de_facto_head),
        remarks=remarks,
        removal_items=_removal_items(current),
    )
