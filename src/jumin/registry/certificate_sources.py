"""Committed registry data for certificates, as plain dataclasses (issue 6; controls.md C-24).

Only committed snapshots are read: a person's current row (``Resident.current``) and their committed
history (``history_no`` set). A draft (仮登録) is never returned; a person with an open draft is held
back from certificates altogether (standard 4.0.8-a; ``open_draft_of``). No audit here: the
certificates service authorises and audits the issuance that calls these functions, in its own
transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from django.db.models import F, Q

from jumin.domain import recorded_dates
from jumin.domain.certificates import CertificateKind, IssuedNoticeKind
from jumin.domain.errors import refusal
from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry.models import (
    Change,
    ChangeState,
    ExOfficioRecord,
    NumberChangeRecord,
    Resident,
    ResidentSnapshot,
)
from jumin.registry.models_removed_notes import RemovedRecordNote
from jumin.registry.remarks import remark_lines
from jumin.registry.removed_archive import archived_histories
from jumin.registry.removed_record_notes import HONSEKI_ITEMS, note_text
from jumin.registry.workflows.ex_officio_events import EX_OFFICIO
from jumin.registry.workflows.number_changes import CORRECTION as CODE_CORRECTION
from jumin.registry.workflows.reorganisation import Generations, split_generations

__all__ = [
    "ChangeCodeNotice",
    "GenerationPeriod",
    "HeadChangeRequest",
    "HistoryEntry",
    "RecordNote",
    "SourcePerson",
    "atena_number_of_code",
    "atena_number_of_removed_code",
    "code_notices_of_change",
    "generation_periods",
    "head_change_request",
    "household_of",
    "open_draft_of",
    "original_household",
    "original_record",
    "people",
    "people_as_of",
    "previous_juminhyo_code",
]


@dataclass(frozen=True)
class HistoryEntry:
    """One committed 異動 of a person: what a 履歴付き copy prints (standard 5.1-a)."""

    history_no: int
    reason: str
    change_date: date
    notification_date: date | None
    address: str
    katagaki: str
    name: str
    change_id: int = 0  # the committed change that wrote the row (a 改製 or 再製 closes the rows before it)
    # 留意事項 (type-B note of the 統合記載欄, standard 1.1.14-a) of the change, "" if none.
    attention_note: str = ""

    @property
    def change_reason(self) -> str:
        """The 異動事由, under the name ``split_generations`` reads (a 改製 or 再製 row opens one)."""
        return self.reason


@dataclass(frozen=True)
class RecordNote:
    """A type-B note of a 除票 (除票の誤記訂正, standard 1.1.5-c) as printed; ``honseki``: it is about
    本籍・筆頭者, printed only on a copy that shows them."""

    text: str
    honseki: bool


@dataclass(frozen=True)
class SourcePerson:
    """One person's committed 住民票 items as a certificate needs them (records.md §6)."""

    atena_number: str
    history_no: int
    status: str
    kind: str
    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str
    former_surname: str
    former_surname_kana: str
    alias: str
    alias_kana: str
    birth_date: RecordedDate
    sex: str
    household_number: str
    is_head: bool
    relationship: str
    member_order: int
    head_name: str
    postal_code: str
    address: str
    katagaki: str
    previous_address: str
    became_resident_date: RecordedDate
    became_resident_reason: str
    address_set_date: RecordedDate
    address_notification_date: date | None
    honseki: str
    hittousha: str
    juminhyo_code: str
    foreign: dict[str, Any]
    planned_destination: str
    removal_reason: str
    removal_date: date | None
    removal_event_date: RecordedDate | None
    individual_number: str | None
    history: tuple[HistoryEntry, ...]
    # The committed 転出 the current record comes from (転出証明書): its planned date and 届出/職権.
    move_out_planned_date: date | None = None
    move_out_notification_kind: str = ""
    move_out_change_id: int | None = None
    # 特例転出 (standard 4.1.3.0.4-a): the 転出証明書情報 went over 住基ネット; no paper 転出証明書.
    special_move_out: bool = False
    # 異動前住所 (records.md §6.5; printed as 異動前住所): the address before the latest 転居.
    pre_move_postal_code: str = ""
    pre_move_address: str = ""
    pre_move_katagaki: str = ""
    # 事実上の世帯主 (standard 4.1.4.3-a): the name in the record's type-C remark; "" if none.
    de_facto_head: str = ""
    # 除票の誤記訂正 (standard 1.1.5-c): each 誤記 with its correct entry, oldest first.
    removed_record_notes: tuple[RecordNote, ...] = ()
    # 備考 type C written by clerks and in force (standard 1.1.14-a), as printed: 「日付　本文」.
    remarks: tuple[str, ...] = ()


