"""送付先情報ファイル at the 市町村CS (system.md M3 item 7, F15; docs/jukinet.md "送付先情報").

The registry stores each record with ``store_sending_address`` inside its commit. The CS queues it
for the national node (SENDING_ADDRESS to N4) in the same transaction when the national node is a
configured peer, else keeps it 送信待ち (``send_pending_sending_addresses``). N4 answers with
SENDING_ADDRESS_RESULT: accepted → 連携済 with the day, refused → 返却 with the code (re-sendable).
``purge_sending_addresses`` deletes every linked record once 1 business day has passed since the
linkage (F15 step 6); the send history (``SendingAddressSend``) stays, without personal data, so
the sends stay searchable (std 7.1.1.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.jukinet.common.catalogue import SENDING_ADDRESS
from jumin.jukinet.common.sending_address import (
    ACCEPTED,
    SendingAddress,
    deletion_day,
    validate_result_payload,
    validate_sending_address_payload,
)
from jumin.jukinet.cs import access
from jumin.jukinet.cs.models import SendingAddressRecord, SendingAddressSend, SendingAddressState
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import NATIONAL, peer_configured
from jumin.messaging.envelope import Envelope
from jumin.messaging.services import enqueue

SUBJECT_TYPE = "cs_sending_address"
State = SendingAddressState
MAX_LIST = 500


def _subject(send: SendingAddressSend) -> str:
    """The opaque message subject (never personal data)."""
    return f"sa-{send.pk}"


def _send(send: SendingAddressSend, record: SendingAddressRecord, actor: Any, now: datetime) -> None:
    """Queue one record for N4 (the caller holds the send row and audits)."""
    payload = {**record.items, "individual_number": record.get_individual_number() or ""}
    row = enqueue(
        message_type=SENDING_ADDRESS, receiver=NATIONAL, subject=_subject(send), payload=payload, actor=actor
    )
    send.state = State.SENT
    send.sent_at = now
    send.send_count += 1
    send.message_id = str(row.message_id)
    send.result_code = send.result_reason = ""
    send.save(update_fields=["state", "sent_at", "send_count", "message_id", "result_code", "result_reason"])


def store_sending_address(record: SendingAddress, *, actor: Any) -> SendingAddressSend:
    """Store one 送付先情報 from the registry and send it (or keep it 送信待ち); audited.

    Validated as N4 will validate it (DomainError, nothing written). Runs in the caller's transaction
    when there is one (the registry commit), so the record exists exactly when the commit does.
    """
    payload = record.as_payload()
    validate_sending_address_payload(payload)
    now = timezone.now()
    with transaction.atomic():
        if SendingAddressSend.objects.filter(control_number=record.control_number).exists():
            raise refusal(
                "control_number",
                "同じ送付先管理番号の送付先情報があります。",
                "新しい送付先管理番号で作成してください。",
                "jukinet.cs.sending_address_duplicate",
            )
        send = SendingAddressSend.objects.create(
            control_number=record.control_number,
            municipality_code=record.municipality_code,
            print_category=record.print_category,
            state=State.PENDING,
            stored_at=now,
        )
        items = {name: value for name, value in payload.items() if name != "individual_number"}
        stored = SendingAddressRecord(send=send, items=items)
        stored.set_individual_number(record.individual_number)
        stored.save()
        sent = peer_configured(NATIONAL)
        if sent:
            _send(send, stored, actor, now)
        record_event(
            actor=actor,
            action=AuditAction.CS_SENDING_ADDRESS_STORE,
            subject_type=SUBJECT_TYPE,
            subject_id=str(send.pk),
            reason=f"print {record.print_category} {'queued' if sent else 'pending'}",
            individual_number_used=True,
            result_count=1,
            concerning=person_ids([record.resident_code]),
        )
    return send


def _resident_code_of(send: SendingAddressSend) -> str:
    """The 住民票コード of a send's record ("" once the record is deleted after linkage)."""
    record = SendingAddressRecord.objects.filter(send=send).first()
    return str(record.items.get("resident_code", "")) if record is not None else ""


def send_pending_sending_addresses(*, actor: Any = None, limit: int = 10_000) -> int:
    """Queue the 送信待ち records for N4 (``jumin cs send-sending-addresses``); how many were queued."""
    if not peer_configured(NATIONAL):
        return 0
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            SendingAddressSend.objects.select_for_update(of=("self",))
            .filter(state=State.PENDING, record__isnull=False)
            .select_related("record")
            .order_by("pk")[:limit]
        )
        for send in rows:
            _send(send, send.record, actor, now)
        if rows:
            record_event(
                actor=actor,
                action=AuditAction.CS_SENDING_ADDRESS_SEND,
                subject_type=SUBJECT_TYPE,
                reason=f"pending sending addresses queued {len(rows)}",
                individual_number_used=True,
                result_count=len(rows),
                concerning=person_ids([str(send.record.items.get("resident_code", "")) for send in rows]),
            )
    return len(rows)


def apply_result(envelope: Envelope) -> None:
    """Handler of SENDING_ADDRESS_RESULT (kind municipality): 連携済 with the day, or 返却 with the code.

    Only a record in 送信済 takes a result; a replayed or stale result changes nothing.
    """
    payload = envelope.payload
    validate_result_payload(payload)
    send = (
        SendingAddressSend.objects.select_for_update()
        .filter(control_number=payload["control_number"], state=State.SENT)
        .first()
    )
    if send is None:
        return
    if payload["result"] == ACCEPTED:
        send.state = State.LINKED
        send.linked_on = timezone.localdate()
    else:
        send.state = State.REFUSED
        send.result_code = payload["code"][:64]
        send.result_reason = payload["reason"][:400]
    send.save(update_fields=["state", "linked_on", "result_code", "result_reason"])
    record_event(
        actor=None,
        action=AuditAction.CS_SENDING_ADDRESS_RESULT,
        subject_type=SUBJECT_TYPE,
        subject_id=str(send.pk),
        reason=f"{payload['result']} from {envelope.sender} {payload['code']}".strip(),
        concerning=person_ids([_resident_code_of(send)]),
    )


