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

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.domain.checkdigits import validate_juminhyo_code, validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason
from jumin.jukinet.cs.services import local_municipality_code, peer_configured
from jumin.messaging import handlers
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.services import enqueue
from jumin.registry import support_database
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.models_restrictions import CoveredService, SupportMeasure
from jumin.registry.models_support import ForwardingDirection, SupportForwarding

SUPPORT_MEASURE_NOTICE = "registry.support_measure_notice"
#: The 異動事由 after which a protected person has left this municipality (3.4-h).
DEPARTURE_REASONS = frozenset(
    {ChangeReason.DOMESTIC_MOVE_OUT, ChangeReason.MOVE_OUT_ABROAD, ChangeReason.EX_OFFICIO_REMOVAL}
)
_PAYLOAD_KEYS = {"juminhyo_code", "former_municipality_code", "moved_on", "covered_services", "provisional"}


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
    """Keep a received notice as an incoming 転送情報 row, once per message (idempotent)."""
    payload = envelope.payload
    SupportForwarding.objects.get_or_create(
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


handlers.register(SUPPORT_MEASURE_NOTICE, validate=validate_notice, apply=apply_notice)


def _destination(snapshot: ResidentSnapshot, reason: str) -> tuple[str, str]:
    """The 転入先's 市町村コード and a label; ("", label) when it is not known."""
    if reason == ChangeReason.EX_OFFICIO_REMOVAL:
        return "", "職権消除（転入先不明）"
    if reason == ChangeReason.MOVE_OUT_ABROAD:
        return "", "国外"
    code = snapshot.planned_destination_code
    # Never the destination text: it may be the new address itself.
    return code, "" if code else "転入先の市町村コード未入力"


def _send(row: SupportForwarding) -> bool:
    if not row.municipality_code or not row.juminhyo_code:
        return False
    receiver = NodeRef("municipality", row.municipality_code)
    if not peer_configured(receiver):
        return False
    message = enqueue(
        message_type=SUPPORT_MEASURE_NOTICE,
        receiver=receiver,
        subject=f"spf-{row.pk}",
        payload={
            "juminhyo_code": row.juminhyo_code,
            "former_municipality_code": local_municipality_code(),
            "moved_on": row.moved_on.isoformat() if row.moved_on else "",
            "covered_services": list(row.covered_services),
            "provisional": row.provisional,
        },
    )
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
        sent = _send(row)
        support_database.audit_measure(
            actor,
            purpose,
            AuditAction.RESIDENT_SUPPORT_MEASURE_FORWARDING_RECORD,
            measure_id,
            f"outgoing forwarding={row.pk} {'sent to ' + code if sent else 'waiting'}",
        )