def _full_name(snapshot: ResidentSnapshot) -> str:
    return f"{snapshot.surname}　{snapshot.given_name}".strip("　")


def _committed_history(resident_ids: list[int]) -> dict[int, list[ResidentSnapshot]]:
    """Every committed snapshot of these people, oldest first, in one query."""
    rows = (
        ResidentSnapshot.objects.filter(resident_id__in=resident_ids, history_no__isnull=False)
        .select_related("change")
        .only(
            "resident_id",
            "history_no",
            "surname",
            "given_name",
            "address",
            "katagaki",
            "change__reason",
            "change__change_date",
            "change__notification_date",
            "change__notification_kind",
            "change__attention_note",
            "change_id",
            "household_id",
        )
        .order_by("resident_id", "history_no")
    )
    by_person: dict[int, list[ResidentSnapshot]] = defaultdict(list)
    for row in rows:
        by_person[row.resident_id].append(row)
    return by_person


def _history_entries(history: list[ResidentSnapshot]) -> tuple[HistoryEntry, ...]:
    return tuple(
        HistoryEntry(
            history_no=row.history_no or 0,
            reason=row.change.reason,
            change_date=row.change.change_date,
            notification_date=row.change.notification_date,
            address=row.address,
            katagaki=row.katagaki,
            name=_full_name(row),
            change_id=row.change_id,
            attention_note=row.change.attention_note,
        )
        for row in history
    )


def _generations(history: list[ResidentSnapshot]) -> Generations[HistoryEntry]:
    """A person's committed history cut at each 改製 and 再製 (the registry's rule, reused)."""
    return split_generations(_history_entries(history))


def _address_notification_date(history: list[ResidentSnapshot]) -> date | None:
    """The 届出日 of the change that set the current address: walk back while the address is unchanged."""
    found: date | None = None
    for row in reversed(history):
        if history and (row.address, row.katagaki) != (history[-1].address, history[-1].katagaki):
            break
        found = row.change.notification_date or found
    return found


def _move_out_change(snapshot: ResidentSnapshot, history: list[ResidentSnapshot]) -> Any:
    """The committed 転出 change behind a removal by 転出 (the latest with that reason), or None."""
    # An adoptee's 国内転出 may have no destination (standard 1.1.5-b); other removals have one if a move.
    moved = snapshot.planned_destination or snapshot.removal_reason == ChangeReason.DOMESTIC_MOVE_OUT
    if not snapshot.removal_reason or not moved:
        return None
    for row in reversed(history):
        if row.change.reason == snapshot.removal_reason:
            return row.change
    return None


def _current_head_names(snapshots: list[ResidentSnapshot]) -> dict[int, str]:
    """世帯主の氏名 of each living record: the household's head now (standard 4.2.3.1-a).

    The 世帯主氏名 of a member is derived, never stored on the member's row: a 職権修正 or any other
    committed change of the head's 氏名 is on every member's current record at once, and so is a
    new head (世帯主変更) or none (standard 1.1.10-a), with no member row to cascade.
    """
    heads = (
        ResidentSnapshot.objects.filter(
            household_id__in={s.household_id for s in snapshots}, is_head=True, current_of__isnull=False
        )
        .exclude(status=ResidentStatus.REMOVED)
        .only("household_id", "surname", "given_name")
        .order_by("member_order", "pk")
    )
    by_household: dict[int, str] = {}
    for head in heads:
        by_household.setdefault(head.household_id, _full_name(head))
    return {s.pk: by_household.get(s.household_id, "") for s in snapshots}


def _head_names(snapshots: list[ResidentSnapshot]) -> dict[int, str]:
    """世帯主の氏名 per household as of each person's row: the household's head at that change.

    For 除票 and earlier generations (the record as it stood); a living record takes the head now
    (``_current_head_names``)."""
    household_ids = {s.household_id for s in snapshots}
    heads = (
        ResidentSnapshot.objects.filter(
            household_id__in=household_ids, is_head=True, history_no__isnull=False
        )
        .only("household_id", "change_id", "surname", "given_name")
        .order_by("household_id", "change_id")
    )
    by_household: dict[int, list[ResidentSnapshot]] = defaultdict(list)
    for head in heads:
        by_household[head.household_id].append(head)
    names: dict[int, str] = {}
    for snapshot in snapshots:
        candidates = [h for h in by_household[snapshot.household_id] if h.change_id <= snapshot.change_id]
        names[snapshot.pk] = _full_name(candidates[-1]) if candidates else ""
    return names


