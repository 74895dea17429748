"""特例転入 at the 転入地 CS (system.md F02, M3 item 3; docs/jukinet.md Flow 7).

1. ``apply_certificate`` receives a 転出証明書情報 and holds it (個人番号 encrypted). One misrouted (not
   for this municipality) is kept out and audited as refused; a later copy for the same person replaces
   the held one (both stay as rows, the older one erased with its reason). Its texts are converted to
   this CS's 住基ネット統一文字; a 外字 not registered here stops ``starting_data`` until it is.
2. ``check_card`` is the 本人確認 with the card (``cards.verify_with_card``): the holder's current
   住民票コード (the national record's, even for a card from before a 住民票コードの変更) must have held
   data, which is then marked as checked with that card.
3. ``starting_data`` gives the registry the held items as the starting data of the 転入 (std 4.1.1.3-a).
4. ``complete`` runs inside the registry's 転入 commit: the held data is marked used (its items and
   個人番号 erased, audited), the 転入通知 goes to the 転出地 (stored by ``move_in_notices``: without a
   peer it waits there and is re-sent from the 統合端末) and the 継続利用 card event to the national
   card management (N4), both in the same transaction.
5. ``request_resend`` sends a 送信依頼 when nothing was received or it was erased (F02 step 3a);
   the answer is the data itself or ``MOVE_OUT_CERTIFICATE_REFUSED`` (``apply_refused``).
6. ``send_waiting_continued_use`` sends the 継続利用 left unsent because N4 was no peer at the 転入
   commit, once it is one (``jumin cs send-waiting-continued-use``, the 転出証明書情報一覧).
7. ``erase_unused`` (daily, ``cs.erase_unused_certificates``) erases held data 30 days after the
   転出予定年月日 (F02 timer, D4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.checkdigits import validate_juminhyo_code, validate_lgcode
from jumin.domain.errors import refusal
from jumin.jukinet.common.catalogue import MOVE_OUT_CERTIFICATE_REQUEST
from jumin.jukinet.common.move_out_certificate import (
    MoveInNoticeItems,
    MoveOutCertificate,
    certificate_from_payload,
)
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.cs import access, cards, move_in_notices, unified_characters
from jumin.jukinet.cs.models import CertificateRequest, HeldCertificate
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import NATIONAL, local_municipality_code, peer_configured
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.services import enqueue

SUBJECT_TYPE = "cs_move_out_certificate"
_CODE = "jukinet.cs.special_move_in"
State = HeldCertificate.State


def _erase(row: HeldCertificate, reason: str, *, state: str = State.ERASED) -> None:
    """Clear the items and the 個人番号 of a held row; the row stays with when and why."""
    now = timezone.now()
    row.items = {}
    row.set_individual_number(None)
    row.state = state
    if state == State.ERASED:
        row.erased_at, row.erase_reason = now, reason
    else:
        row.used_at = now
    row.save()


def apply_certificate(envelope: Envelope) -> None:
    """Handler of a 転出証明書情報: hold it for the 特例転入 (idempotent; never raises for a refusal)."""
    if HeldCertificate.objects.filter(message_id=envelope.id).exists():
        return
    certificate = certificate_from_payload(envelope.payload)
    here = local_municipality_code()
    if (
        certificate.destination_municipality_code != here
        or envelope.sender.code != certificate.municipality_code
    ):
        # Misrouted, or sent by another node than the 転出地 it names: never stored.
        record_event(
            actor=None,
            action=AuditAction.CS_CERTIFICATE_RECEIVE,
            subject_type=SUBJECT_TYPE,
            subject_id=envelope.id,
            reason=f"from {envelope.sender}",
            outcome=Outcome.REFUSED,
            outcome_reason="jukinet.move_out_certificate.misrouted",
            concerning=person_ids([certificate.resident_code]),
        )
        return
    # In this CS's 統一文字 (std 7.1.1.1-e); a 外字 not registered here is kept and stops ``starting_data``.
    certificate, not_unified = unified_characters.received_certificate(certificate)
    for previous in HeldCertificate.objects.select_for_update().filter(
        resident_code=certificate.resident_code, state=State.HELD
    ):
        _erase(previous, "再送信により置換")
    today = timezone.localdate()
    row = HeldCertificate(
        message_id=envelope.id,
        control_number=certificate.control_number,
        sender_code=envelope.sender.code,
        resident_code=certificate.resident_code,
        items=certificate.items_without_number(),
        planned_date=date.fromisoformat(certificate.planned_date),
        # A copy re-sent after the period (allowed, D4) is kept at least through the day it arrived.
        erase_on=max(certificate.erase_on, today),
        received_at=timezone.now(),
    )
    row.set_individual_number(certificate.individual_number)
    row.save()
    CertificateRequest.objects.filter(
        resident_code=certificate.resident_code, state=CertificateRequest.State.REQUESTED
    ).update(state=CertificateRequest.State.RECEIVED, answered_at=timezone.now())
    record_event(
        actor=None,
        action=AuditAction.CS_CERTIFICATE_RECEIVE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(row.pk),
        reason=f"from {envelope.sender}"
        + (f"; {not_unified.code} {not_unified.field}" if not_unified is not None else ""),
        individual_number_used=True,
        result_count=1,
        concerning=person_ids([row.resident_code]),
    )


def apply_refused(envelope: Envelope) -> None:
    """Handler of the 転出地's refusal of a 送信依頼: shown on the request with its reason."""
    payload = envelope.payload
    request = (
        CertificateRequest.objects.filter(
            resident_code=payload["resident_code"],
            sent_to=envelope.sender.code,
            state=CertificateRequest.State.REQUESTED,
        )
        .order_by("-pk")
        .first()
    )
    if request is not None:
        request.state, request.answered_at = CertificateRequest.State.REFUSED, timezone.now()
        request.code, request.reason, request.remedy = payload["code"], payload["reason"], payload["remedy"]
        request.save()
    record_event(
        actor=None,
        action=AuditAction.CS_CERTIFICATE_REQUEST,
        subject_type="cs_certificate_request",
        subject_id=str(request.pk) if request is not None else envelope.id,
        reason=f"answered by {envelope.sender}: {payload['code']}",
        outcome=Outcome.REFUSED,
        outcome_reason=payload["code"],
        concerning=person_ids([payload["resident_code"]]),
    )


