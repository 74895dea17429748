"""特例転出 at the 転出地 CS (system.md F03 step 3b, F03 step 7, F02 step 3a; docs/jukinet.md Flow 7).

* ``send_certificate`` runs inside the registry's 転出 commit of a card holder: the 転出証明書情報 is
  stored (個人番号 encrypted) and, when the 転入予定地 is a configured peer, queued for it in the same
  transaction. Messages go CS to CS directly: every municipality node of the federation is a peer.
* A 送信依頼 (``apply_request``) is answered with the same data again while the person is still 転出予定
  here (the CS file's current record is the 国内転出 and no 転入通知 arrived); otherwise with
  ``MOVE_OUT_CERTIFICATE_REFUSED`` and the reason. Handlers never raise: a refused request is answered
  and audited, so it does not hold back later messages.
* A 転入通知 (``apply_move_in_notice``) is kept for the registry, which takes it in as a 転出確定
  (``registry.special_moves.import_move_in_notices``); the sent copy's items and 個人番号 are erased then.
  One whose sender is not the 転入地 it names, or not the municipality the answered 転出証明書情報 was
  sent to, is refused and answered like a refused update (IDENTITY_UPDATE_REJECTED).
* ``send_waiting_certificates`` sends the 転出証明書情報 left unsent for want of a peer once the
  転入予定地 is one (``jumin cs send-waiting-certificates``, the 転出証明書情報一覧).
* Every 転出証明書情報 leaves in 住基ネット統一文字 (std 7.1.1.1-e); one with a character that has none
  stays unsent (送信保留, ``held_reason``) until the 外字 is registered; a received 転入通知's address is
  converted the same way, and one with a 外字 not registered here waits in the 取込エラー一覧.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import (
    IDENTITY_UPDATE_REJECTED,
    MOVE_OUT_CERTIFICATE,
    MOVE_OUT_CERTIFICATE_REFUSED,
)
from jumin.jukinet.common.move_out_certificate import (
    MoveInNoticeItems,
    MoveOutCertificate,
    certificate_from_payload,
    move_in_notice_from_payload,
)
from jumin.jukinet.common.notice import NoticeReason
from jumin.jukinet.common.queries import rejection_payload
from jumin.jukinet.cs import access, unified_characters
from jumin.jukinet.cs.models import CsIdentity, ReceivedMoveInNotice, SentCertificate
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import local_municipality_code, peer_configured
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.services import enqueue

SUBJECT_TYPE = "cs_move_out_certificate"
NOTICE_SUBJECT_TYPE = "cs_move_in_notice"
#: The CS 異動事由 of a person still moving out: the 転出 itself, or the 転出確定 the registry records when
#: the planned date comes without a 転入通知 (daily batch). Whether a 転入通知 arrived is the sent copy's
#: ``confirmed_at``.
MOVING_OUT_REASONS = frozenset({NoticeReason.DOMESTIC_MOVE_OUT.value, "転出確定"})
#: The answer to a 送信依頼 for a person who is not (or no longer) 転出予定 here.
NOT_MOVING_OUT = (
    "jukinet.move_out_certificate.not_moving_out",
    "この住民票コードの方について、送信できる転出証明書情報がありません（特例転出をしていない、"
    "転出が取り消された、または転入通知を受信済みです）。",
    "転出地の市町村に転出の状況を確認し、必要なら転出証明書（紙）による転入として処理してください。",
)

#: How ``_send`` says a certificate waits for a 外字 (not for a peer).
HELD = "held"
#: What the 転入地 is told when the data waits for a 外字 at the 転出地 (the clerk there has the details).
HELD_REMEDY = (
    "転出地で外字の同定または登録が済むと送信されます。急ぐ場合は転出地の市町村に連絡するか、"
    "転出証明書（紙）による転入として処理してください。"
)

#: The code of a 転入通知 refused because of its sender (``_wrong_sender``).
WRONG_SENDER = "jukinet.move_in_notice.wrong_sender"


def new_control_number() -> str:
    """A fresh 管理番号 for a 転出証明書情報: the municipality code and a random part (no personal data)."""
    return f"{local_municipality_code()}-{uuid.uuid4().hex[:16]}"


def _municipality(code: str) -> NodeRef:
    return NodeRef("municipality", code)


def _send(row: SentCertificate, certificate: MoveOutCertificate) -> str:
    """Queue the certificate, in 住基ネット統一文字, for its 転入予定地; "" when queued, else why it waits
    (no peer, or ``held_reason``). Each send is a stream of its own (``moc-<id>-<n>``), so a first send
    that never left does not hold back the answer to a 送信依頼."""
    receiver = _municipality(row.destination_code)
    if not peer_configured(receiver):
        return f"waiting: {row.destination_code} is not a peer"
    try:
        unified = unified_characters.certificate_in_unified_characters(certificate)
    except DomainError as error:
        # Held like a 本人確認情報 notice (CS未連携): the row waits, the list shows the reason.
        return f"{HELD}: {error.code} {error.field}"
    enqueue(
        message_type=MOVE_OUT_CERTIFICATE,
        receiver=receiver,
        subject=f"moc-{row.pk}-{row.send_count + 1}",
        payload=unified.as_payload(),
    )
    row.sent_at = timezone.now()
    row.send_count += 1
    row.save(update_fields=["sent_at", "send_count"])
    return ""


def held_reason(row: SentCertificate) -> DomainError | None:
    """Why an unsent 転出証明書情報 cannot leave even to a peer: a name or address without a 統一文字
    (std 7.1.1.1-e), with its remedy; None when it can. Shown on the 転出証明書情報一覧."""
    if row.sent_at is not None or row.confirmed_at is not None:
        return None
    try:
        unified_characters.certificate_in_unified_characters(_certificate_of(row, with_number=False))
    except DomainError as error:
        return error
    return None


def _certificate_of(row: SentCertificate, *, with_number: bool = True) -> MoveOutCertificate:
    """The stored 転出証明書情報 of a sent copy not yet confirmed, 個人番号 decrypted, ready to send again
    (``with_number`` False: without it, to check the texts only)."""
    number = row.get_individual_number() if with_number else ""
    return MoveOutCertificate(**row.items, individual_number=number or "")


def send_certificate(certificate: MoveOutCertificate, *, actor: Any) -> SentCertificate:
    """Store and send one 転出証明書情報 (F03 step 3b); call inside the 転出 commit's transaction.

    Refuses (DomainError) what the receiver would refuse, so nothing wrong leaves. Without the
    転入予定地 as a peer the row stays unsent (``sent_at`` empty) and a 送信依頼 sends it later.
    """
    checked = certificate_from_payload(certificate.as_payload())
    with transaction.atomic():
        row = SentCertificate(
            control_number=checked.control_number,
            resident_code=checked.resident_code,
            destination_code=checked.destination_municipality_code,
            items=checked.items_without_number(),
            planned_date=date.fromisoformat(checked.planned_date),
            created_at=timezone.now(),
        )
        row.set_individual_number(checked.individual_number)
        row.save()
        waiting = _send(row, checked)
        record_event(
            actor=actor,
            action=AuditAction.CS_CERTIFICATE_SEND,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            reason=waiting or f"to {row.destination_code}",
            individual_number_used=True,
            result_count=1,
            concerning=person_ids([row.resident_code]),
        )
    return row


def _still_moving_out(resident_code: str) -> bool:
    identity = CsIdentity.objects.select_related("current").filter(resident_code=resident_code).first()
    return identity is not None and identity.current.change_reason in MOVING_OUT_REASONS


def _is_newest(row: SentCertificate) -> bool:
    """Whether no later 転出証明書情報 of the same person was stored (a 転出 entered again replaces it)."""
    return not SentCertificate.objects.filter(resident_code=row.resident_code, pk__gt=row.pk).exists()


@dataclass(frozen=True)
class WaitingCertificates:
    """What one run of ``send_waiting_certificates`` did."""

    sent: int  # queued now: the 転入予定地 has become a peer
    waiting: int  # still no peer: they wait for the next run
    #: A name or address without a 統一文字 (``held_reason``): they wait for the 外字's 同定 or 登録.
    held: int
    #: Never sent: the 転出 was cancelled or ended here (a 送信依頼 would be refused too), or a newer
    #: 転出証明書情報 of the person (a later 転出, perhaps to another 転入予定地) replaced it.
    not_due: int


def send_waiting_certificates(*, actor: Any = None, purpose: str = "") -> WaitingCertificates:
    """Queue every 転出証明書情報 left unsent for want of a peer whose 転入予定地 is a peer now.

    Run by ``jumin cs send-waiting-certificates`` (``actor`` None: the system) and from the
    転出証明書情報一覧. Idempotent: the rows are locked and a sent row has ``sent_at``, so a row is
    sent once however often this runs. Only the person's newest certificate is sent, and only while the
    person is still 転出予定 here, as for a 送信依頼.
    One audit entry with the counts, naming the persons sent.
    """
    sent: list[str] = []
    waiting = not_due = held = 0
    with transaction.atomic():
        rows = SentCertificate.objects.select_for_update().filter(
            sent_at__isnull=True, confirmed_at__isnull=True
        )
        for row in rows.order_by("pk"):
            if not (_is_newest(row) and _still_moving_out(row.resident_code)):
                not_due += 1
            elif not (why := _send(row, _certificate_of(row))):
                sent.append(row.resident_code)
            elif why.startswith(HELD):
                held += 1
            else:
                waiting += 1
        record_event(
            actor=actor,
            action=AuditAction.CS_CERTIFICATE_SEND,
            subject_type=SUBJECT_TYPE,
            purpose=purpose,
            reason=f"waiting: sent {len(sent)}, no peer {waiting}, held {held}, not due {not_due}",
            individual_number_used=bool(sent),
            result_count=len(sent),
            concerning=person_ids(sent),
        )
    return WaitingCertificates(sent=len(sent), waiting=waiting, not_due=not_due, held=held)


def send_waiting(*, actor: Any, purpose: str) -> WaitingCertificates:
    """「送信待ちを送信」 on the 転出証明書情報一覧 (統合端末): ``send_waiting_certificates`` as the clerk."""
    access.require(
        actor=actor,
        permission=Permission.CS_IDENTITY_CHECK,
        action=AuditAction.CS_CERTIFICATE_SEND,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    return send_waiting_certificates(actor=actor, purpose=purpose)


def apply_request(envelope: Envelope) -> None:
    """Handler of a 送信依頼: send the data again, or answer why not (audited either way)."""
    payload = envelope.payload  # validated by messaging before the handler runs
    code = payload["resident_code"]
    sender = envelope.sender
    row = None
    if sender.kind == "municipality" and payload["requester_code"] == sender.code and _still_moving_out(code):
        row = (
            SentCertificate.objects.select_for_update()
            .filter(resident_code=code, destination_code=sender.code, confirmed_at__isnull=True)
            .order_by("-pk")
            .first()
        )
    answer = NOT_MOVING_OUT
    if row is not None and (held := held_reason(row)) is not None:
        # Sent once the 転出地 has 同定 or registered the 外字; the 転入地 is told why it waits.
        row, answer = None, (held.code, held.reason, HELD_REMEDY)
    if row is not None:
        _send(row, _certificate_of(row))
    else:
        refusal_code, reason, remedy = answer
        enqueue(
            message_type=MOVE_OUT_CERTIFICATE_REFUSED,
            receiver=sender,
            subject=f"mocref-{envelope.id}",
            payload={"resident_code": code, "code": refusal_code, "reason": reason, "remedy": remedy},
        )
    record_event(
        actor=None,
        action=AuditAction.CS_CERTIFICATE_SEND,
        subject_type=SUBJECT_TYPE,
        subject_id=str(row.pk) if row is not None else envelope.id,
        reason=f"送信依頼 from {sender}",
        outcome=Outcome.DONE if row is not None else Outcome.REFUSED,
        outcome_reason="" if row is not None else answer[0],
        individual_number_used=row is not None,
        result_count=1 if row is not None else 0,
        concerning=person_ids([code]),
    )


def _wrong_sender(items: MoveInNoticeItems, sender: NodeRef) -> DomainError | None:
    """Why a 転入通知 cannot come from ``sender``, or None: the 転入地 it names must be the sender, and
    the 転出証明書情報 it answers (管理番号) must have been sent here for this person to that sender."""
    if sender.kind != "municipality" or items.new_municipality_code != sender.code:
        return refusal(
            "new_municipality_code",
            "転入通知の転入地が送信元の市町村と一致しません。",
            "転入地の市町村コードを自分の市町村コードにして送り直してください。",
            WRONG_SENDER,
        )
    if (
        items.control_number
        and not SentCertificate.objects.filter(
            control_number=items.control_number,
            resident_code=items.resident_code,
            destination_code=sender.code,
        ).exists()
    ):
        return refusal(
            "control_number",
            "この管理番号の転出証明書情報は、送信元の市町村に送ったものではありません。",
            "特例転入の管理番号を確認してください。転出証明書（紙）による転入なら管理番号なしで送ってください。",
            WRONG_SENDER,
        )
    return None


def _refuse_move_in_notice(envelope: Envelope, items: MoveInNoticeItems, error: DomainError) -> None:
    """Audit a refused 転入通知 and answer the sender as refused updates are answered
    (IDENTITY_UPDATE_REJECTED, kept in its 返却エラー一覧); nothing is stored."""
    record_event(
        actor=None,
        action=AuditAction.CS_MOVE_IN_NOTICE_RECEIVE,
        subject_type="node_message",
        subject_id=envelope.id,
        reason=f"from {envelope.sender}: {error.field}",
        outcome=Outcome.REFUSED,
        outcome_reason=error.code,
        concerning=person_ids([items.resident_code]),
    )
    if not peer_configured(envelope.sender):
        return  # cannot be answered over the network: the audit entry remains
    enqueue(
        message_type=IDENTITY_UPDATE_REJECTED,
        receiver=envelope.sender,
        subject=envelope.subject,
        payload=rejection_payload(envelope, error, update_seq=0),  # a 転入通知 has no 更新順番号
    )


def apply_move_in_notice(envelope: Envelope) -> None:
    """Handler of a 転入通知: keep it for the registry; erase the sent copy it answers (idempotent).

    One from another municipality than the 転入地 it names, or answering a 転出証明書情報 not sent to
    its sender, is refused (``_wrong_sender``): audited and answered, nothing stored or erased.
    """
    if ReceivedMoveInNotice.objects.filter(message_id=envelope.id).exists():
        return
    items = move_in_notice_from_payload(envelope.payload)
    error = _wrong_sender(items, envelope.sender)
    if error is not None:
        _refuse_move_in_notice(envelope, items, error)
        return
    address, not_unified = unified_characters.received(items.new_address, field="new_address")
    notice = ReceivedMoveInNotice.objects.create(
        message_id=envelope.id,
        sender_code=envelope.sender.code,
        resident_code=items.resident_code,
        items={**items.as_payload(), "new_address": address},
        received_at=timezone.now(),
    )
    if not_unified is not None:
        # Not taken in by the import until the clerk corrects the address or registers the 外字.
        mark_import_error(notice.pk, f"{not_unified.reason}{not_unified.remedy}")
    erased = 0
    if items.control_number:
        sent = SentCertificate.objects.select_for_update().filter(
            control_number=items.control_number, resident_code=items.resident_code, confirmed_at__isnull=True
        )
        for row in sent:
            row.items, row.confirmed_at = {}, timezone.now()
            row.set_individual_number(None)
            row.save(update_fields=["items", "confirmed_at", "individual_number", "individual_number_index"])
            erased += 1
    record_event(
        actor=None,
        action=AuditAction.CS_MOVE_IN_NOTICE_RECEIVE,
        subject_type=NOTICE_SUBJECT_TYPE,
        subject_id=str(notice.pk),
        reason=f"from {envelope.sender}; sent copy erased: {erased}"
        + (f"; {not_unified.code} {not_unified.field}" if not_unified is not None else ""),
        concerning=person_ids([items.resident_code]),
    )


@dataclass(frozen=True)
class ReceivedNotice:
    """A received 転入通知 not yet taken in by the registry (no 個人番号)."""

    notice_id: int
    resident_code: str
    move_in_date: date
    notice_date: date
    new_address: str  # as received
    notification_kind: str
    corrected_address: str = ""  # a clerk's correction of ``new_address`` (取込エラー一覧)
    import_error: str = ""  # why the last import attempt left it
    received_at: datetime | None = None

    @property
    def address(self) -> str:
        """The 転入先住所 to take in: the clerk's correction when there is one."""
        return self.corrected_address or self.new_address