def _source(
    snapshot: ResidentSnapshot,
    history: list[ResidentSnapshot],
    head_name: str,
    *,
    with_individual_number: bool,
    with_history: bool,
) -> SourcePerson:
    assert snapshot.history_no is not None  # only committed rows reach here
    removal_event = snapshot.removal_event_date
    move_out = _move_out_change(snapshot, history)
    return SourcePerson(
        atena_number=snapshot.resident.atena_number,
        history_no=snapshot.history_no,
        status=snapshot.status,
        kind=snapshot.kind,
        surname=snapshot.surname,
        given_name=snapshot.given_name,
        surname_kana=snapshot.surname_kana,
        given_name_kana=snapshot.given_name_kana,
        former_surname=snapshot.former_surname,
        former_surname_kana=snapshot.former_surname_kana,
        alias=snapshot.alias,
        alias_kana=snapshot.alias_kana,
        birth_date=recorded_dates.from_json(snapshot.birth_date),
        sex=snapshot.sex,
        household_number=snapshot.household.number,
        is_head=snapshot.is_head,
        relationship=snapshot.relationship,
        member_order=snapshot.member_order,
        head_name=head_name,
        postal_code=snapshot.postal_code,
        address=snapshot.address,
        katagaki=snapshot.katagaki,
        previous_address=snapshot.previous_address,
        became_resident_date=recorded_dates.from_json(snapshot.became_resident_date),
        became_resident_reason=snapshot.became_resident_reason,
        address_set_date=recorded_dates.from_json(snapshot.address_set_date),
        address_notification_date=_address_notification_date(history),
        honseki=snapshot.honseki,
        hittousha=snapshot.hittousha,
        juminhyo_code=snapshot.juminhyo_code,
        foreign=dict(snapshot.foreign or {}),
        planned_destination=snapshot.planned_destination,
        removal_reason=snapshot.removal_reason,
        removal_date=snapshot.removal_date,
        removal_event_date=recorded_dates.from_json(removal_event) if removal_event else None,
        # Decrypted only when the copy prints it; the caller has checked the permission (C-9).
        individual_number=snapshot.get_individual_number() if with_individual_number else None,
        # A 写し prints the current record only: the rows before the latest 改製 or 再製 are 原住民票.
        history=_generations(history).current_record if with_history else (),
        move_out_planned_date=move_out.change_date if move_out else None,
        move_out_notification_kind=move_out.notification_kind if move_out else "",
        move_out_change_id=move_out.pk if move_out else None,
        special_move_out=bool(move_out) and snapshot.special_move_out,
        pre_move_postal_code=snapshot.pre_move_postal_code,
        pre_move_address=snapshot.pre_move_address,
        pre_move_katagaki=snapshot.pre_move_katagaki,
        de_facto_head=snapshot.de_facto_head,
    )


def _build(
    residents: list[Resident], *, with_individual_number: bool, with_history: bool
) -> list[SourcePerson]:
    histories = _committed_history([r.pk for r in residents])
    # A person in the 除票データベース is issued from the archive's copies, not the marked live rows.
    archived = archived_histories([r.pk for r in residents if r.archive_entry_id is not None])
    histories.update(archived)
    snapshots = [
        archived[r.pk][-1] if r.pk in archived else r.current for r in residents if r.current is not None
    ]
    removed = [s for s in snapshots if s.status == ResidentStatus.REMOVED]
    living = [s for s in snapshots if s.status != ResidentStatus.REMOVED]
    heads = {**(_head_names(removed) if removed else {}), **(_current_head_names(living) if living else {})}
    notes = _removed_record_notes([s.resident_id for s in removed]) if removed else {}
    remarks = remark_lines(s.resident_id for s in snapshots)
    result = [
        replace(
            _source(
                snapshot,
                histories[snapshot.resident_id],
                heads[snapshot.pk],
                with_individual_number=with_individual_number,
                with_history=with_history,
            ),
            remarks=remarks.get(snapshot.resident_id, ()),
        )
        for snapshot in snapshots
    ]
    result = [
        replace(p, removed_record_notes=notes[p.atena_number]) if p.atena_number in notes else p
        for p in result
    ]
    return sorted(result, key=lambda p: (p.member_order, p.atena_number))


