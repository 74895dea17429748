"""Telling the 転入先 that a 支援措置 follows a person who left (standard 3.4-h, 1.1.16-a 転送情報).

``forward_departures`` runs in the commit's transaction (``support_roles.follow_committed_change``):
for every person a measure in force protects who leaves by this change (転出, 国外転出 or 職権消除), one
outgoing ``SupportForwarding`` row, and, when the 転入先 is a known peer municipality, one signed
``registry.support_measure_notice`` through the messaging outbox (never a direct call): it leaves only
if the commit does. The row waits (``sent_at`` empty) when the 転入先 is unknown (職権消除, a
destination entered without its 市町村コード) or not a peer; staff then tell it by other means.

The payload holds identifiers only: the 住民票コード, the 転出元's 市町村コード, the day of the move,
the 対象事務 and that the 転出元 now holds it as a 仮支援措置. Never an address (neither the old nor the
new one), a name, the 加害者 or the period. The receiving node stores it as an incoming row for its
support staff (``apply_notice``); the application is recorded by the messaging inbox and audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.checkdigits import validate_juminhyo_code, validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet.cs.services import local_municipality_code, peer_configured
from jumin.messaging import handlers
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.services import enqueue
from jumin.registry import support_arrivals, support_database
from jumin.registry.models import Change, Resident, ResidentSnapshot
from jumin.registry.models_restrictions import CoveredService, SupportMeasure
from jumin.registry.models_support import ForwardingDirection, SupportForwarding

SUPPORT_MEASURE_NOTICE = "registry.support_measure_notice"
#: The 異動事由 after which a protected person has left this municipality (3.4-h).
DEPARTURE_REASONS = frozenset(
    {ChangeReason.DOMESTIC_MOVE_OUT, ChangeReason.MOVE_OUT_ABROAD, ChangeReason.EX_OFFICIO_REMOVAL}
)
_PAYLOAD_KEYS = {"juminhyo_code", "former_municipality_code", "moved_on", "covered_services", "provisional"}
#: Sent when a 転出 whose notice went out is cancelled (異動の取消し) at the 転出元.
SUPPORT_MEASURE_RETRACTION = "registry.support_measure_retraction"
_RETRACTION_KEYS = {"juminhyo_code", "former_municipality_code", "notice_message_id", "cancelled_on"}
RETRACTION_NOTE = "転出の取消しによる連絡の撤回"


def _bad_payload() -> DomainError:
    return refusal(
        "payload",
        "支援措置の連絡の内容が不正です。",
        "住民票コード・転出元市町村コード・異動日・対象事務・仮支援措置の別だけを送ってください。",
        "registry.support_notice_payload",
    )


def validate_notice(payload: dict[str, Any]) -> None:
    """The payload's exact shape; every value checked, so an address or a name can never ride along."""
    if set(payload) != _PAYLOAD_KEYS:
        raise _bad_payload()
    services = payload["covered_services"]
    if (
        not isinstance(services, list)
        or not services
        or any(s not in CoveredService.values for s in services)
        or not isinstance(payload["provisional"], bool)
        or not all(
            isinstance(payload[k], str) for k in ("juminhyo_code", "former_municipality_code", "moved_on")
        )
    ):
        raise _bad_payload()
    try:
        validate_juminhyo_code(payload["juminhyo_code"])
        validate_lgcode(payload["former_municipality_code"])
        date.fromisoformat(payload["moved_on"])
    except (DomainError, ValueError):
        raise _bad_payload() from None


def apply_notice(envelope: Envelope) -> None:
    """Keep a received notice as an incoming 転送情報 row, once per message (idempotent), and protect
    the person at once when they already live here (``support_arrivals``)."""
    payload = envelope.payload
    row, created = SupportForwarding.objects.get_or_create(
        direction=ForwardingDirection.INCOMING,
        message_id=envelope.id,
        defaults={
            "municipality_code": envelope.sender.code,
            "moved_on": date.fromisoformat(payload["moved_on"]),
            "notified_on": timezone.localdate(),
            "juminhyo_code": payload["juminhyo_code"],
            "covered_services": list(payload["covered_services"]),
            "provisional": payload["provisional"],
            "recorded_at": timezone.now(),
        },
    )
    if created:
        support_arrivals.protect_on_receipt(row)


handlers.register(SUPPORT_MEASURE_NOTICE, validate=validate_notice, apply=apply_notice)


