"""Handlers of messages arriving at the CS (run by messaging inside the inbox transaction, in order)."""

from __future__ import annotations

from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.jukinet.common.queries import validate_rejection
from jumin.jukinet.cs.models import CsFuhyo, CsIdentity, SentMoveInNotice, UpdateRejection
from jumin.jukinet.cs.persons import person_ids
from jumin.messaging.envelope import Envelope


def identity_of(subject: str) -> CsIdentity | None:
    """The person of a rejected message from its opaque subject (None if unknown here): ``cs-<pk>`` of
    a 本人確認情報 notice, or ``mino-<pk>-<n>`` of a 転入通知 the 転出地 refused."""
    prefix, _, pk = subject.partition("-")
    if prefix == "mino":
        pk = pk.partition("-")[0]
        notice = SentMoveInNotice.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
        return CsIdentity.objects.filter(resident_code=notice.resident_code).first() if notice else None
    if prefix != "cs" or not pk.isdigit():
        return None
    return CsIdentity.objects.filter(pk=int(pk)).first()


def _fuhyo_of(subject: str) -> CsFuhyo | None:
    """The person of a rejected 附票 update from its opaque subject ``cs-fh<pk>`` (None otherwise)."""
    prefix, _, pk = subject.partition("-fh")
    if prefix != "cs" or not pk.isdigit():
        return None
    return CsFuhyo.objects.filter(pk=int(pk)).first()


def apply_rejection(envelope: Envelope) -> None:
    """IDENTITY_UPDATE_REJECTED (system.md F13 step 6, F21a for a 附票 update; also a 転入通知 the
    転出地 CS refused, docs/jukinet.md Flow 7): keep it for the 返却エラー一覧 (idempotent)."""
    payload = envelope.payload
    validate_rejection(payload)
    if UpdateRejection.objects.filter(message_id=envelope.id).exists():
        return
    rejection = UpdateRejection.objects.create(
        message_id=envelope.id,
        rejected_message_id=payload["rejected_message_id"],
        identity=identity_of(payload["rejected_subject"]),
        fuhyo=_fuhyo_of(payload["rejected_subject"]),
        update_seq=payload["update_seq"],
        code=payload["code"],
        reason=payload["reason"],
        remedy=payload["remedy"],
        received_at=timezone.now(),
    )
    record_event(
        actor=None,
        action=AuditAction.CS_REJECTION_RECEIVE,
        subject_type="cs_rejection",
        subject_id=str(rejection.pk),
        reason=f"from {envelope.sender}: {payload['code']}",
        concerning=person_ids([rejection.identity.resident_code] if rejection.identity else []),
    )
