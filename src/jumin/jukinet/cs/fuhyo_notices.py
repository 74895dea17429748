"""戸籍附票記載事項通知 through the 市町村CS (住基法19条1項; std 7.1.1.1-e; docs/jukinet.md Flow 13).

* ``deliverable`` and ``send``: the 住所地 side. The registry (``registry.fuhyo_notices``) asks which
  本籍地 are peers, stores its notices, then hands the ones for a peer to ``send``, which queues one
  ``jukinet.fuhyo_entry_notice`` per person directly to the 本籍地's CS (like the 転入通知) and audits the
  send once for all of them, naming each person (their 提供状況 lists it).
* ``apply_fuhyo_notice``: the 本籍地 side's handler. It keeps the notice (``ReceivedFuhyoNotice``,
  insert-only) and audits the receipt; one whose 住所地 is not the sender is refused and audited.
* ``received_notices``: the 受信一覧 the local 戸籍附票 system reads (``jumin cs fuhyo-notices``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import mask, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.jukinet.common.catalogue import FUHYO_ENTRY_NOTICE
from jumin.jukinet.common.fuhyo_notice import FuhyoEntryNotice, fuhyo_notice_from_payload
from jumin.jukinet.cs import access, unified_characters
from jumin.jukinet.cs.models import ReceivedFuhyoNotice
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import local_municipality_code, peer_configured
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.services import enqueue

SUBJECT_TYPE = "cs_fuhyo_notice"
WRONG_SENDER = "jukinet.cs.fuhyo_notice_wrong_sender"


def deliverable(municipality_code: str) -> bool:
    """Whether a notice for this 本籍地 can leave now: another municipality that is a peer of this CS."""
    if not municipality_code or municipality_code == local_municipality_code():
        return False
    return peer_configured(NodeRef("municipality", municipality_code))


@dataclass(frozen=True)
class OutgoingNotice:
    """One notice to send: the items, and a stream name unique to it (one stream per notice)."""

    subject: str
    items: FuhyoEntryNotice


def in_unified_characters(items: FuhyoEntryNotice) -> FuhyoEntryNotice:
    """The notice's names and addresses in 住基ネット統一文字 (std 7.1.1.1-e); DomainError if one has none."""
    convert = unified_characters.convert
    return replace(
        items,
        name=convert(items.name, field="name"),
        address=convert(items.address, field="address"),
        honseki=convert(items.honseki, field="honseki"),
        hittousha=convert(items.hittousha, field="hittousha"),
    )


def send(notices: Sequence[OutgoingNotice], *, actor: Any, reason: str) -> None:
    """Queue each notice to its 本籍地's CS (``deliverable`` checked by the caller); call inside the
    caller's transaction. One audit entry ``cs:fuhyo_notice:send`` names every person."""
    if not notices:
        return
    for notice in notices:
        enqueue(
            message_type=FUHYO_ENTRY_NOTICE,
            receiver=NodeRef("municipality", notice.items.honseki_municipality_code),
            subject=notice.subject,
            payload=notice.items.as_payload(),
        )
    destinations = sorted({n.items.honseki_municipality_code for n in notices})
    record_event(
        actor=actor,
        action=AuditAction.CS_FUHYO_NOTICE_SEND,
        subject_type=SUBJECT_TYPE,
        subject_id=notices[0].subject,
        reason=f"{reason}: {len(notices)} sent to {', '.join(destinations)}",
        result_count=len(notices),
        concerning=person_ids([n.items.resident_code for n in notices]),
    )