def _removed_record_notes(resident_ids: list[int]) -> dict[str, tuple[RecordNote, ...]]:
    """The 除票の誤記訂正 notes of these removed people by 宛名番号, in one read."""
    notes: dict[str, list[RecordNote]] = {}
    query = RemovedRecordNote.objects.filter(resident_id__in=resident_ids).select_related("resident")
    for note in query.order_by("pk"):
        notes.setdefault(note.resident.atena_number, []).append(
            RecordNote(note_text(note), note.item in HONSEKI_ITEMS)
        )
    return {atena: tuple(each) for atena, each in notes.items()}


def _not_found() -> Exception:
    return refusal(
        "atena_numbers",
        "該当する住民が見つかりません。",
        "宛名番号を確認してください。",
        "registry.resident_not_found",
    )


def _residents() -> Any:
    return Resident.objects.select_related("current__household", "current__resident").filter(
        current__isnull=False
    )


def people(
    atena_numbers: list[str], *, with_individual_number: bool = False, with_history: bool = False
) -> list[SourcePerson]:
    """The committed current records of these people, in stored member order (algorithms.md §D)."""
    wanted = list(dict.fromkeys(atena_numbers))
    residents = list(_residents().filter(atena_number__in=wanted))
    if len(residents) != len(wanted):
        raise _not_found()
    return _build(residents, with_individual_number=with_individual_number, with_history=with_history)


def people_as_of(
    atena_numbers: list[str], at: datetime, *, with_individual_number: bool = False
) -> list[SourcePerson]:
    """These people's committed records as they stood at ``at``, in stored member order.

    For a 再交付 (standard 4.1.3.0.3-b): each person's latest row committed (本登録) at or before ``at``,
    the history up to it and the 世帯主 of that row; anything committed later (the 転入通知's 確定 values,
    a 誤記修正, a later 異動) is left out. Refused when a person had no committed record at ``at``.
    """
    wanted = list(dict.fromkeys(atena_numbers))
    committed_by_then = Q(change__reviewed_at__lte=at) | Q(change__reviewed_at__isnull=True)
    rows = (
        ResidentSnapshot.objects.select_related("household", "resident", "change")
        .filter(committed_by_then, resident__atena_number__in=wanted, history_no__isnull=False)
        .order_by("resident_id", "history_no")
    )
    latest: dict[int, ResidentSnapshot] = {}
    for row in rows:
        latest[row.resident_id] = row
    if len(latest) != len(wanted):
        raise _not_found()
    histories = _committed_history(list(latest))
    heads = _head_names(list(latest.values()))
    result = [
        _source(
            snapshot,
            [row for row in histories[resident_id] if (row.history_no or 0) <= (snapshot.history_no or 0)],
            heads[snapshot.pk],
            with_individual_number=with_individual_number,
            with_history=False,
        )
        for resident_id, snapshot in latest.items()
    ]
    return sorted(result, key=lambda p: (p.member_order, p.atena_number))


def open_draft_of(atena_numbers: Collection[str]) -> int | None:
    """The 異動番号 of an open draft (仮登録) that includes one of these people, or None.

    While a change of a person waits for review, certificates of them are held back (standard 4.0.8-a):
    the certificate would print a state the clerk has already changed."""
    found = (
        ResidentSnapshot.objects.filter(
            resident__atena_number__in=list(atena_numbers), change__state=ChangeState.DRAFT
        )
        .order_by("change_id")
        .values_list("change_id", flat=True)
        .first()
    )
    return int(found) if found is not None else None


def household_of(
    atena_number: str, *, with_individual_number: bool = False, with_history: bool = False
) -> list[SourcePerson]:
    """Everyone whose committed current record is in this person's current household, in member order.

    Removed members whose last record is in the household are included (those in the 除票データベース
    only when asked for by name); the caller decides by status.
    """
    resident = _residents().filter(atena_number=atena_number).first()
    if resident is None or resident.current is None:
        raise _not_found()
    # Other members in the 除票データベース are out of the live working set (1.1.5-e).
    members = list(
        _residents()
        .filter(current__household_id=resident.current.household_id)
        .filter(Q(archive_entry__isnull=True) | Q(pk=resident.pk))
    )
    return _build(members, with_individual_number=with_individual_number, with_history=with_history)


def atena_number_of_code(juminhyo_code: str) -> str | None:
    """The 宛名番号 of the person whose committed current record is a resident's with this 住民票コード
    (広域交付 names people by code); None when no current resident of this municipality has it."""
    current = (ResidentStatus.RESIDENT.value, ResidentStatus.PLANNED_MOVE_OUT.value)
    found = (
        _residents()
        .filter(current__juminhyo_code=juminhyo_code, current__status__in=current)
        .values_list("atena_number", flat=True)
        .first()
    )
    return str(found) if found is not None else None


