"""既存住基 → 市町村CS: the 本人確認情報 update request of each committed snapshot (system.md F13 step 1).

Called once per commit from ``outbox.append_events``, inside the commit's transaction, so the CS
file changes exactly when the registry's does, and a draft (仮登録) never reaches the CS. The CS
never reads registry tables (import-linter): the registry builds a ``CsUpdateRequest`` per person
with only the items M1 is defined to send, and the CS decides what to notify.

A person without a 住民票コード, or whose items the CS refuses (format and code checks), does not
stop the commit: the update is listed as CS未連携 (``UnlinkedUpdate``) for the clerks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.checkdigits import lgcode_check_digit
from jumin.domain.errors import DomainError
from jumin.domain.recorded_dates import from_json, sort_date_of
from jumin.domain.resident import ChangeCategory, ChangeReason, ResidentStatus
from jumin.domain.uncertain_dates import UncertainDate
from jumin.jukinet.common.notice import NoticeReason
from jumin.jukinet.cs import registry_check as cs_registry_check
from jumin.jukinet.cs import restriction_marks
from jumin.jukinet.cs import services as cs_services
from jumin.jukinet.cs.operators import BATCH_TERMINAL, operator_ids
from jumin.jukinet.cs.updates import CsUpdateRequest
from jumin.registry import sending_addresses, special_move_link
from jumin.registry.models import Change, Resident, ResidentSnapshot

#: Registry reasons whose CS code differs from their own name (records.md §7; std 1.2.2 mapping).
_REASON_CODES: dict[str, str] = {
    ChangeReason.NATURALISATION: NoticeReason.EX_OFFICIO_RECORDING,
    ChangeReason.LOSS_OF_NATIONALITY: NoticeReason.EX_OFFICIO_RECORDING,
    ChangeReason.FORMER_SURNAME_RECORDING: NoticeReason.FORMER_SURNAME,
    ChangeReason.FORMER_SURNAME_CHANGE: NoticeReason.FORMER_SURNAME,
    ChangeReason.FORMER_SURNAME_DELETION: NoticeReason.FORMER_SURNAME,
    ChangeReason.IMMIGRATION_NOTICE: NoticeReason.EX_OFFICIO_AMENDMENT,
    ChangeReason.HOUSEHOLD_CHANGE: "世帯変更",
    ChangeReason.ALIAS_RECORDING: "通称の記載",
    ChangeReason.ALIAS_DELETION: "通称の削除",
    ChangeReason.REORGANISATION: "改製",
    ChangeReason.RESTORATION: "再製",
}
#: The CS code of the registry-only reasons that end a 転出予定 already notified as 国内転出.
_MOVE_OUT_CONFIRMED = "転出確定"
_BY_CATEGORY = {
    ChangeCategory.RECORDING: NoticeReason.EX_OFFICIO_RECORDING,
    ChangeCategory.REMOVAL: NoticeReason.EX_OFFICIO_REMOVAL,
    ChangeCategory.AMENDMENT: NoticeReason.EX_OFFICIO_AMENDMENT,
}


@functools.cache
def _reason_codes() -> dict[str, str]:
    # Looked up on first use: outbox and batch import this module (outbox → cs_link).
    from jumin.registry import batch, outbox

    return {
        **{str(reason): str(code) for reason, code in _REASON_CODES.items()},
        # 転出確定 and the daily batch's 転出予定日到来 end a 転出予定 already notified as 国内転出.
        outbox.MOVE_OUT_CONFIRMED_REASON: _MOVE_OUT_CONFIRMED,
        batch.PLANNED_DATE_REACHED_REASON: _MOVE_OUT_CONFIRMED,
    }


def cs_reason(reason: str) -> str:
    """The CS's 異動事由 for a registry 異動事由 (a NoticeReason value or a CS-only reason)."""
    codes = _reason_codes()
    if reason in codes:
        return codes[reason]
    if reason in NoticeReason._value2member_map_:
        return reason
    try:
        return str(_BY_CATEGORY[ChangeReason(reason).category])
    except ValueError:
        return "職権修正"