def purge_cutoff(today: date) -> date:
    """The latest 連携日 whose records may be deleted on ``today`` (deletion_day(linked_on) <= today)."""
    day = today - timedelta(days=1)
    while deletion_day(day) > today:
        day -= timedelta(days=1)
    return day


def purge_sending_addresses(*, today: date | None = None, actor: Any = None) -> int:
    """Delete every linked record once 1 business day has passed since its linkage; audited with the count.

    ``today`` defaults to the local date (the daily batch, ``jumin cs purge-sending-addresses``).
    The send history rows stay, marked with the deletion time.
    """
    day = today or timezone.localdate()
    cutoff = purge_cutoff(day)
    now = timezone.now()
    with transaction.atomic():
        send_ids = list(
            SendingAddressSend.objects.select_for_update()
            .filter(state=State.LINKED, linked_on__lte=cutoff, deleted_at__isnull=True)
            .values_list("pk", flat=True)
        )
        deleted, _ = SendingAddressRecord.objects.filter(send_id__in=send_ids).delete()
        SendingAddressSend.objects.filter(pk__in=send_ids).update(deleted_at=now)
        record_event(
            actor=actor,
            action=AuditAction.CS_SENDING_ADDRESS_PURGE,
            subject_type=SUBJECT_TYPE,
            reason=f"linked on or before {cutoff.isoformat()} deleted {deleted}",
            result_count=deleted,
        )
    return deleted


# --- 送付先情報一覧 (M4 screen) --------------------------------------------------------------------


@dataclass(frozen=True)
class SendRow:
    """One line of the list: the send history only, never the 67 items."""

    send_id: int
    control_number: str
    state: str
    state_label: str
    print_category: str
    stored_at: str
    sent_at: str
    send_count: int
    linked_on: str
    result_code: str
    result_reason: str
    deleted: bool


@dataclass(frozen=True)
class SendingAddressList:
    """Counts per state and the newest rows of the chosen state (or all)."""

    counts: dict[str, int]
    rows: list[SendRow]


def _require(actor: Any, purpose: str, action: AuditAction, subject_id: str = "") -> None:
    access.require(
        actor=actor,
        permission=Permission.CS_CARD,
        action=action,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
        subject_id=subject_id,
    )


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def list_sending_addresses(
    *,
    actor: Any,
    purpose: str,
    state: str = "",
    stored_from: date | None = None,
    stored_to: date | None = None,
) -> SendingAddressList:
    """送付先情報一覧: counts by state and the send history (at most 500 rows, newest first); audited."""
    _require(actor, purpose, AuditAction.CS_SENDING_ADDRESS_LIST)
    if state and state not in State.values:
        raise refusal("state", "状態の指定が不正です。", "一覧から選んでください。", "jukinet.cs.state")
    with transaction.atomic():
        counts = dict.fromkeys(State.values, 0)
        for row in SendingAddressSend.objects.values("state").annotate(n=Count("pk")):
            counts[row["state"]] = row["n"]
        query = SendingAddressSend.objects.all()
        if state:
            query = query.filter(state=state)
        if stored_from:
            query = query.filter(stored_at__date__gte=stored_from)
        if stored_to:
            query = query.filter(stored_at__date__lte=stored_to)
        rows = [
            SendRow(
                send_id=send.pk,
                control_number=send.control_number,
                state=send.state,
                state_label=State(send.state).label,
                print_category=send.print_category,
                stored_at=_when(send.stored_at),
                sent_at=_when(send.sent_at),
                send_count=send.send_count,
                linked_on=send.linked_on.isoformat() if send.linked_on else "",
                result_code=send.result_code,
                result_reason=send.result_reason,
                deleted=send.deleted_at is not None,
            )
            for send in query.order_by("-pk")[:MAX_LIST]
        ]
        record_event(
            actor=actor,
            action=AuditAction.CS_SENDING_ADDRESS_LIST,
            subject_type=SUBJECT_TYPE,
            purpose=purpose,
            reason=f"state {state or 'all'}",
            result_count=len(rows),
        )
    return SendingAddressList(counts=counts, rows=rows)


def resend_refused(*, actor: Any, purpose: str, send_id: int) -> None:
    """「再送」 of a 返却 record (after the registry was corrected); audited."""
    _require(actor, purpose, AuditAction.CS_SENDING_ADDRESS_SEND, str(send_id))
    with transaction.atomic():
        send = (
            SendingAddressSend.objects.select_for_update(of=("self",))
            .filter(pk=send_id, state=State.REFUSED, record__isnull=False)
            .select_related("record")
            .first()
        )
        if send is None:
            raise refusal(
                "send_id",
                "再送できる返却済みの送付先情報が見つかりません。",
                "一覧を更新してください。",
                "jukinet.cs.no_such_sending_address",
            )
        if not peer_configured(NATIONAL):
            raise refusal(
                "send_id",
                "機構の接続先が設定されていません。",
                "接続先を設定してから再送してください。",
                "jukinet.cs.no_national_peer",
            )
        _send(send, send.record, actor, timezone.now())
        record_event(
            actor=actor,
            action=AuditAction.CS_SENDING_ADDRESS_SEND,
            subject_type=SUBJECT_TYPE,
            subject_id=str(send.pk),
            purpose=purpose,
            reason="resend after refusal",
            individual_number_used=True,
            result_count=1,
            concerning=person_ids([_resident_code_of(send)]),
        )