def request_resend(
    *, actor: Any, purpose: str, resident_code: str, from_municipality: str
) -> CertificateRequest:
    """送信依頼 (F02 step 3a): ask the 転出地 for the 転出証明書情報 again; no 特定個人情報 is sent."""
    access.require(
        actor=actor,
        permission=Permission.CS_IDENTITY_CHECK,
        action=AuditAction.CS_CERTIFICATE_REQUEST,
        purpose=purpose,
        subject_type="cs_certificate_request",
    )
    code = validate_juminhyo_code(resident_code.strip(), rule=RESIDENT_CODE_RULE, field="resident_code")
    sender = validate_lgcode(from_municipality.strip(), field="from_municipality")
    receiver = NodeRef("municipality", sender)
    if sender == local_municipality_code():
        raise refusal(
            "from_municipality",
            "転出地に自分の市町村が指定されています。",
            "転出地（転出証明書情報を送る市町村）の市町村コードを入力してください。",
            _CODE,
        )
    if HeldCertificate.objects.filter(resident_code=code, state=State.HELD).exists():
        raise refusal(
            "resident_code",
            "この方の転出証明書情報は受信済みで保管中です。",
            "送信依頼は不要です。特例転入の処理を続けてください。",
            _CODE,
        )
    if not peer_configured(receiver):
        raise refusal(
            "from_municipality",
            "転出地の市町村が連携先に登録されていません。",
            "市町村コードを確認するか、連携先の登録をシステム管理者に依頼してください。",
            _CODE,
        )
    operator_id, terminal_id = operator_ids(actor)
    with transaction.atomic():
        request = CertificateRequest.objects.create(
            resident_code=code, sent_to=sender, requested_at=timezone.now()
        )
        enqueue(
            message_type=MOVE_OUT_CERTIFICATE_REQUEST,
            receiver=receiver,
            subject=f"mocreq-{request.pk}",
            payload={
                "resident_code": code,
                "requester_code": local_municipality_code(),
                "operator_id": operator_id,
                "terminal_id": terminal_id,
            },
            actor=actor,
        )
        record_event(
            actor=actor,
            action=AuditAction.CS_CERTIFICATE_REQUEST,
            subject_type="cs_certificate_request",
            subject_id=str(request.pk),
            purpose=purpose,
            reason=f"to {receiver}",
            concerning=person_ids([request.resident_code]),
        )
    return request


def _missing() -> Exception:
    return refusal(
        "card",
        "この方の転出証明書情報を受信していないか、既に消去されています。",
        "統合端末から転出地の市町村へ転出証明書情報の送信依頼をしてください。",
        "jukinet.cs.certificate_missing",
    )


