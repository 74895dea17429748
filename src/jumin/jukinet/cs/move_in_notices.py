"""転入通知 sent by the 転入地 CS (住基法9条1項; std 7.1.1.1-e; docs/jukinet.md Flow 7 steps 4 and 5a).

* ``send_ordinary`` runs inside the registry's 転入 commit (``registry.special_move_link``): one
  ``jukinet.move_in_notice`` per person (``special`` false, no 管理番号, never the 個人番号) to the 転出地
  CS, which keeps it for its registry's 転出確定 exactly as after a 特例転入. When the 転出地 is not a
  peer, or the clerk did not know it, the notice waits (``SentMoveInNotice.sent_at`` empty).
* ``store_and_send`` is the common step: a 特例転入 (``special_move_in.complete``) stores its notice
  (``special`` true, with the 管理番号) the same way, so one left without a peer waits on the same list.
* ``resend`` sends a waiting notice from the 統合端末, with the 転出地 entered then if it was unknown.
* The 転入先の住所 leaves in 住基ネット統一文字 (std 7.1.1.1-e); a notice whose address has a character
  without one waits (送信保留, ``held_reason``, with the remedy) until the 外字 is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import MOVE_IN_NOTICE
from jumin.jukinet.common.move_out_certificate import MoveInNoticeItems, move_in_notice_from_payload
from jumin.jukinet.cs import access, unified_characters
from jumin.jukinet.cs.models import HeldCertificate, SentMoveInNotice
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import local_municipality_code, peer_configured
from jumin.messaging.envelope import NodeRef
from jumin.messaging.services import enqueue

SUBJECT_TYPE = "cs_move_in_notice"
_CODE = "jukinet.cs.move_in_notice"


@dataclass(frozen=True)
class OrdinaryMoveIn:
    """The committed ordinary 転入 of one person, as the registry tells the CS."""

    resident_code: str
    destination_code: str  # 転出地 市町村コード ("" when the clerk did not know it)
    move_in_date: date
    notice_date: date
    new_address: str
    notification_kind: str = "届出"


def _send(row: SentMoveInNotice) -> bool:
    """Queue the notice for ``row.destination_code`` when that municipality is a peer; each send is a
    stream of its own (``mino-<id>-<n>``), so a lost first send never holds back a later one."""
    if not row.destination_code:
        return False
    receiver = NodeRef("municipality", row.destination_code)
    if not peer_configured(receiver) or held_reason(row) is not None:
        return False
    items = unified_characters.move_in_notice_in_unified_characters(move_in_notice_from_payload(row.items))
    enqueue(
        message_type=MOVE_IN_NOTICE,
        receiver=receiver,
        subject=f"mino-{row.pk}-{row.send_count + 1}",
        payload=items.as_payload(),
    )
    row.sent_at = timezone.now()
    row.send_count += 1
    row.save(update_fields=["destination_code", "sent_at", "send_count"])
    return True


def held_reason(row: SentMoveInNotice) -> DomainError | None:
    """Why an unsent 転入通知 cannot leave even to a peer: its 転入先の住所 has no 統一文字 (std
    7.1.1.1-e), with the remedy; None when it can. Shown on the 転出証明書情報一覧 and by ``resend``."""
    if row.sent_at is not None:
        return None
    try:
        unified_characters.move_in_notice_in_unified_characters(move_in_notice_from_payload(row.items))
    except DomainError as error:
        return error
    return None


def _outcome(row: SentMoveInNotice, sent: bool) -> str:
    if sent:
        return f"転入通知 sent to {row.destination_code}"
    if (held := held_reason(row)) is not None:
        return f"転入通知 held: {held.code} {held.field}"
    if not row.destination_code:
        return "転入通知 waiting: 転出地 unknown"
    return f"転入通知 waiting: {row.destination_code} is not a peer"


def store_and_send(items: MoveInNoticeItems, *, destination_code: str) -> tuple[SentMoveInNotice, bool]:
    """Validate, store and (when ``destination_code`` is a peer) queue one 転入通知; whether it left.

    The payload is validated as the receiver will (``enqueue`` runs the same validator), so nothing
    wrong leaves. The caller audits and owns the transaction.
    """
    checked = move_in_notice_from_payload(items.as_payload())
    row = SentMoveInNotice.objects.create(
        resident_code=checked.resident_code,
        destination_code=destination_code,
        items=checked.as_payload(),
        created_at=timezone.now(),
    )
    return row, _send(row)


def send_ordinary(done: OrdinaryMoveIn, *, actor: Any) -> SentMoveInNotice:
    """Store and send the 転入通知 of one person's ordinary 転入; call inside the commit's transaction.

    Audited ``cs:move_in_notice:send`` with whether it left or waits.
    """
    operator_id, terminal_id = operator_ids(actor)
    items = MoveInNoticeItems(
        resident_code=done.resident_code,
        control_number="",  # no 転出証明書情報 to answer: the 転出証明書 was paper
        move_in_date=done.move_in_date.isoformat(),
        notice_date=done.notice_date.isoformat(),
        new_address=done.new_address,
        new_municipality_code=local_municipality_code(),
        notification_kind=done.notification_kind,
        special=False,
        operator_id=operator_id,
        terminal_id=terminal_id,
    )
    with transaction.atomic():
        row, sent = store_and_send(items, destination_code=done.destination_code)
        record_event(
            actor=actor,
            action=AuditAction.CS_MOVE_IN_NOTICE_SEND,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            reason=_outcome(row, sent),
            concerning=person_ids([row.resident_code]),
        )
    return row


def _refused(field: str, reason: str, remedy: str) -> Exception:
    return refusal(field, reason, remedy, _CODE)


def resend(*, actor: Any, purpose: str, notice_id: int, destination_code: str = "") -> SentMoveInNotice:
    """Send a waiting 転入通知 (統合端末): to ``destination_code`` when entered, else to the one stored.

    Refused, nothing changed, when it was already sent, no 転出地 is known, the code is wrong or this
    municipality's own, a 特例転入's notice is pointed at another 転出地 than the one that sent the
    certificate, or the 転出地 is not a peer (yet).
    """
    access.require(
        actor=actor,
        permission=Permission.CS_IDENTITY_CHECK,
        action=AuditAction.CS_MOVE_IN_NOTICE_SEND,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    entered = destination_code.strip()
    if entered:
        validate_lgcode(entered, field="destination_code")
        if entered == local_municipality_code():
            raise _refused(
                "destination_code",
                "転出地に自分の市町村が指定されています。",
                "転出証明書に記載された転出地の市町村コードを入力してください。",
            )
    with transaction.atomic():
        row = SentMoveInNotice.objects.select_for_update().filter(pk=notice_id).first()
        if row is None or row.sent_at is not None:
            raise _refused(
                "notice_id",
                "送信待ちの転入通知ではありません（送信済みか、存在しません）。",
                "一覧で「送信待ち」の転入通知を選んでください。",
            )
        if row.items["special"] and entered and entered != row.destination_code:
            # A 特例転入's notice answers the 転出証明書情報 of one 転出地; no other municipality takes it.
            raise _refused(
                "destination_code",
                "特例転入の転入通知は、転出証明書情報を送った転出地にしか送れません。",
                f"転出地の市町村コードを入力せずに（転出地 {row.destination_code}）再送信してください。",
            )
        row.destination_code = entered or row.destination_code
        if not row.destination_code:
            raise _refused(
                "destination_code",
                "転出地の市町村コードが不明です。",
                "転出証明書に記載された転出地の市町村コード（6桁）を入力してください。",
            )
        if (held := held_reason(row)) is not None:
            raise held  # the same reason and remedy until the address is 同定 or the 外字 registered
        if not _send(row):
            raise _refused(
                "destination_code",
                "転出地の市町村が連携先に登録されていません。",
                "市町村コードを確認するか、連携先の登録をシステム管理者に依頼してから再送信してください。",
            )
        if row.items["special"]:
            # The held data's row shows whether its 転入通知 left (転出証明書情報一覧).
            HeldCertificate.objects.filter(
                control_number=row.items["control_number"],
                state=HeldCertificate.State.USED,
                notice_sent_at__isnull=True,
            ).update(notice_sent_at=row.sent_at)
        record_event(
            actor=actor,
            action=AuditAction.CS_MOVE_IN_NOTICE_SEND,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            purpose=purpose,
            reason=f"resent: {_outcome(row, True)}",
            concerning=person_ids([row.resident_code]),
        )
    return row
