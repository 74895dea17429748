"""戸籍附票記載事項通知 (住基法19条1項; std 7.1.1.1-e, 7.2.4-a; docs/workflows/fuhyo-notice.md).

``notify_committed`` runs once per 本登録 (``services.commit_change``, right after the outbox events).
For each Japanese person with a 本籍 (not 「なし」/「不明」) whose 住所, 住所を定めた年月日 or 国外転出
the commit changed, it writes one ``FuhyoNoticeOutbox`` (one INSERT for the whole commit) and:

* 本籍 in this municipality → the row is the notice for the local 戸籍附票 system (``destination``
  local), which reads the list (``notices``; ``GET /api/registry/fuhyo-notices``);
* 本籍 in another municipality that is a peer → the 市町村CS sends ``jukinet.fuhyo_entry_notice`` to
  its CS (``jukinet.cs.fuhyo_notices.send``) in the same transaction;
* 本籍地 not resolvable from the masters, or not a peer → the row waits (``sent_at`` empty) on the
  送信待ち list until a clerk names the 本籍地 (``send_waiting``).

A commit whose 異動事由 cannot move an address costs no statement; the others cost the masters
lookup and the INSERT (the corrections one read of the previous rows, to see what changed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_results
from jumin.bulk_insert import insert_objects
from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason, ResidentKind, ResidentStatus
from jumin.jukinet.common.fuhyo_notice import FuhyoEntryNotice, fuhyo_notice_from_payload
from jumin.jukinet.cs import fuhyo_notices as cs_fuhyo_notices
from jumin.jukinet.cs.services import local_municipality_code
from jumin.masters.selectors import municipality_codes_of_addresses
from jumin.registry.cs_link import birth_date_code, recorded_iso
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.models_fuhyo import FuhyoNoticeOutbox

LOCAL = FuhyoNoticeOutbox.Destination.LOCAL
OTHER = FuhyoNoticeOutbox.Destination.OTHER

#: Changes that always give the person a 住所 (or a 国外転出) the 附票 records.
_ALWAYS = frozenset(
    {
        ChangeReason.DOMESTIC_MOVE_IN,
        ChangeReason.MOVE_IN_FROM_ABROAD,
        ChangeReason.BIRTH,
        ChangeReason.EX_OFFICIO_RECORDING,
        ChangeReason.NATURALISATION,
        ChangeReason.MOVE_WITHIN,
        ChangeReason.MOVE_OUT_ABROAD,
    }
)
#: Changes that may correct or restore them: a notice only when the 附票 items differ from the row before.
_COMPARED = frozenset(
    {
        ChangeReason.EX_OFFICIO_AMENDMENT,
        ChangeReason.ERROR_CORRECTION,
        ChangeReason.MINOR_CORRECTION,
        ChangeReason.CANCELLATION_ENTRY,
        ChangeReason.CANCELLATION_REMOVAL,
        ChangeReason.CANCELLATION_AMENDMENT,
        ChangeReason.RESTORATION,
    }
)
TRIGGER_REASONS = _ALWAYS | _COMPARED
#: 本籍 values that name no 本籍地 (std 1.1.12-a): no 戸籍の附票 to notify.
NO_HONSEKI = frozenset({"なし", "不明"})
#: The stored items: the payload without the 本籍地 code, which is filled in when the notice leaves.
DESTINATION_KEY = "honseki_municipality_code"
_CODE = "registry.fuhyo_notice"


def _needs_notice_by_kind(snapshot: ResidentSnapshot, reason: str) -> bool:
    honseki = snapshot.honseki.strip()
    if snapshot.kind != ResidentKind.JAPANESE or not honseki or honseki in NO_HONSEKI:
        return False
    if reason == ChangeReason.MOVE_OUT_ABROAD:
        return True  # removed (or 転出予定): the 附票 records the 国外転出
    return snapshot.status == ResidentStatus.RESIDENT or reason in _COMPARED


def _fuhyo_key(address: str, address_set_date: Any, reason: str) -> tuple[str, str, bool]:
    """What the 附票 records of one row: 住所, 住所を定めた年月日, and whether it is a 国外転出."""
    return address, recorded_iso(address_set_date), reason == ChangeReason.MOVE_OUT_ABROAD


def _changed(snapshots: list[ResidentSnapshot], reason: str) -> list[ResidentSnapshot]:
    """The snapshots whose 附票 items differ from the person's previous row (one query)."""
    wanted = Q()
    for snapshot in snapshots:
        assert snapshot.history_no is not None
        wanted |= Q(resident_id=snapshot.resident_id, history_no=snapshot.history_no - 1)
    rows = ResidentSnapshot.objects.filter(wanted).values_list(
        "resident_id", "address", "address_set_date", "change__reason"
    )
    before = {resident: _fuhyo_key(address, day, previous) for resident, address, day, previous in rows}
    return [
        s for s in snapshots if before.get(s.resident_id) != _fuhyo_key(s.address, s.address_set_date, reason)
    ]