def atena_number_of_removed_code(juminhyo_code: str) -> str | None:
    """The 宛名番号 of the latest 除票 with this 住民票コード (広域交付 of a 除票の写し names the person by
    code): a removed record, or a 転出 recorded (its 除票 is made at once, standard 4.0.2). A person who
    left, came back and left again has several; the latest removal (or the pending 転出) is the one
    meant. None when no 除票 of this municipality has the code."""
    removed = (ResidentStatus.REMOVED.value, ResidentStatus.PLANNED_MOVE_OUT.value)
    found = (
        _residents()
        .filter(current__juminhyo_code=juminhyo_code, current__status__in=removed)
        .order_by(F("current__removal_date").desc(nulls_first=True), "-pk")
        .values_list("atena_number", flat=True)
        .first()
    )
    return str(found) if found is not None else None


def removal_reason_of_code(juminhyo_code: str) -> str | None:
    """The 消除事由 (死亡, 職権消除 …) of the latest removed record with this 住民票コード, or None when no
    removed record of this municipality has it (a pending 転出 is no removal here)."""
    found = (
        _residents()
        .filter(current__juminhyo_code=juminhyo_code, current__status=ResidentStatus.REMOVED.value)
        .order_by(F("current__removal_date").desc(nulls_first=True), "-pk")
        .values_list("current__removal_reason", flat=True)
        .first()
    )
    return str(found) if found is not None else None


def previous_juminhyo_code(atena_number: str) -> str:
    """The 住民票コード the person had before the current one (committed rows only); "" if never changed."""
    resident = _residents().filter(atena_number=atena_number).first()
    if resident is None or resident.current is None:
        raise _not_found()
    current = resident.current.juminhyo_code
    codes = (
        ResidentSnapshot.objects.filter(resident=resident, history_no__isnull=False)
        .exclude(juminhyo_code=current)
        .exclude(juminhyo_code="")
        .order_by("-history_no")
        .values_list("juminhyo_code", flat=True)
    )
    return codes.first() or ""


@dataclass(frozen=True)
class HeadChangeRequest:
    """A household left without its 世帯主 by a committed change, with two or more members remaining."""

    change_id: int
    change_reason: str
    change_date: date
    household_number: str
    address: str
    addressee: SourcePerson
    remaining: tuple[SourcePerson, ...]


def _no_request() -> Exception:
    return refusal(
        "change_id",
        "この異動で世帯主のいなくなった世帯（世帯員2人以上）はありません。",
        "異動番号を確認してください。世帯主変更が既に記載された場合は通知書は不要です。",
        "registry.no_head_change_request",
    )


def head_change_request(change_id: int) -> HeadChangeRequest:
    """The 世帯主変更依頼通知書's data (standard 4.0.5-a): the first remaining member is the addressee.

    Refused when the change is not committed, no 世帯主 left a household in it, fewer than two members
    remain, or the household has a 世帯主 again (the 世帯主変更 was entered meanwhile).
    """
    change = Change.objects.filter(pk=change_id, state=ChangeState.COMMITTED).first()
    if change is None:
        raise _no_request()
    for row in change.snapshots.select_related("resident").order_by("member_order"):
        before = ResidentSnapshot.objects.filter(
            resident=row.resident, history_no=row.based_on_history_no, history_no__isnull=False
        ).first()
        if before is None or not before.is_head:
            continue
        if row.household_id == before.household_id and row.status == ResidentStatus.RESIDENT:
            continue
        members = list(_residents().filter(current__household_id=before.household_id))
        present = [
            m
            for m in _build(members, with_individual_number=False, with_history=False)
            if m.status == ResidentStatus.RESIDENT
        ]
        if len(present) >= 2 and not any(m.is_head for m in present):
            return HeadChangeRequest(
                change_id=change.pk,
                change_reason=change.reason,
                change_date=change.change_date,
                household_number=present[0].household_number,
                address=f"{present[0].address}　{present[0].katagaki}".strip("　"),
                addressee=present[0],
                remaining=tuple(present),
            )
    raise _no_request()


#: The 異動 a 住民異動届受理通知 may be printed for (standard 4.1.0.3-a) and whether it goes to the
#: mover at the new address (出生, 国外転入等: there is no earlier address here) rather than to the
#: notifier at the address before the move.
RECEIPT_NOTICE_REASONS: dict[str, bool] = {
    ChangeReason.DOMESTIC_MOVE_IN: False,
    ChangeReason.MOVE_WITHIN: False,
    ChangeReason.MOVE_IN_FROM_ABROAD: True,
    ChangeReason.BIRTH: True,
}