def _held(resident_code: str, *, checked: bool) -> HeldCertificate:
    rows = HeldCertificate.objects.select_for_update().filter(resident_code=resident_code, state=State.HELD)
    if checked:
        rows = rows.exclude(card_serial="")
    row = rows.order_by("-pk").first()
    if row is None:
        raise _missing()
    return row


@dataclass(frozen=True)
class HeldSummary:
    """What the clerk sees after the card check: where the data came from, never the 個人番号."""

    held_id: int
    resident_code: str
    sender_code: str
    planned_date: date
    erase_on: date
    card_serial: str


def check_card(*, actor: Any, purpose: str, card_json: Any, pin: str) -> HeldSummary:
    """本人確認 with the card for a 特例転入 (F02 step 3); the card's holder, under their current
    住民票コード (``cards.holder_code``), must have held data."""
    check = cards.verify_with_card(actor=actor, purpose=purpose, card_json=card_json, pin=pin)
    if check.card_status != "active":
        raise refusal(
            "card",
            "運用中でないカードでは特例転入はできません。",
            "転出証明書（紙）による転入として処理してください。",
            "jukinet.cs.card_not_active",
        )
    with transaction.atomic():
        row = _held(check.resident_code, checked=False)  # the holder's current code (cards.holder_code)
        row.card_serial, row.card_checked_at = check.card_serial, timezone.now()
        row.save(update_fields=["card_serial", "card_checked_at"])
        record_event(
            actor=actor,
            action=AuditAction.CS_CERTIFICATE_USE,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            purpose=purpose,
            reason="card checked",
            concerning=person_ids([row.resident_code]),
        )
    return HeldSummary(
        held_id=row.pk,
        resident_code=row.resident_code,
        sender_code=row.sender_code,
        planned_date=row.planned_date,
        erase_on=row.erase_on,
        card_serial=row.card_serial,
    )


def starting_data(*, actor: Any, purpose: str, resident_code: str) -> MoveOutCertificate:
    """The held 転出証明書情報 of a card-checked person, 個人番号 included, as the 転入's starting data
    (std 4.1.1.3-a). The registry authorises its use case (特定個人情報 access) before calling."""
    with transaction.atomic():
        row = _held(resident_code, checked=True)
        not_unified = unified_characters.received_certificate(_certificate(row))[1]
        if not_unified is not None:
            raise not_unified  # the 転入 waits for the 外字's registration (or a paper 転出証明書)
        record_event(
            actor=actor,
            action=AuditAction.CS_CERTIFICATE_USE,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            purpose=purpose,
            reason="starting data of a 特例転入",
            individual_number_used=True,
            result_count=1,
            concerning=person_ids([row.resident_code]),
        )
        return _certificate(row, individual_number=row.get_individual_number() or "")


def _certificate(row: HeldCertificate, *, individual_number: str = "") -> MoveOutCertificate:
    return MoveOutCertificate(**row.items, individual_number=individual_number)


def is_ready(resident_code: str) -> bool:
    """Whether card-checked held data exists for ``resident_code`` (a 特例転入 may be entered)."""
    return (
        HeldCertificate.objects.filter(resident_code=resident_code, state=State.HELD)
        .exclude(card_serial="")
        .exists()
    )


@dataclass(frozen=True)
class MoveInDone:
    """The committed 特例転入 of one person, as the registry tells the CS."""

    resident_code: str
    move_in_date: date
    notice_date: date
    new_address: str
    notification_kind: str = "届出"


def _send_continued_use(
    row: HeldCertificate, *, event_date: date, operator_id: str, terminal_id: str, actor: Any
) -> bool:
    """Queue the 継続利用 card event of the card checked for ``row`` (reason 特例転入) for N4 and set
    ``continued_use_sent_at`` (the caller saves the row); False, nothing queued, while N4 is no peer."""
    if not peer_configured(NATIONAL):
        return False
    cards.enqueue_card_event(
        row.card_serial,
        row.resident_code,
        "continue_use",
        "特例転入",
        operator_id,
        terminal_id,
        actor,
        event_date=event_date,
    )
    row.continued_use_sent_at = timezone.now()
    return True