def birth_date_code(stored: Mapping[str, object]) -> str:
    """YYYYMMDD with 00 for the unknown month/day (std 1.1.8); 00000000 when wholly unknown."""
    value = from_json(stored)
    if not isinstance(value, UncertainDate):
        day = sort_date_of(value)
        return f"{day.year:04d}{day.month:02d}{day.day:02d}"
    start, end = value.range_start, value.range_end
    if start is None or end is None or start.year != end.year:
        return "00000000"
    if start.month != end.month:
        return f"{start.year:04d}0000"
    if start.day != end.day:
        return f"{start.year:04d}{start.month:02d}00"
    return f"{start.year:04d}{start.month:02d}{start.day:02d}"


def recorded_iso(stored: Mapping[str, object] | None) -> str:
    """A recorded date (JSON) as YYYY-MM-DD, its sort date when uncertain; "" when none or unreadable."""
    if not stored:
        return ""
    try:
        return sort_date_of(from_json(stored)).isoformat()
    except DomainError:
        return ""


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _address_codes(address_code: str, fallback_municipality: str) -> tuple[str, str]:
    """(市町村コード with check digit, 大字・字コード) from the registry's 11-digit 住所コード."""
    if len(address_code) == 11 and address_code.isdigit():
        body = address_code[:5]
        return body + lgcode_check_digit(body), address_code[5:]
    return fallback_municipality, ""


def request_number(snapshot: ResidentSnapshot) -> str:
    """The 依頼管理番号 of a committed snapshot at the CS: ``{宛名番号}-{履歴番号}``."""
    return f"{snapshot.resident.atena_number}-{snapshot.history_no}"


def cs_name(snapshot: ResidentSnapshot) -> str:
    """The 漢字氏名 as the CS holds it: surname, an ideographic space, given name."""
    return f"{snapshot.surname}\u3000{snapshot.given_name}" if snapshot.given_name else snapshot.surname


def request_of(
    snapshot: ResidentSnapshot, change: Change, *, operator_id: str, terminal_id: str, municipality: str
) -> CsUpdateRequest:
    """The CS update request of one committed snapshot (the 個人番号 decrypted for the CS only)."""
    municipality_code, aza_code = _address_codes(snapshot.address_code, municipality)
    name = cs_name(snapshot)
    kana = (
        f"{snapshot.surname_kana}\u3000{snapshot.given_name_kana}"
        if snapshot.given_name_kana
        else snapshot.surname_kana
    )
    return CsUpdateRequest(
        request_number=request_number(snapshot),
        resident_code=snapshot.juminhyo_code,
        name=name,
        # The notice carries a reading only once it is confirmed (IdentityNotice.name_kana).
        name_kana=kana if snapshot.kana_confirmed else "",
        birth_date=birth_date_code(snapshot.birth_date),
        sex=snapshot.sex,
        municipality_code=municipality_code,
        aza_code=aza_code,
        postal_code=snapshot.postal_code,
        address=snapshot.address,
        individual_number=snapshot.get_individual_number() or "",
        became_resident_date=recorded_iso(snapshot.became_resident_date),
        address_set_date=recorded_iso(snapshot.address_set_date),
        notification_date=_day(change.notification_date),
        previous_municipality_code="",
        previous_address=snapshot.previous_address,
        relationship=snapshot.relationship,
        change_reason=cs_reason(change.reason),
        change_date=change.change_date.isoformat(),
        change_reason_detail=change.reason[:40],
        former_resident_code=snapshot.former_juminhyo_code,
        code_in_use_date=_day(snapshot.juminhyo_code_used_on),
        former_surname=snapshot.former_surname,
        former_surname_kana=snapshot.former_surname_kana,
        removed=snapshot.status != ResidentStatus.RESIDENT,
        prospective=snapshot.status == ResidentStatus.PLANNED_MOVE_OUT,
        operator_id=operator_id,
        terminal_id=terminal_id,
    )


Unlinked = list[tuple[str, str, str]]


def _build_requests(
    snapshots: Iterable[ResidentSnapshot],
    change_of: Callable[[ResidentSnapshot], Change],
    *,
    operator_id: str,
    terminal_id: str,
) -> tuple[list[CsUpdateRequest], Unlinked]:
    """The checked CS requests of ``snapshots``, and the (依頼管理番号, code, field) of those the CS
    cannot take (no 住民票コード, or items it refuses) for ``record_unlinked``."""
    municipality = cs_services.local_municipality_code()
    requests: list[CsUpdateRequest] = []
    unlinked: Unlinked = []
    for snapshot in snapshots:
        if not snapshot.juminhyo_code:
            unlinked.append((request_number(snapshot), "no_resident_code", "juminhyo_code"))
            continue
        try:
            request = request_of(
                snapshot,
                change_of(snapshot),
                operator_id=operator_id,
                terminal_id=terminal_id,
                municipality=municipality,
            )
            cs_services.check_update(request)
        except DomainError as error:
            unlinked.append((request_number(snapshot), error.code, error.field))
            continue
        requests.append(request)
    return requests, unlinked