@dataclass(frozen=True)
class MoveReceipt:
    """The data of a 住民異動届受理通知 (standard 4.1.0.3-a): the committed change, its movers and where
    the notice goes: ``to_new_address`` for 出生 and 国外転入等, else the address before the move."""

    change_id: int
    change_reason: str
    change_date: date
    notification_date: date | None
    movers: tuple[tuple[str, str], ...]  # (宛名番号, 氏名) in member order
    new_address: str
    address_before: str
    to_new_address: bool


def move_receipt(change_id: int) -> MoveReceipt:
    """The 住民異動届受理通知's data of one committed 転入, 転居, 国外転入等 or 出生 (else refused)."""
    change = Change.objects.filter(pk=change_id, state=ChangeState.COMMITTED).first()
    if change is None or change.reason not in RECEIPT_NOTICE_REASONS:
        raise refusal(
            "change_id",
            "受理通知を作成できる本登録済みの異動（転入・転居・国外転入等・出生）が見つかりません。",
            "異動番号を確認してください。確認待ちの異動や、ほかの異動事由の受理通知は作れません。",
            "registry.no_receipt_notice",
        )
    if ExOfficioRecord.objects.filter(change=change).exists():
        # A 職権転居 (4.2.0.2-a) received no 届出: its notice is the 職権記載等通知書.
        raise refusal(
            "change_id",
            "職権による異動には届出がないため、受理通知は作成できません。",
            "職権記載等通知書を作成してください。",
            "registry.receipt_notice_for_ex_officio",
        )
    rows = list(change.snapshots.select_related("resident").order_by("member_order"))
    first = rows[0]
    if change.reason == ChangeReason.MOVE_WITHIN:
        before = ResidentSnapshot.objects.filter(
            resident=first.resident, history_no=first.based_on_history_no, history_no__isnull=False
        ).first()
        address_before = f"{before.address}　{before.katagaki}".strip("　") if before else ""
    else:
        address_before = first.previous_address
    return MoveReceipt(
        change_id=change.pk,
        change_reason=change.reason,
        change_date=change.change_date,
        notification_date=change.notification_date,
        movers=tuple((row.resident.atena_number, _full_name(row)) for row in rows),
        new_address=f"{first.address}　{first.katagaki}".strip("　"),
        address_before=address_before,
        to_new_address=RECEIPT_NOTICE_REASONS[change.reason],
    )


@dataclass(frozen=True)
class GenerationPeriod:
    """One generation of a person's record: a 改製原住民票 or 再製原住民票 (numbered from 1, oldest
    first) or the current record (the last)."""

    number: int
    first_history_no: int
    last_history_no: int
    started_on: date
    closed_on: date | None  # the 改製日 or 再製日 that closed it; None for the current record
    closed_by: str  # the 異動事由 that closed it (「改製」, 「再製」); "" for the current record
    is_current: bool


def _person_history(atena_number: str) -> tuple[Resident, list[ResidentSnapshot]]:
    resident = _residents().filter(atena_number=atena_number.strip()).first()
    if resident is None or resident.current is None:
        raise _not_found()
    return resident, _committed_history([resident.pk])[resident.pk]


def generation_periods(atena_number: str) -> tuple[GenerationPeriod, ...]:
    """The generations of a person's record with their periods, oldest first; the last is current."""
    _, history = _person_history(atena_number)
    generations = _generations(history)
    runs = (*generations.original_records, generations.current_record)
    return tuple(
        GenerationPeriod(
            number=index,
            first_history_no=rows[0].history_no,
            last_history_no=rows[-1].history_no,
            started_on=rows[0].change_date,
            closed_on=runs[index][0].change_date if index < len(runs) else None,
            closed_by=runs[index][0].reason if index < len(runs) else "",
            is_current=index == len(runs),
        )
        for index, rows in enumerate(runs, start=1)
        if rows
    )


def _no_such_generation(count: int, closed_by: str) -> Exception:
    remedy = (
        f"この方の原住民票は第1から第{count}の世代です。世代の一覧から選んでください。"
        if count
        else f"この方の住民票は{closed_by}されていません。住民票の写しを交付してください。"
    )
    return refusal(
        "generation",
        f"指定された世代の{closed_by}原住民票はありません。",
        remedy,
        "certificates.no_such_generation",
    )