def validate_retraction(payload: dict[str, Any]) -> None:
    """A retraction names the person by 住民票コード and the notice it withdraws; nothing else."""
    if set(payload) != _RETRACTION_KEYS or not all(isinstance(v, str) for v in payload.values()):
        raise _bad_payload()
    try:
        validate_juminhyo_code(payload["juminhyo_code"])
        validate_lgcode(payload["former_municipality_code"])
        date.fromisoformat(payload["cancelled_on"])
        uuid.UUID(payload["notice_message_id"])
    except (DomainError, ValueError):
        raise _bad_payload() from None


def apply_retraction(envelope: Envelope) -> None:
    """Record a retraction beside the notice it withdraws (idempotent). It lifts nothing: a 仮支援措置
    opened on the notice stays until staff end it (3.4-f), so a person is never left unprotected."""
    payload = envelope.payload
    notice = SupportForwarding.objects.filter(
        direction=ForwardingDirection.INCOMING, message_id=payload["notice_message_id"]
    ).first()
    if notice is not None and (
        notice.municipality_code != envelope.sender.code or notice.juminhyo_code != payload["juminhyo_code"]
    ):
        raise handlers.HandlerRefused("the retraction names a notice of another sender or person")
    SupportForwarding.objects.get_or_create(
        direction=ForwardingDirection.INCOMING,
        message_id=envelope.id,
        defaults={
            "measure": notice.measure if notice is not None else None,
            "municipality_code": envelope.sender.code,
            "notified_on": timezone.localdate(),
            "juminhyo_code": payload["juminhyo_code"],
            "covered_services": list(notice.covered_services) if notice is not None else [],
            "retracts_message_id": payload["notice_message_id"],
            "note": RETRACTION_NOTE,
            "recorded_at": timezone.now(),
        },
    )


handlers.register(SUPPORT_MEASURE_RETRACTION, validate=validate_retraction, apply=apply_retraction)


def _destination(snapshot: ResidentSnapshot, reason: str) -> tuple[str, str]:
    """The 転入先's 市町村コード and a label; ("", label) when it is not known."""
    if reason == ChangeReason.EX_OFFICIO_REMOVAL:
        return "", "職権消除（転入先不明）"
    if reason == ChangeReason.MOVE_OUT_ABROAD:
        return "", "国外"
    code = snapshot.planned_destination_code
    # Never the destination text: it may be the new address itself.
    return code, "" if code else "転入先の市町村コード未入力"


def _message(row: SupportForwarding) -> tuple[str, dict[str, Any]]:
    """The type and payload an outgoing row sends: its notice, or the retraction of an earlier one."""
    if row.retracts_message_id:
        return SUPPORT_MEASURE_RETRACTION, {
            "juminhyo_code": row.juminhyo_code,
            "former_municipality_code": local_municipality_code(),
            "notice_message_id": row.retracts_message_id,
            "cancelled_on": timezone.localdate().isoformat(),
        }
    return SUPPORT_MEASURE_NOTICE, {
        "juminhyo_code": row.juminhyo_code,
        "former_municipality_code": local_municipality_code(),
        "moved_on": row.moved_on.isoformat() if row.moved_on else "",
        "covered_services": list(row.covered_services),
        "provisional": row.provisional,
    }


def _send(row: SupportForwarding) -> bool:
    if not row.municipality_code or not row.juminhyo_code:
        return False
    receiver = NodeRef("municipality", row.municipality_code)
    if not peer_configured(receiver):
        return False
    message_type, payload = _message(row)
    message = enqueue(message_type=message_type, receiver=receiver, subject=f"spf-{row.pk}", payload=payload)
    row.message_id = str(message.message_id)
    row.sent_at = timezone.now()
    row.save(update_fields=["message_id", "sent_at"])
    return True


def forward_departures(
    *,
    change: Change,
    departed: Iterable[tuple[int, ResidentSnapshot]],
    actor: Any,
    purpose: str,
) -> None:
    """One outgoing row (and notice, when possible) per (measure, protected person who left by ``change``).

    ``departed`` pairs a measure id with the committed row of one of its protected persons. Audited
    ``resident:support_measure:forwarding_record`` per row, with whether it was sent or waits.
    """
    if change.reason not in DEPARTURE_REASONS:
        return  # a 転出確定 or a cancellation: the departure was told when it was committed
    measures = {}
    now = timezone.now()
    for measure_id, snapshot in departed:
        if measure_id not in measures:
            measures[measure_id] = SupportMeasure.objects.get(pk=measure_id)
        code, label = _destination(snapshot, change.reason)
        row = SupportForwarding.objects.create(
            direction=ForwardingDirection.OUTGOING,
            measure_id=measure_id,
            municipality_code=code,
            municipality_name=label,
            moved_on=snapshot.removal_date,
            juminhyo_code=snapshot.juminhyo_code,
            covered_services=list(measures[measure_id].covered_services),
            provisional=True,
            change=change,
            recorded_by=actor,
            recorded_at=now,
        )
        _audit_sent(row, _send(row), actor=actor, purpose=purpose)


