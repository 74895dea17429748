"""Refusing an update: store it, audit it and send the reason back to the CS, in one transaction.

A refusal is an outcome of the update, not a failure of the handler: the handler returns normally so
the inbox records the message as processed, and the CS fixes the record by an amendment (F08).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE_REJECTED
from jumin.jukinet.common.queries import rejection_payload, validate_rejection
from jumin.jukinet.prefecture.models import FuhyoVersion, IdentityVersion, RefusedUpdate
from jumin.messaging import conf
from jumin.messaging import services as messaging
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.handlers import HandlerRefused
from jumin.messaging.selectors import received_seq, received_subject

_AUDIT_ACTION = {
    RefusedUpdate.Kind.IDENTITY: AuditAction.PREFECTURE_IDENTITY_UPDATE_REFUSE,
    RefusedUpdate.Kind.FUHYO: AuditAction.PREFECTURE_FUHYO_UPDATE_REFUSE,
}


def refuse_update(
    envelope: Envelope,
    *,
    kind: RefusedUpdate.Kind,
    error: DomainError,
    update_seq: int,
    change_reason: str = "",
    concerning: Sequence[str] = (),
) -> RefusedUpdate:
    """Record a refused update, audit it and enqueue IDENTITY_UPDATE_REJECTED to its sender.

    The reply carries the rejected message's id and subject (never personal data). A sender that is
    not a configured peer cannot be answered over the network; the row and the audit entry remain.
    ``concerning``: the store record ids of the person, when the store holds them (their 提供状況).
    """
    refused = RefusedUpdate.objects.create(
        kind=kind,
        message_id=envelope.id,
        subject_key=envelope.subject,
        sender_kind=envelope.sender.kind,
        sender_code=envelope.sender.code,
        update_seq=update_seq,
        change_reason=change_reason[:20],
        code=error.code,
        reason=error.reason[:400],
        remedy=error.remedy[:400],
        received_at=timezone.now(),
    )
    record_event(
        actor=None,
        action=_AUDIT_ACTION[kind],
        subject_type="node_message",
        subject_id=envelope.id,
        reason=f"{envelope.type} from {envelope.sender} seq {envelope.seq}"[:400],
        outcome=Outcome.REFUSED,
        outcome_reason=error.code,
        concerning=concerning,
    )
    if conf.local_node().peer(envelope.sender) is None:
        return refused
    try:
        with transaction.atomic():  # a savepoint: a refused reply must not undo the stored refusal
            reply = messaging.enqueue(
                message_type=IDENTITY_UPDATE_REJECTED,
                receiver=envelope.sender,
                subject=envelope.subject,
                payload=rejection_payload(envelope, error, update_seq=update_seq),
            )
    except DomainError:
        return refused
    refused.reply_message_id = str(reply.message_id)
    refused.save(update_fields=["reply_message_id"])
    return refused


def _forwarded_version(forward_message_id: str) -> IdentityVersion | FuhyoVersion | None:
    """The accepted version (本人確認情報 or 附票) this node forwarded as ``forward_message_id``."""
    identity = IdentityVersion.objects.filter(forward_message_id=forward_message_id).first()
    if identity is not None:
        return identity
    return FuhyoVersion.objects.filter(forward_message_id=forward_message_id).first()


def relay_national_rejection(envelope: Envelope) -> None:
    """IDENTITY_UPDATE_REJECTED from the national node about an update this node forwarded (F13 step 6;
    the same for a 附票 update, F21a).

    The prefecture accepted the update but the national node did not: the CS that sent it must fix the
    record by an amendment, so the refusal goes back to that CS about the CS's own message and
    subject. The prefecture's copy stays as accepted; 整合性確認 shows the difference until then.
    """
    payload = envelope.payload
    validate_rejection(payload)
    if envelope.sender.kind != "national":
        raise HandlerRefused("only the national node refuses forwarded updates")
    version = _forwarded_version(payload["rejected_message_id"])
    original = str(version.message_id) if version is not None else ""
    subject = received_subject(original) if original else None
    record_event(
        actor=None,
        action=(
            AuditAction.PREFECTURE_FUHYO_UPDATE_REFUSE
            if isinstance(version, FuhyoVersion)
            else AuditAction.PREFECTURE_IDENTITY_UPDATE_REFUSE
        ),
        subject_type="node_message",
        subject_id=envelope.id,
        reason=f"national refused forwarded {payload['rejected_message_id']}"[:400],
        outcome=Outcome.REFUSED,
        outcome_reason=payload["code"][:64],
        concerning=[str(version.record_id)] if version is not None else [],
    )
    if version is None or subject is None:
        return  # nothing of ours to relay; the audit entry reports it
    cs = NodeRef(kind="municipality", code=version.sender_code)
    if conf.local_node().peer(cs) is None:
        return
    relayed = {**payload, "rejected_message_id": original, "rejected_subject": subject}
    if isinstance(version, FuhyoVersion):
        # The national number is this node's forward sequence; the CS knows its own message's.
        relayed["update_seq"] = received_seq(original) or payload["update_seq"]
    messaging.enqueue(message_type=IDENTITY_UPDATE_REJECTED, receiver=cs, subject=subject, payload=relayed)