def apply_fuhyo_notice(envelope: Envelope) -> None:
    """Handler of a 戸籍附票記載事項通知: keep it for the 戸籍附票 system (idempotent per message).

    A notice naming another 住所地 than its sender is refused: audited, nothing stored (the signed
    envelope proves who sent it; the payload must agree).
    """
    if ReceivedFuhyoNotice.objects.filter(message_id=envelope.id).exists():
        return
    items = fuhyo_notice_from_payload(envelope.payload)
    if envelope.sender.kind != "municipality" or items.municipality_code != envelope.sender.code:
        error = refusal(
            "municipality_code",
            "戸籍附票記載事項通知の住所地が送信元の市町村と一致しません。",
            "住所地の市町村コードを自分の市町村コードにして送り直してください。",
            WRONG_SENDER,
        )
        record_event(
            actor=None,
            action=AuditAction.CS_FUHYO_NOTICE_RECEIVE,
            subject_type="node_message",
            subject_id=envelope.id,
            reason=f"from {envelope.sender}: {error.field}",
            outcome=Outcome.REFUSED,
            outcome_reason=error.code,
            concerning=person_ids([items.resident_code]),
        )
        return
    notice = ReceivedFuhyoNotice.objects.create(
        message_id=envelope.id,
        sender_code=envelope.sender.code,
        resident_code=items.resident_code,
        items=items.as_payload(),
        received_at=timezone.now(),
    )
    record_event(
        actor=None,
        action=AuditAction.CS_FUHYO_NOTICE_RECEIVE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(notice.pk),
        reason=f"from {envelope.sender}",
        concerning=person_ids([items.resident_code]),
    )


#: The 附票 items C-10 hides from a user without the field's grant, on screens, API answers and exports.
_FIELD_OF_ITEM = {
    "resident_code": Permission.FIELD_JUMINHYO_CODE_VIEW,
    "honseki": Permission.FIELD_HONSEKI_VIEW,
    "hittousha": Permission.FIELD_HONSEKI_VIEW,
}


def items_as_seen(items: Mapping[str, Any], actor: Any) -> dict[str, Any]:
    """The items as ``actor`` may see them: 住民票コード and 戸籍の表示 masked without a grant (C-10)."""
    visible = visible_fields(actor)
    return {
        key: mask(value, visible=_FIELD_OF_ITEM[key] in visible) if key in _FIELD_OF_ITEM else value
        for key, value in items.items()
    }


def require_fuhyo(actor: Any, purpose: str, action: AuditAction, subject_id: str = "") -> None:
    """The CS check of every read and mark of received notices: ``CS_FUHYO`` on a 統合端末 (audited)."""
    access.require(
        actor=actor,
        permission=Permission.CS_FUHYO,
        action=action,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
        subject_id=subject_id,
    )


@dataclass(frozen=True)
class ReceivedNotice:
    """One received notice as the 受信一覧 shows it (the items, no 個人番号)."""

    notice_id: int
    received_at: str
    sender_code: str
    items: FuhyoEntryNotice
    #: 処理済み (FuhyoNoticeProcessing): when (local, ISO seconds), by whom (利用者名) and the note; "" while
    #: the notice is 未処理.
    processed_at: str = ""
    processed_by: str = ""
    processing_note: str = ""


def _processing_of(row: ReceivedFuhyoNotice) -> dict[str, str]:
    """The notice's 処理済み (when, who, note), or nothing while it is 未処理."""
    processing = getattr(row, "processing", None)
    if processing is None:
        return {}
    return {
        "processed_at": timezone.localtime(processing.processed_at).isoformat(timespec="seconds"),
        "processed_by": processing.processed_by.get_username(),
        "processing_note": processing.note,
    }


def received_notices(*, actor: Any, purpose: str, after_id: int = 0) -> list[ReceivedNotice]:
    """The received notices with an id above ``after_id``, oldest first, for the 戸籍附票 system.

    Audited as one list entry naming every person listed (their 提供状況 shows who read it).
    """
    require_fuhyo(actor, purpose, AuditAction.CS_FUHYO_NOTICE_LIST)
    with transaction.atomic():
        rows = list(
            ReceivedFuhyoNotice.objects.filter(pk__gt=after_id)
            .select_related("processing__processed_by")
            .order_by("pk")
        )
        listed = [
            ReceivedNotice(
                notice_id=row.pk,
                received_at=timezone.localtime(row.received_at).isoformat(timespec="seconds"),
                sender_code=row.sender_code,
                items=FuhyoEntryNotice(**items_as_seen(row.items, actor)),
                **_processing_of(row),
            )
            for row in rows
        ]
        record_event(
            actor=actor,
            action=AuditAction.CS_FUHYO_NOTICE_LIST,
            subject_type=SUBJECT_TYPE,
            subject_id=str(after_id),
            purpose=purpose,
            result_count=len(listed),
            concerning=person_ids([row.resident_code for row in rows]),
        )
    return listed