def forward_committed(
    change: Change, committed: Iterable[ResidentSnapshot], *, notify: bool = True
) -> cs_services.AcceptResult:
    """Send the CS the committed snapshots of ``change`` (call inside the commit's transaction).

    After 出生 or a first registration it also stores each newly numbered person's 送付先情報
    (registry.sending_addresses).
    """
    committed = list(committed)
    operator_id, terminal_id = operator_ids(
        change.made_by, terminal_id=change.terminal_id, terminal_fallback=BATCH_TERMINAL
    )
    requests, unlinked = _build_requests(
        committed, lambda _: change, operator_id=operator_id, terminal_id=terminal_id
    )
    cs_services.record_unlinked(unlinked)
    # The registry's commit entry, in this transaction, is the audit of the update (see accept_updates).
    # No savepoint: nothing between here and the commit's transaction catches an error of the update,
    # so it rolls the whole commit back either way (two statements fewer per commit, P3).
    result = cs_services.accept_updates(
        requests, actor=None, notify=notify, audit=False, checked=True, savepoint=False
    )
    if change.reason == ChangeReason.RESIDENT_CODE_CHANGE:
        # The CS's 抑止マーク follow the person to the new 住民票コード (standard 3.1-g).
        restriction_marks.carry_over(
            [(request.former_resident_code, request.resident_code) for request in requests],
            operator_id=operator_id,
            terminal_id=terminal_id,
        )
    if change.reason in sending_addresses.TRIGGER_REASONS:  # one comparison for every other commit
        linked = {request.resident_code for request in requests}
        due = [
            s for s in committed if s.juminhyo_code in linked and sending_addresses.needs_notice(change, s)
        ]
        # 送付先情報 (F15) of the persons this commit newly numbers; a refused one is CS未連携.
        sending_addresses.produce_many(due, reason=change.reason, actor=change.made_by)
    if change.reason in special_move_link.TRIGGER_REASONS:
        # 特例転出: 転出証明書情報 to the 転入予定地; 特例転入: used data, 転入通知 and 継続利用 (F02, F03).
        special_move_link.forward_committed(change, committed)
    return result


LOAD_BATCH = 500