def _original_rows(
    history: list[ResidentSnapshot], generation: int, closed_by: str
) -> tuple[tuple[HistoryEntry, ...], HistoryEntry]:
    """The rows of one earlier generation and the 改製 or 再製 row that closed it; refused if there is
    none, or if the other of the two closed it (a 改製原住民票 is not copied as a 再製原住民票)."""
    generations = _generations(history)
    originals = generations.original_records
    if not 1 <= generation <= len(originals):
        raise _no_such_generation(len(originals), closed_by)
    closing = (*originals, generations.current_record)[generation][0]
    if closing.reason != closed_by:
        raise refusal(
            "generation",
            f"第{generation}の世代は{closing.reason}原住民票です。",
            f"証明書の種類を「{closing.reason}原住民票の写し」にするか、世代の一覧から別の世代を選んでください。",
            "certificates.generation_of_other_kind",
        )
    return originals[generation - 1], closing


def _original_source(
    resident: Resident,
    history: list[ResidentSnapshot],
    rows: tuple[HistoryEntry, ...],
    closing: HistoryEntry,
    *,
    with_individual_number: bool,
) -> SourcePerson:
    """The person as the generation's last row recorded them, its rows as history, and the 改製 or 再製
    that closed it as the removal."""
    numbers = {entry.history_no for entry in rows}
    snapshot = ResidentSnapshot.objects.select_related("household", "resident").get(
        resident=resident, history_no=rows[-1].history_no
    )
    person = _source(
        snapshot,
        [row for row in history if row.history_no in numbers],
        _head_names([snapshot])[snapshot.pk],
        with_individual_number=with_individual_number,
        with_history=True,
    )
    # The record ended by the 改製 or 再製 (a 除票, 1.1.1-b); a planned 転出 carried over belongs to the
    # new one.
    return replace(
        person,
        history=rows,
        removal_reason=closing.reason,
        removal_date=closing.change_date,
        removal_event_date=None,
        planned_destination="",
        move_out_planned_date=None,
        move_out_notification_kind="",
        move_out_change_id=None,
        special_move_out=False,
    )


def original_record(
    atena_number: str,
    generation: int,
    *,
    closed_by: str = ChangeReason.REORGANISATION,
    with_individual_number: bool = False,
) -> SourcePerson:
    """One 改製原住民票 (standard 1.1.4-b, 1.1.5-a), or 再製原住民票 with ``closed_by`` 「再製」: the person
    as the generation's last row recorded them, its rows as history, and its closing as the removal."""
    resident, history = _person_history(atena_number)
    rows, closing = _original_rows(history, generation, closed_by)
    return _original_source(resident, history, rows, closing, with_individual_number=with_individual_number)


def _closed_by(
    history: list[ResidentSnapshot], change_id: int
) -> tuple[tuple[HistoryEntry, ...], HistoryEntry] | None:
    """The generation of this history that the 改製 or 再製 ``change_id`` closed, with its closing row,
    or None."""
    generations = _generations(history)
    runs = (*generations.original_records, generations.current_record)
    for rows, following in pairwise(runs):
        if following[0].change_id == change_id:
            return rows, following[0]
    return None


def original_household(
    atena_number: str,
    generation: int,
    *,
    only: Collection[str] = (),
    closed_by: str = ChangeReason.REORGANISATION,
    with_individual_number: bool = False,
) -> list[SourcePerson]:
    """世帯連記式 改製原住民票の写し (standard 1.1.5-a, 5.1-a, 5.2-a, 5.1-e): the named person's generation
    and, beside it, the generation of every member of that household that the same 改製 closed.

    The household is the one the named person's last row of the generation was in; a member is on it
    when the same 改製 change remade their record and their last row before it was in that household.
    So a member who had left (転居 elsewhere, or removed: a 除票 is never remade) is never printed
    with the others. Stored member order of the generation. ``only`` names a part of the household
    (every name must be such a member); decrypted 個人番号 only for the people returned (C-9).
    """
    _, history = _person_history(atena_number)
    rows, closing = _original_rows(history, generation, closed_by)
    household_id = next(r.household_id for r in history if r.history_no == rows[-1].history_no)
    remade = ResidentSnapshot.objects.filter(change_id=closing.change_id, history_no__isnull=False)
    residents = list(_residents().filter(pk__in=remade.values("resident_id")))
    histories = _committed_history([r.pk for r in residents])
    wanted = set(only)
    members = []
    for member in residents:
        found = _closed_by(histories[member.pk], closing.change_id)
        if found is None or (wanted and member.atena_number not in wanted):
            continue
        last = next(r for r in histories[member.pk] if r.history_no == found[0][-1].history_no)
        if last.household_id == household_id:
            members.append((member, found))
    if wanted - {m.atena_number for m, _ in members}:
        raise refusal(
            "atena_numbers",
            f"指定された世代の世帯に、同じ{closed_by}で{closed_by}された方でない方が含まれています。",
            "世代の世帯員（世代の一覧で確認できます）だけを選ぶか、個人票で交付してください。",
            "certificates.not_same_household",
        )
    people = [
        _original_source(member, histories[member.pk], *found, with_individual_number=with_individual_number)
        for member, found in members
    ]
    return sorted(people, key=lambda p: (p.member_order, p.atena_number))