# What makes two notices the same 転入通知 (a re-send): everything but who sent it from which terminal.
_CONTENT_KEYS = (
    "resident_code",
    "control_number",
    "move_in_date",
    "notice_date",
    "new_address",
    "new_municipality_code",
    "notification_kind",
)


def _content(row: ReceivedMoveInNotice) -> tuple[object, ...]:
    return tuple(row.items.get(key) for key in _CONTENT_KEYS)


def _received(row: ReceivedMoveInNotice) -> ReceivedNotice:
    return ReceivedNotice(
        notice_id=row.pk,
        resident_code=row.resident_code,
        move_in_date=date.fromisoformat(row.items["move_in_date"]),
        notice_date=date.fromisoformat(row.items["notice_date"]),
        new_address=row.items["new_address"],
        notification_kind=row.items["notification_kind"],
        corrected_address=row.corrected_address,
        import_error=row.import_error,
        received_at=row.received_at,
    )


def _waiting_rows() -> Any:
    return ReceivedMoveInNotice.objects.filter(imported_at__isnull=True, duplicate_of__isnull=True)


def address_not_unified(notice: ReceivedNotice) -> str | None:
    """Why the 転入先住所 cannot be taken in yet — a received one with a character this CS cannot
    represent (a 外字 not registered here, std 7.1.1.1-e): the reason and remedy; None when it can (a
    clerk's correction, the clerk's 同定, always can)."""
    if notice.corrected_address:
        return None
    refused = unified_characters.received(notice.new_address, field="new_address")[1]
    return None if refused is None else f"{refused.reason}{refused.remedy}"