def complete(done: MoveInDone, *, actor: Any) -> HeldCertificate:
    """Inside the 転入 commit (F02 steps 5–6): mark the held data used, send the 転入通知 to the 転出地 and
    the 継続利用 card event to N4. Refuses (the commit rolls back) when the held data is gone."""
    row = _held(done.resident_code, checked=True)
    here = local_municipality_code()
    operator_id, terminal_id = operator_ids(actor)
    now = timezone.now()
    # Stored like an ordinary 転入's notice: without the 転出地 as a peer it waits on the same list and
    # is re-sent the same way (move_in_notices.resend).
    notice, notice_sent = move_in_notices.store_and_send(
        MoveInNoticeItems(
            resident_code=row.resident_code,
            control_number=row.control_number,
            move_in_date=done.move_in_date.isoformat(),
            notice_date=done.notice_date.isoformat(),
            new_address=done.new_address,
            new_municipality_code=here,
            notification_kind=done.notification_kind,
            special=True,
            operator_id=operator_id,
            terminal_id=terminal_id,
        ),
        destination_code=row.sender_code,
    )
    if notice_sent:
        row.notice_sent_at = now
    _send_continued_use(
        row, event_date=timezone.localdate(now), operator_id=operator_id, terminal_id=terminal_id, actor=actor
    )
    _erase(row, "", state=State.USED)  # saves continued_use_sent_at too
    record_event(
        actor=actor,
        action=AuditAction.CS_MOVE_IN_NOTICE_SEND,
        subject_type=SUBJECT_TYPE,
        subject_id=str(row.pk),
        reason=(
            f"転入通知 {notice.pk} {'sent' if notice_sent else 'waiting'}; "
            f"継続利用 {'sent' if row.continued_use_sent_at else 'waiting'}"
        ),
        concerning=person_ids([row.resident_code]),
    )
    return row


@dataclass(frozen=True)
class WaitingContinuedUse:
    """What one run of ``send_waiting_continued_use`` did."""

    sent: int  # queued now: N4 has become a peer
    waiting: int  # N4 still no peer: they wait for the next run


def send_waiting_continued_use(*, actor: Any = None, purpose: str = "") -> WaitingContinuedUse:
    """Queue the 継続利用 card event of every 特例転入 committed while N4 was no peer, once it is one.

    Run by ``jumin cs send-waiting-continued-use`` (``actor`` None: the system) and from the
    転出証明書情報一覧. Only rows used by a committed 転入 are sent (a rolled-back 転入 leaves its row
    held). Idempotent: the rows are locked and a sent row has ``continued_use_sent_at``. The event keeps
    the day of the 転入 commit; the 操作者 is who sends it now. One audit entry with the counts.
    """
    operator_id, terminal_id = operator_ids(actor)
    sent: list[str] = []
    waiting = 0
    with transaction.atomic():
        rows = HeldCertificate.objects.select_for_update().filter(
            state=State.USED, continued_use_sent_at__isnull=True
        )
        for row in rows.order_by("pk"):
            if _send_continued_use(
                row,
                event_date=timezone.localdate(row.used_at),  # the day of the 転入 commit
                operator_id=operator_id,
                terminal_id=terminal_id,
                actor=actor,
            ):
                row.save(update_fields=["continued_use_sent_at"])
                sent.append(row.resident_code)
            else:
                waiting += 1
        record_event(
            actor=actor,
            action=AuditAction.CS_CARD_EVENT,
            subject_type=SUBJECT_TYPE,
            purpose=purpose,
            reason=f"継続利用 waiting: sent {len(sent)}, no peer {waiting}",
            result_count=len(sent),
            concerning=person_ids(sent),
        )
    return WaitingContinuedUse(sent=len(sent), waiting=waiting)


def send_waiting_continued_use_by_clerk(*, actor: Any, purpose: str) -> WaitingContinuedUse:
    """「継続利用の送信待ちを送信」 on the 転出証明書情報一覧 (統合端末): ``send_waiting_continued_use``
    as the clerk."""
    access.require(
        actor=actor,
        permission=Permission.CS_IDENTITY_CHECK,
        action=AuditAction.CS_CARD_EVENT,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    return send_waiting_continued_use(actor=actor, purpose=purpose)


def erase_unused(*, today: date | None = None, actor: Any = None) -> int:
    """Erase every held 転出証明書情報 past its 消去日 (転出予定年月日 + 30 days); audited with the count."""
    day = today or timezone.localdate()
    with transaction.atomic():
        rows = list(HeldCertificate.objects.select_for_update().filter(state=State.HELD, erase_on__lt=day))
        for row in rows:
            _erase(row, "期限経過（転出予定年月日から30日）")
        record_event(
            actor=actor,
            action=AuditAction.CS_CERTIFICATE_ERASE,
            subject_type=SUBJECT_TYPE,
            reason=f"erase_on before {day.isoformat()}",
            result_count=len(rows),
            concerning=person_ids([row.resident_code for row in rows]),
        )
    return len(rows)
