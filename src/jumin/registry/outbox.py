"""Outbox of domain events (issue 4 item 10; docs/outbox.md).

Every 本登録 appends one ``RegistryEvent`` per person of the change, in the commit's transaction, so
an event exists exactly when the change is committed (the set and lift of a 抑止・支援措置 append
theirs the same way: ``restriction_feed``). Events carry identifiers only (event type,
異動事由, 宛名番号, change id, 履歴番号, a per-person sequence number); the CS, 宛名 and
inter-municipality consumers read the committed snapshot themselves, through their own
authorised reads. Until those consumers exist, staff see the events in a list (``recent_events``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from jumin import fixed_sql
from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.bulk_insert import insert_objects
from jumin.domain.resident import ChangeCategory, ChangeReason
from jumin.registry import cs_link, move_in_plans
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.models_review import RegistryEvent
from jumin.registry.snapshots import newest_per_person

# 転出確定 (the 転入通知 arrived): not a 異動事由 of its own, but a change consumers must see.
MOVE_OUT_CONFIRMED_REASON = "転出確定"

EVENT_TYPES: dict[str, str] = {
    ChangeReason.DOMESTIC_MOVE_IN: "resident.moved_in",
    ChangeReason.MOVE_IN_FROM_ABROAD: "resident.moved_in_from_abroad",
    ChangeReason.BIRTH: "resident.born",
    ChangeReason.EX_OFFICIO_RECORDING: "resident.recorded_ex_officio",
    ChangeReason.DOMESTIC_MOVE_OUT: "resident.moved_out",
    ChangeReason.MOVE_OUT_ABROAD: "resident.moved_out_abroad",
    ChangeReason.DEATH: "resident.died",
    ChangeReason.EX_OFFICIO_REMOVAL: "resident.removed_ex_officio",
    ChangeReason.MOVE_WITHIN: "resident.moved_within",
    ChangeReason.EX_OFFICIO_AMENDMENT: "resident.amended_ex_officio",
    ChangeReason.ERROR_CORRECTION: "resident.error_corrected",
    ChangeReason.MINOR_CORRECTION: "resident.minor_corrected",
    ChangeReason.HOUSEHOLD_CHANGE: "resident.household_changed",
    ChangeReason.CANCELLATION_ENTRY: "resident.change_cancelled",
    ChangeReason.CANCELLATION_REMOVAL: "resident.change_cancelled",
    ChangeReason.CANCELLATION_AMENDMENT: "resident.change_cancelled",
    MOVE_OUT_CONFIRMED_REASON: "resident.move_out_confirmed",
}
_BY_CATEGORY = {
    ChangeCategory.RECORDING: "resident.recorded",
    ChangeCategory.REMOVAL: "resident.removed",
    ChangeCategory.AMENDMENT: "resident.amended",
}


def event_type_of(reason: str) -> str:
    """The event type of a change with this 異動事由; a reason added later falls back to its category."""
    if reason in EVENT_TYPES:
        return EVENT_TYPES[reason]
    try:
        return _BY_CATEGORY[ChangeReason(reason).category]
    except ValueError:
        return "resident.changed"


def next_subject_seq(atena_number: str) -> int:
    """The next 更新順番号 of this person's events; the caller holds the person's row lock."""
    return last_subject_seqs([atena_number]).get(atena_number, 0) + 1


def last_subject_seqs(atena_numbers: Collection[str]) -> dict[str, int]:
    """The last 更新順番号 of each person who has events, in one grouped read (performance.md P3)."""
    numbers = list(atena_numbers)
    grouped = fixed_sql.reading(
        lambda: (
            RegistryEvent.objects.filter(atena_number__in=numbers)
            .values("atena_number")
            .annotate(last=Max("subject_seq"))
            .values_list("atena_number", "last")
        ),
        caller_converts=True,
    )
    rows = fixed_sql.read(("outbox.last_seqs", len(numbers)), numbers, grouped)
    return {str(atena): int(last) for atena, last in rows}


def append_events(change: Change, committed: Iterable[ResidentSnapshot]) -> list[RegistryEvent]:
    """Append the events of a change being committed; call inside commit_change's transaction.

    The caller holds the row lock of each person (select_for_update on Resident), so the next
    sequence number of a person cannot be taken twice; the unique constraint guards it anyway.
    The people's last numbers are one read and the events one INSERT (P3).
    """
    now = timezone.now()
    event_type = event_type_of(change.reason)
    committed = list(committed)
    last = last_subject_seqs({snapshot.resident.atena_number for snapshot in committed})
    events = []
    for snapshot in committed:
        atena = snapshot.resident.atena_number
        assert snapshot.history_no is not None  # committed rows always have one
        last[atena] = last.get(atena, 0) + 1
        events.append(
            RegistryEvent(
                event_type=event_type,
                change_reason=change.reason,
                atena_number=atena,
                subject_seq=last[atena],
                change=change,
                history_no=snapshot.history_no,
                created_at=now,
            )
        )
    insert_objects(events)
    # The 市町村CS's 本人確認情報 file follows the commit in the same transaction (docs/jukinet.md).
    # A cancellation re-stating later changes holds several rows of a person: the CS gets the newest.
    newest = newest_per_person(committed)
    cs_link.forward_committed(change, newest)
    # 引越しワンストップ: a 転出 from an e-application tells the 転入先; a 転入 closes its 転入予定.
    move_in_plans.on_commit(change, newest)
    return events


@dataclass(frozen=True)
class EventSummary:
    """One outbox event as the staff list shows it (identifiers only)."""

    event_id: str
    event_type: str
    change_reason: str
    atena_number: str
    subject_seq: int
    change_id: int | None  # None for a 抑止・支援措置 event
    history_no: int | None
    created_at: str
    published: bool
    restriction_kind: str = ""  # ``suppression:<process>`` or ``support_measure`` (restriction_feed)
    restriction_id: int | None = None


def recent_events(
    *, actor: Any, purpose: str, limit: int = 200, change_id: int | None = None
) -> list[EventSummary]:
    """The newest outbox events first (all, or those of one change), for staff; audited as a list."""
    authorize(
        actor=actor,
        permission=Permission.NETWORK_MONITOR,
        action=AuditAction.RESIDENT_EVENT_LIST,
        purpose=purpose,
        subject_type="registry_event",
        subject_id=str(change_id or ""),
    )
    query = RegistryEvent.objects.order_by("-pk")
    if change_id is not None:
        query = query.filter(change_id=change_id)
    with transaction.atomic():
        events = [
            EventSummary(
                event_id=str(event.event_id),
                event_type=event.event_type,
                change_reason=event.change_reason,
                atena_number=event.atena_number,
                subject_seq=event.subject_seq,
                change_id=event.change_id,
                history_no=event.history_no,
                created_at=timezone.localtime(event.created_at).isoformat(timespec="seconds"),
                published=event.published_at is not None,
                restriction_kind=event.restriction_kind,
                restriction_id=event.restriction_id,
            )
            for event in query[: max(1, min(limit, 1000))]
        ]
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_EVENT_LIST,
            subject_type="registry_event",
            subject_id=str(change_id or ""),
            purpose=purpose,
            result_count=len(events),
        )
    return events