def waiting_move_in_notices() -> list[ReceivedNotice]:
    """The received 転入通知 the registry has not taken in yet (重複 excluded), oldest first. The import
    leaves one whose address cannot be taken in (garbled, or a 外字 not registered here:
    ``address_not_unified``) in the 取込エラー一覧 with its reason, until the clerk corrects the address
    there or registers the 外字."""
    return [_received(row) for row in _waiting_rows().order_by("received_at", "pk")]


def failed_move_in_notices() -> list[ReceivedNotice]:
    """The 取込エラー一覧: waiting notices an import attempt left, with the reason, oldest first."""
    return [_received(row) for row in _waiting_rows().exclude(import_error="").order_by("received_at", "pk")]


def waiting_move_in_notice(notice_id: int) -> ReceivedNotice | None:
    """One waiting notice (None when taken in, a 重複 or unknown)."""
    row = _waiting_rows().filter(pk=notice_id).first()
    return None if row is None else _received(row)


def close_duplicates() -> list[tuple[int, int]]:
    """Close every waiting notice that repeats another as 重複 (std 4.1.3.1.2-a); (notice, kept) pairs.

    A re-send of a notice already taken in repeats that one; of several waiting notices of one person
    the latest received wins and the earlier ones repeat it (a re-send corrects the one before). A 重複
    is never taken in, so a re-sent notice is never applied twice. The caller owns the transaction.
    """
    closed: list[tuple[int, int]] = []
    waiting = list(_waiting_rows().select_for_update().order_by("-received_at", "-pk"))
    latest: dict[str, ReceivedMoveInNotice] = {}
    for row in waiting:
        kept = latest.setdefault(row.resident_code, row)
        if kept is not row:
            closed.append((row.pk, kept.pk))
    for row in latest.values():
        imported = ReceivedMoveInNotice.objects.filter(
            resident_code=row.resident_code, imported_at__isnull=False, duplicate_of__isnull=True
        ).order_by("-imported_at", "-pk")
        same = next((earlier for earlier in imported if _content(earlier) == _content(row)), None)
        if same is not None:
            closed.append((row.pk, same.pk))
    for notice_id, kept_id in closed:
        ReceivedMoveInNotice.objects.filter(pk=notice_id).update(duplicate_of=kept_id)
    return sorted(closed)


def mark_import_error(notice_id: int, reason: str) -> None:
    """Enter a notice in the 取込エラー一覧 with why the import left it (it stays waiting)."""
    ReceivedMoveInNotice.objects.filter(pk=notice_id, imported_at__isnull=True).update(
        import_error=reason[:300], import_error_at=timezone.now()
    )


def correct_address(notice_id: int, address: str) -> None:
    """Keep a clerk's correction of the notice's 転入先住所 beside the address as received."""
    ReceivedMoveInNotice.objects.filter(pk=notice_id, imported_at__isnull=True).update(
        corrected_address=address
    )


def mark_imported(notice_id: int, *, change_id: int) -> None:
    """Record that the registry took a 転入通知 in as the 転出確定 draft ``change_id``."""
    ReceivedMoveInNotice.objects.filter(pk=notice_id, imported_at__isnull=True).update(
        imported_at=timezone.now(), change_id=change_id
    )