@dataclass(frozen=True)
class ChangeCodeNotice:
    """A 住民票コード notice a committed change calls for (住基法30条の3第3項, 30条の4): to whom, which."""

    change_id: int
    atena_number: str
    kind: IssuedNoticeKind
    juminhyo_code: str  # the code the change recorded: the notice is stale once another replaces it

    @property
    def label(self) -> str:
        """The notice's printed title (住民票コード通知票 / 変更通知票 / 修正通知票)."""
        return self.kind.label


def code_notices_of_change(change_id: int) -> tuple[ChangeCodeNotice, ...]:
    """The 住民票コード notices of a committed change, in member order; () for a draft or unknown change.

    A record that gets a code it did not have (a new record: 出生, 転入 …) calls for a 通知票; a code
    replaced by another calls for a 変更通知票 after a 住民票コードの変更 (請求 or 職権, a new code from
    the pool), else a 修正通知票 (a wrongly recorded code replaced, basis 「修正」). A removed person gets
    none.
    """
    change = Change.objects.filter(pk=change_id, state=ChangeState.COMMITTED).first()
    if change is None:
        return ()
    basis = NumberChangeRecord.objects.filter(change=change).values_list("basis", flat=True).first()
    code_changed = change.reason == ChangeReason.RESIDENT_CODE_CHANGE and basis != CODE_CORRECTION
    notices: list[ChangeCodeNotice] = []
    for row in change.snapshots.select_related("resident").order_by("member_order", "pk"):
        if not row.juminhyo_code or row.status == ResidentStatus.REMOVED:
            continue
        before = ""
        if row.based_on_history_no is not None:
            before = (
                ResidentSnapshot.objects.filter(resident=row.resident, history_no=row.based_on_history_no)
                .values_list("juminhyo_code", flat=True)
                .first()
                or ""
            )
        if before == row.juminhyo_code:
            continue
        if not before:
            kind = IssuedNoticeKind.JUMINHYO_CODE
        elif code_changed:
            kind = IssuedNoticeKind.JUMINHYO_CODE_CHANGED
        else:
            kind = IssuedNoticeKind.JUMINHYO_CODE_CORRECTED
        notices.append(ChangeCodeNotice(change.pk, row.resident.atena_number, kind, row.juminhyo_code))
    return tuple(notices)


@dataclass(frozen=True)
class MoveOutCertificateDue:
    """The certificate a committed 国内転出 calls for at its 本登録 (standard 4.1.3.0.3-a): the 転出証明書,
    or, notified more than 14 days late (recorded 職権, algorithms.md G.2), the 転出証明書に準ずる証明書 or,
    if the clerk chooses, a 除票の写し."""

    change_id: int
    atena_numbers: tuple[str, ...]  # the movers it certifies, in member order (no 特例転出 mover)
    late: bool

    @property
    def kinds(self) -> tuple[CertificateKind, ...]:
        """The kinds the clerk may print, the usual one first."""
        if self.late:
            return (CertificateKind.MOVE_OUT_SUBSTITUTE, CertificateKind.REMOVED_COPY)
        return (CertificateKind.MOVE_OUT,)


def move_out_certificate_of_change(change_id: int) -> MoveOutCertificateDue | None:
    """The certificate due at the 本登録 of a 国内転出 notified at the counter; None for a draft, another
    event, a 国外転出 (no certificate), a 職権転出 without a 届出, or when every mover is a 特例転出 (the
    転出証明書情報 goes over 住基ネット)."""
    change = Change.objects.filter(
        pk=change_id,
        state=ChangeState.COMMITTED,
        reason=ChangeReason.DOMESTIC_MOVE_OUT,
        notification_date__isnull=False,
    ).first()
    if change is None:
        return None
    movers = (
        change.snapshots.filter(removal_reason=ChangeReason.DOMESTIC_MOVE_OUT, special_move_out=False)
        .order_by("member_order", "pk")
        .values_list("resident__atena_number", flat=True)
    )
    if not movers:
        return None
    return MoveOutCertificateDue(change.pk, tuple(movers), late=change.notification_kind == EX_OFFICIO)
