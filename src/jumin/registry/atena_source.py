"""What the 団体内統合宛名システム reads of the registry (standard 7.1.2.3-a; docs/atena.md).

Two reads, both of committed data only: the outbox events (``RegistryEvent``, identifiers only) and,
for each event of a change, the committed snapshot it names (宛名番号 and 履歴番号; a row of a draft
has no 履歴番号 and its change is not 本登録, so it is never returned). The 宛名 system is another
system, not a user: its read is audited with the system as actor (``actor=None``) and the persons
read, in the caller's transaction (architecture.md §3 rule 5). The 個人番号 leaves as its blind index
only; the number itself is never decrypted here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Q

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.resident import ResidentKind
from jumin.registry.models import ChangeState, Resident, ResidentSnapshot
from jumin.registry.models_review import RegistryEvent
from jumin.registry.restriction_feed import EVENT_RESTRICTION_LIFTED, EVENT_RESTRICTION_SET

# The duty the 宛名 system's reads are recorded under (accounts.duties: 宛名連携事務).
ATENA_READ_PURPOSE = "atena_feed"
__all__ = [
    "ATENA_READ_PURPOSE",
    "EVENT_RESTRICTION_LIFTED",
    "EVENT_RESTRICTION_SET",
    "CommittedRow",
    "OutboxEntry",
    "committed_rows_for_atena",
    "events_after",
    "events_in",
    "has_events_after",
    "subject_events",
    "waiting_after",
]


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox event as the 宛名 system takes it (identifiers only)."""

    pk: int
    event_id: str
    event_type: str
    atena_number: str
    subject_seq: int
    history_no: int | None  # None: a 抑止・支援措置 event (no change of the record)
    restriction_kind: str
    restriction_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class CommittedRow:
    """The items of one committed snapshot the 宛名 system holds (4情報, address, 世帯, 住民票関係情報)."""

    atena_number: str
    history_no: int
    status: str
    kind: str
    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str
    alias: str
    birth_date: str  # as recorded (和暦, or 西暦 for a foreign resident; 不詳 kept)
    birth_sort_date: date
    sex: str
    postal_code: str
    address_code: str
    address: str
    katagaki: str
    household_number: str
    is_head: bool
    relationship: str
    head_name: str  # the household's head now (世帯情報, 住基法7条4号)
    removal_reason: str
    removal_date: date | None
    individual_number_index: str | None  # blind index only (architecture.md §4)


def _entry(event: RegistryEvent) -> OutboxEntry:
    return OutboxEntry(
        pk=event.pk,
        event_id=str(event.event_id),
        event_type=event.event_type,
        atena_number=event.atena_number,
        subject_seq=event.subject_seq,
        history_no=event.history_no,
        restriction_kind=event.restriction_kind,
        restriction_id=event.restriction_id,
        created_at=event.created_at,
    )


def events_after(cursor: int, *, limit: int) -> list[OutboxEntry]:
    """Events with a larger id than ``cursor``, oldest first, at most ``limit``."""
    query = RegistryEvent.objects.filter(pk__gt=cursor).order_by("pk")[:limit]
    return [_entry(event) for event in query]


def events_in(ranges: Iterable[tuple[int, int]]) -> list[OutboxEntry]:
    """Events whose id lies in one of the inclusive ranges: ids a reader passed over while their
    transaction was still open (ids are taken at insert, not at commit). A read on the primary key."""
    ranges = list(ranges)
    if not ranges:
        return []
    within = Q()
    for first, last in ranges:
        within |= Q(pk__range=(first, last))
    return [_entry(event) for event in RegistryEvent.objects.filter(within).order_by("pk")]


def has_events_after(cursor: int) -> bool:
    """Whether an event with a larger id than ``cursor`` is committed (one index probe)."""
    return RegistryEvent.objects.filter(pk__gt=cursor).exists()