def notice_items(snapshot: ResidentSnapshot, change: Change, *, municipality_code: str) -> dict[str, Any]:
    """The stored items of one person's notice (the payload without ``honseki_municipality_code``)."""
    abroad = change.reason == ChangeReason.MOVE_OUT_ABROAD
    name = f"{snapshot.surname}\u3000{snapshot.given_name}" if snapshot.given_name else snapshot.surname
    return {
        "resident_code": snapshot.juminhyo_code,
        "name": name,
        "birth_date": birth_date_code(snapshot.birth_date),
        "sex": snapshot.sex,
        "address": snapshot.address,
        "address_set_date": recorded_iso(snapshot.address_set_date),
        "moved_abroad": abroad,
        "moved_abroad_on": change.change_date.isoformat() if abroad else "",
        "honseki": snapshot.honseki,
        "hittousha": snapshot.hittousha,
        "change_reason": str(change.reason),
        "change_date": change.change_date.isoformat(),
        "municipality_code": municipality_code,
    }


def _message_items(row: FuhyoNoticeOutbox) -> FuhyoEntryNotice:
    """The checked message items of a row for another 本籍地, in 住基ネット統一文字 (DomainError if not)."""
    items = fuhyo_notice_from_payload({**row.items, DESTINATION_KEY: row.destination_code})
    return cs_fuhyo_notices.in_unified_characters(items)


def _sendable(row: FuhyoNoticeOutbox) -> FuhyoEntryNotice | None:
    """The message items of a row for another 本籍地; None when not sendable (it waits: 送信待ち)."""
    try:
        return _message_items(row)
    except DomainError:
        return None


def _outgoing(row: FuhyoNoticeOutbox, items: FuhyoEntryNotice) -> cs_fuhyo_notices.OutgoingNotice:
    # One stream per notice, named by the row's id (no person's number in the envelope).
    return cs_fuhyo_notices.OutgoingNotice(subject=f"fhn-{row.pk}", items=items)


def notify_committed(change: Change, committed: Iterable[ResidentSnapshot]) -> list[FuhyoNoticeOutbox]:
    """Write (and send or queue) the 戸籍附票記載事項通知 of a commit; call inside its transaction."""
    if change.reason not in TRIGGER_REASONS:
        return []
    due = [s for s in committed if _needs_notice_by_kind(s, change.reason)]
    if due and change.reason in _COMPARED:
        due = _changed(due, change.reason)
    if not due:
        return []
    local = local_municipality_code()
    codes = municipality_codes_of_addresses(s.honseki for s in due)
    now = timezone.now()
    rows: list[FuhyoNoticeOutbox] = []
    sendable: list[tuple[FuhyoNoticeOutbox, FuhyoEntryNotice]] = []
    for snapshot in due:
        assert snapshot.history_no is not None
        code = codes.get(snapshot.honseki, "")
        row = FuhyoNoticeOutbox(
            change=change,
            atena_number=snapshot.resident.atena_number,
            history_no=snapshot.history_no,
            destination=LOCAL if code == local else OTHER,
            destination_code=code,
            items=notice_items(snapshot, change, municipality_code=local),
            created_at=now,
        )
        if row.destination == LOCAL:
            row.sent_at = now  # delivered: the 戸籍附票 system reads this list
        elif cs_fuhyo_notices.deliverable(code) and (items := _sendable(row)) is not None:
            row.sent_at = now
            sendable.append((row, items))
        rows.append(row)
    insert_objects(rows)  # sets the ids (RETURNING on SQLite and PostgreSQL)
    outgoing = [_outgoing(row, items) for row, items in sendable]
    cs_fuhyo_notices.send(outgoing, actor=change.made_by, reason=f"change {change.pk}")
    return rows


# --- 送信待ち and the local 戸籍附票 system's list -------------------------------------------------


@dataclass(frozen=True)
class NoticeSummary:
    """One notice as the list shows it: where it goes, whether it left, and the 附票 items."""

    notice_id: int
    change_id: int
    atena_number: str
    history_no: int
    destination: str
    destination_code: str
    created_at: str
    sent_at: str
    items: dict[str, Any]