def retract_cancelled(*, change: Change, actor: Any, purpose: str) -> None:
    """A committed 異動の取消し of a 転出 whose notices went out: tell each 転入先 they are withdrawn.

    One outgoing retraction row per sent notice of the cancelled change (waiting rows told nobody),
    sent like a notice and audited likewise. The 転入先 records it and lifts nothing (``apply_retraction``).
    """
    if change.cancels_id is None:
        return
    sent = SupportForwarding.objects.filter(
        direction=ForwardingDirection.OUTGOING, change_id=change.cancels_id, retracts_message_id=""
    ).exclude(message_id="")
    now = timezone.now()
    for notice in sent.order_by("pk"):
        row = SupportForwarding.objects.create(
            direction=ForwardingDirection.OUTGOING,
            measure_id=notice.measure_id,
            municipality_code=notice.municipality_code,
            juminhyo_code=notice.juminhyo_code,
            covered_services=list(notice.covered_services),
            retracts_message_id=notice.message_id,
            note=RETRACTION_NOTE,
            change=change,
            recorded_by=actor,
            recorded_at=now,
        )
        _audit_sent(row, _send(row), actor=actor, purpose=purpose)


def _audit_sent(row: SupportForwarding, sent: bool, *, actor: Any, purpose: str) -> None:
    kind = "retraction" if row.retracts_message_id else "forwarding"
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_SUPPORT_MEASURE_FORWARDING_RECORD,
        subject_type="support_measure",
        subject_id=str(row.measure_id),  # every outgoing row belongs to a measure
        purpose=purpose,
        reason=f"outgoing {kind}={row.pk} {'sent to ' + row.municipality_code if sent else 'waiting'}",
        support_measure=True,
    )


def resend_forwarding(*, actor: Any, purpose: str, measure_id: int, forwarding_id: int) -> None:
    """「再送」: send a waiting outgoing row once its 転入先 has become a peer (3.4-h).

    Needs ``support_measure:manage`` on its measure in force. Refused, nothing sent, when the row is
    not a waiting outgoing one, names no 転入先 code, the 転入先 is still not a peer, or the person lives
    here again (the 転出 was cancelled: there is nothing to tell).
    """
    action = AuditAction.RESIDENT_SUPPORT_MEASURE_FORWARDING_RECORD
    support_database.authorize_measure(actor=actor, purpose=purpose, measure_id=measure_id, action=action)
    with transaction.atomic():
        support_database.measure_for_update(measure_id)
        row = (
            SupportForwarding.objects.select_for_update()
            .filter(pk=forwarding_id, measure_id=measure_id, direction=ForwardingDirection.OUTGOING)
            .first()
        )
        if row is None:
            raise _resend_refusal(
                "この支援措置の転出先への転送情報が見つかりません。", "転送情報の番号を確認してください。"
            )
        if row.sent_at is not None:
            raise _resend_refusal("この転送情報は既に転入先へ連絡済みです。", "再送の必要はありません。")
        if not row.municipality_code or not row.juminhyo_code:
            raise _resend_refusal(
                "転入先の市町村コードが記録されていないため、再送できません。",
                "電話・文書など他の方法で転入先へ連絡し、転送情報を登録してください。",
            )
        if Resident.objects.filter(
            current__juminhyo_code=row.juminhyo_code, current__status=ResidentStatus.RESIDENT
        ).exists():
            raise _resend_refusal(
                "対象者は当市区町村の住民に戻っているため（転出の取消し）、再送できません。",
                "転入先への連絡は不要です。",
            )
        if not _send(row):
            raise _resend_refusal(
                f"転入先（{row.municipality_code}）は連携先として登録されていないため、再送できません。",
                "連携先の登録をシステム管理者に依頼するか、他の方法で転入先へ連絡してください。",
            )
        _audit_sent(row, True, actor=actor, purpose=purpose)


def _resend_refusal(message: str, remedy: str) -> DomainError:
    return refusal("forwarding_id", message, remedy, "registry.forwarding_not_resendable")