def load_all(*, actor: Any, purpose: str, notify: bool = False) -> tuple[int, int]:
    """初期ロード: build the CS file from every current committed record (``jumin cs load``).

    Returns (persons whose current record the CS file holds from this load, persons listed as CS
    未連携). A person whose CS record is already this snapshot (same 依頼管理番号) is left as it is, so
    a second load writes nothing for unchanged people. ``notify=False`` (the usual first load) queues
    no notices: the prefecture gets its own initial file. Each batch of ``LOAD_BATCH`` persons is one
    transaction with its own audit entry and counts (C-42).
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_BATCH_RUN,
        action=AuditAction.CS_IDENTITY_LOAD,
        purpose=purpose,
        subject_type="cs_identity",
    )
    operator_id, terminal_id = operator_ids(actor, terminal_fallback=BATCH_TERMINAL)
    taken = unlinked_count = 0
    residents = Resident.objects.filter(current__isnull=False).order_by("pk").values_list("pk", flat=True)
    ids = list(residents)
    for start in range(0, max(len(ids), 1), LOAD_BATCH):  # an empty registry: one audited empty batch
        with transaction.atomic():
            snapshots = list(
                ResidentSnapshot.objects.select_related("resident", "change")
                .filter(current_of__pk__in=ids[start : start + LOAD_BATCH])
                .order_by("resident_id")
            )
            held = cs_services.current_request_numbers(
                [s.juminhyo_code for s in snapshots if s.juminhyo_code]
            )
            changed = [s for s in snapshots if held.get(s.juminhyo_code) != request_number(s)]
            requests, unlinked = _build_requests(
                changed, lambda snapshot: snapshot.change, operator_id=operator_id, terminal_id=terminal_id
            )
            cs_services.record_unlinked(unlinked)
            # Removed persons enter the CS file but are never notified by a load: the prefecture keeps
            # what it was told, and it refuses the removal of a person it never knew (F13).
            removed = [request for request in requests if request.removed]
            current = [request for request in requests if not request.removed]
            cs_services.accept_updates(removed, actor=actor, notify=False, audit=False, checked=True)
            cs_services.accept_updates(
                current, actor=actor, notify=notify, audit=False, checked=True, initial_load=True
            )
            unchanged = len(snapshots) - len(changed)
            record_event(
                actor=actor,
                action=AuditAction.CS_IDENTITY_LOAD,
                subject_type="cs_identity",
                purpose=purpose,
                reason=(
                    f"batch {start // LOAD_BATCH + 1} loaded {len(requests)} unchanged {unchanged} "
                    f"unlinked {len(unlinked)} notify {notify}"
                ),
                individual_number_used=bool(requests),
                result_count=len(requests),
            )
            taken += len(requests) + unchanged
            unlinked_count += len(unlinked)
    return taken, unlinked_count


#: The CS's kinds of 抑止マーク: a 抑止 of 証明書発行, and a 支援措置 (standard 3.1-g).
RESTRICTION_KIND_SUPPRESSION = restriction_marks.KIND_SUPPRESSION
RESTRICTION_KIND_SUPPORT_MEASURE = restriction_marks.KIND_SUPPORT_MEASURE


def forward_restriction_set(
    *, kind: str, restriction_id: int, resident_codes: Iterable[str], effective_from: date | None, actor: Any
) -> int:
    """Tell the CS that these persons are under an issuance restriction (standard 3.1-g).

    Call inside the transaction of the set. ``kind`` is ``RESTRICTION_KIND_SUPPRESSION`` or
    ``RESTRICTION_KIND_SUPPORT_MEASURE``; returns how many marks the CS stored (none for a person
    without a 住民票コード: the CS holds no record of them).
    """
    operator_id, terminal_id = operator_ids(actor)
    changes = [
        restriction_marks.MarkChange(
            resident_code=code,
            action=restriction_marks.MarkAction.SET,
            kind=kind,
            restriction_id=restriction_id,
            effective_from=effective_from,
            operator_id=operator_id,
            terminal_id=terminal_id,
        )
        for code in dict.fromkeys(c for c in resident_codes if c)
    ]
    return restriction_marks.record_marks(changes)


def compare_restrictions(wanted: dict[tuple[str, str, int], date | None]) -> restriction_marks.MarkComparison:
    """What ``reconcile_restrictions`` would set and lift at the CS, without writing (a read)."""
    return restriction_marks.compare(wanted)


def reconcile_restrictions(wanted: dict[tuple[str, str, int], date | None], *, actor: Any) -> tuple[int, int]:
    """Make the CS's 抑止マーク equal ``wanted`` ((住民票コード, kind, id) → start date); (set, lifted)."""
    operator_id, terminal_id = operator_ids(actor, terminal_fallback=BATCH_TERMINAL)
    return restriction_marks.reconcile(wanted, operator_id=operator_id, terminal_id=terminal_id)


def forward_restriction_lift(
    *, kind: str, restriction_id: int, actor: Any, resident_codes: Iterable[str] | None = None
) -> int:
    """Tell the CS that a restriction is lifted, for every person it marked with it (standard 3.1-g).

    The CS lifts it under whatever 住民票コード it was set, so a code changed since needs nothing more.
    ``resident_codes``: lift it only for these codes (a member who left a suppressed household).
    """
    operator_id, terminal_id = operator_ids(actor)
    return restriction_marks.lift_marks(
        kind=kind,
        restriction_id=restriction_id,
        operator_id=operator_id,
        terminal_id=terminal_id,
        resident_codes=resident_codes,
    )


HeldCsRecord = cs_registry_check.HeldRecord


def held_cs_records(resident_codes: Sequence[str]) -> dict[str, HeldCsRecord]:
    """The CS's current records of these 住民票コード (the registry ↔ CS comparison; reads only)."""
    return cs_registry_check.held_records(resident_codes)


def held_cs_codes() -> Iterator[str]:
    """Every 住民票コード the CS holds for this municipality, in order (reads only)."""
    return cs_registry_check.held_codes(cs_services.local_municipality_code())