LIST_STATES = ("local", "waiting", "sent")


def _refused(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def notices(*, actor: Any, purpose: str, state: str = "local", limit: int = 200) -> list[NoticeSummary]:
    """The notices for the local 戸籍附票 system (``local``), those waiting (``waiting``, 送信待ち) or
    those sent through the CS (``sent``), newest first; audited as one list entry."""
    if state not in LIST_STATES:
        raise _refused("state", "一覧の種類が不正です。", "local、waiting、sent のどれかを指定してください。")
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_FUHYO_NOTICE_LIST,
        purpose=purpose,
        subject_type="fuhyo_notice",
        subject_id=state,
    )
    query = FuhyoNoticeOutbox.objects.order_by("-pk")
    if state == "local":
        query = query.filter(destination=LOCAL)
    else:
        query = query.filter(destination=OTHER, sent_at__isnull=state == "waiting")
    with transaction.atomic():
        rows = list(query[: max(1, min(limit, 1000))])
        listed = [_summary(row, actor=actor) for row in rows]
        # Every person listed "appeared in the results" (C-42, C-48): their access history finds the entry.
        record_results(
            actor,
            "resident",
            sorted({row.atena_number for row in rows}),
            purpose,
            f"fuhyo_notice_{state}",
            action=AuditAction.RESIDENT_FUHYO_NOTICE_LIST,
            result_count=len(listed),
        )
    return listed


def _summary(row: FuhyoNoticeOutbox, *, actor: Any) -> NoticeSummary:
    def stamp(value: Any) -> str:
        return timezone.localtime(value).isoformat(timespec="seconds") if value else ""

    return NoticeSummary(
        notice_id=row.pk,
        change_id=row.change_id,
        atena_number=row.atena_number,
        history_no=row.history_no,
        destination=row.destination,
        destination_code=row.destination_code,
        created_at=stamp(row.created_at),
        sent_at=stamp(row.sent_at),
        items=cs_fuhyo_notices.items_as_seen(row.items, actor),
    )


def send_waiting(*, actor: Any, purpose: str, notice_id: int, destination_code: str = "") -> NoticeSummary:
    """Send a waiting notice once the clerk has found its 本籍地 (the 戸籍謄本, or the 本籍 text).

    ``destination_code`` (6 digits) replaces an unresolved or wrong 本籍地. This municipality's own
    code delivers it to the local 戸籍附票 list; a peer's sends it through the CS. Refused, nothing
    changed, when the notice is not waiting, no code is known, or the 本籍地 is not a peer yet.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_FUHYO_NOTICE_SEND,
        purpose=purpose,
        subject_type="fuhyo_notice",
        subject_id=str(notice_id),
    )
    entered = destination_code.strip()
    if entered:
        validate_lgcode(entered, field="destination_code")
    with transaction.atomic():
        row = (
            FuhyoNoticeOutbox.objects.select_for_update()
            .filter(pk=notice_id, destination=OTHER, sent_at__isnull=True)
            .first()
        )
        if row is None:
            raise _refused(
                "notice_id",
                "送信待ちの戸籍附票記載事項通知ではありません（送信済みか、存在しません）。",
                "一覧で「送信待ち」の通知を選んでください。",
            )
        row.destination_code = entered or row.destination_code
        if not row.destination_code:
            raise _refused(
                "destination_code",
                "本籍地の市町村コードが不明です。",
                "本籍の市区町村を確認し、その市町村コード（6桁）を入力してください。",
            )
        now = timezone.now()
        if row.destination_code == local_municipality_code():
            row.destination = LOCAL
        else:
            if not cs_fuhyo_notices.deliverable(row.destination_code):
                raise _refused(
                    "destination_code",
                    "本籍地の市町村が連携先に登録されていません。",
                    "市町村コードを確認するか、連携先の登録をシステム管理者に依頼してから再送信してください。",
                )
            items = _message_items(row)  # e.g. a name without 住基ネット統一文字: refused with its remedy
            cs_fuhyo_notices.send([_outgoing(row, items)], actor=actor, reason=f"resent notice {row.pk}")
        row.sent_at = now
        row.save(update_fields=["destination", "destination_code", "sent_at"])
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_FUHYO_NOTICE_SEND,
            subject_type="fuhyo_notice",
            subject_id=str(row.pk),
            purpose=purpose,
            reason=f"{row.destination} {row.destination_code}",
        )
    return _summary(row, actor=actor)