def waiting_after(cursor: int) -> tuple[int, datetime | None]:
    """How many events have a larger id than ``cursor``, and when the oldest of them was written."""
    query = RegistryEvent.objects.filter(pk__gt=cursor)
    oldest = query.order_by("pk").values_list("created_at", flat=True).first()
    return query.count(), oldest


def subject_events(after_seqs: dict[str, int]) -> list[OutboxEntry]:
    """Each person's events after the given 更新順番号, in order per person (one read)."""
    if not after_seqs:
        return []
    query = RegistryEvent.objects.filter(atena_number__in=after_seqs).order_by("atena_number", "subject_seq")
    return [_entry(event) for event in query if event.subject_seq > after_seqs[event.atena_number]]


def _head_names(household_ids: Collection[int]) -> dict[int, str]:
    heads = Resident.objects.filter(
        current__household_id__in=household_ids, current__is_head=True, current__history_no__isnull=False
    ).values_list("current__household_id", "current__surname", "current__given_name")
    return {household: f"{surname}　{given}".strip("　") for household, surname, given in heads}


# The items copied from the snapshot as they are (the others are formatted or joined in ``_row``).
_COPIED = tuple(
    name
    for name in CommittedRow.__dataclass_fields__
    if name not in {"atena_number", "birth_date", "household_number", "head_name"}
)


def _row(snapshot: ResidentSnapshot, head_names: dict[int, str]) -> CommittedRow:
    assert snapshot.history_no is not None  # filtered on committed rows
    foreign = snapshot.kind == ResidentKind.FOREIGN  # 西暦 for a foreign resident (algorithms.md B.2)
    return CommittedRow(
        atena_number=snapshot.resident.atena_number,
        birth_date=recorded_dates.display(recorded_dates.from_json(snapshot.birth_date), gregorian=foreign),
        household_number=snapshot.household.number,
        head_name=head_names.get(snapshot.household_id, ""),
        **{name: getattr(snapshot, name) for name in _COPIED},
    )


def committed_rows_for_atena(
    wanted: Iterable[tuple[str, int | None]],
) -> dict[tuple[str, int | None], CommittedRow]:
    """The committed snapshots the 宛名 system asks for, audited as its read in the caller's transaction.

    Each key is (宛名番号, 履歴番号); a 履歴番号 of None asks for the person's current committed row
    (an event of a 抑止・支援措置 names none). A key whose row is not found (a draft's, an archived 除票)
    is left out of the answer: the caller records why.
    """
    keys = set(wanted)
    if not keys:
        return {}
    numbers = {atena for atena, _ in keys}
    rows = ResidentSnapshot.objects.filter(
        resident__atena_number__in=numbers,
        history_no__isnull=False,
        change__state=ChangeState.COMMITTED,
    ).select_related("resident", "household")
    # One read: the rows named by 履歴番号, and the current row of those asked for without one.
    by_history = Q(history_no__in={history for _, history in keys if history is not None})
    current = {atena for atena, history in keys if history is None}
    now = Q(resident__atena_number__in=current, pk=F("resident__current_id"))
    snapshots = [
        s
        for s in rows.filter(by_history | now)
        if (s.resident.atena_number, s.history_no) in keys or s.resident.atena_number in current
    ]
    head_names = _head_names({s.household_id for s in snapshots})
    found: dict[tuple[str, int | None], CommittedRow] = {}
    for snapshot in snapshots:
        row = _row(snapshot, head_names)
        if (row.atena_number, row.history_no) in keys:
            found[(row.atena_number, row.history_no)] = row
        if row.atena_number in current and snapshot.resident.current_id == snapshot.pk:
            found[(row.atena_number, None)] = row
    if not found:
        return found  # nothing of anyone was read (a held person's row is still missing)
    record_event(
        actor=None,
        action=AuditAction.ATENA_REGISTRY_READ,
        subject_type="resident",
        purpose=ATENA_READ_PURPOSE,
        result_count=len(found),
        concerning=sorted({atena for atena, _ in found}),
    )
    return found
