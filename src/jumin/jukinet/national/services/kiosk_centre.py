"""証明書交付センター (system.md N5, F11c; standard 7.2.5-a, 3.1-g): kiosks ↔ municipalities.

``request_kiosk_copy`` takes a kiosk's request (the card's 利用者証明用電子証明書 serial and card serial,
what is asked, and the card's signature over it), and

* finds the card in 個人番号カード管理システム by its card serial, and refuses a certificate serial that
  is not the registered key's (``serial_of``) or a person no municipality registers now;
* refuses while the registering municipality has told the centre of an issuance 抑止 or 支援措置 on the
  card holder (``KioskMark``, from KIOSK_MARK messages: ``apply_kiosk_mark``);
* refuses a replayed nonce (the same ``UsedNonce`` register as the counter 本人確認);
* asks the municipality (QUERY_KIOSK_COPY) with the kiosk's signature and the card's registered public
  key, status and validity: the municipality verifies the signature and decides;
* returns the certificate, or the refusal code, and logs the request (``KioskRequest``) and one audit
  entry naming the person's national record, with no personal data in either.

The kiosk itself is outside Jumin: ``request_kiosk_copy`` is the centre's entry point.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.card_signature import Refuse
from jumin.jukinet.common.catalogue import QUERY_KIOSK_COPY
from jumin.jukinet.common.certificate_serial import serial_of
from jumin.jukinet.common.kiosk import MARK_SET, REQUEST_KEYS, validate_kiosk_request
from jumin.jukinet.common.wide_area import decode_pdf
from jumin.jukinet.national.models import Card, IdentityRecord, KioskMark, KioskRequest, UsedNonce
from jumin.jukinet.national.services import jpki
from jumin.jukinet.national.services._common import audit
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.queries import query

logger = logging.getLogger("jumin.jukinet.national")

SUBJECT_TYPE = "kiosk_request"
#: The operator the centre's queries name (no staff: the kiosk user is the card holder).
CENTRE_OPERATOR = "kiosk-centre"


@dataclass(frozen=True)
class KioskOutcome:
    """What the kiosk prints: the certificate and its 発行番号 and fee, or nothing and the refusal code."""

    issued: bool
    refusal_code: str = ""
    pdf: bytes = b""
    copy_numbers: tuple[str, ...] = ()
    fee: int = 0


def _centre_refusal(field: str, reason: str, code: str) -> DomainError:
    return refusal(field, reason, "市区町村の窓口で請求してください。", f"jukinet.national.kiosk.{code}")


def card_and_record(
    payload: dict[str, Any], refuse: Refuse = _centre_refusal, *, signing: bool = False
) -> tuple[Card, IdentityRecord]:
    """The card a relayed request names (card serial and the serial of its 利用者証明用 certificate, or
    of its 署名用電子証明書 when ``signing``) and its holder's current national record, or ``refuse``: an
    unknown card, or a holder no municipality registers."""
    card = Card.objects.filter(serial=payload["card_serial"]).first()
    registered = "" if card is None else card.signing_serial if signing else serial_of(card.public_key)
    if card is None or not registered or registered != payload["certificate_serial"]:
        raise refuse("certificate_serial", "このカードの電子証明書は登録されていません。", "unknown_card")
    if not signing and jpki.user_certificate_revoked(card):
        raise refuse("certificate_serial", "このカードの利用者証明用電子証明書は失効しています。", "revoked")
    record = IdentityRecord.objects.filter(resident_code=card.resident_code, removed=False).first()
    if record is None:
        raise refuse("certificate_serial", "住民登録のある方のカードではありません。", "not_registered")
    return card, record


def _refuse_marked(record: IdentityRecord) -> None:
    marked = KioskMark.objects.filter(
        municipality_code=record.municipality_code, resident_code=record.resident_code, lifted_at__isnull=True
    ).exists()
    if marked:
        # Names no reason: the kiosk user may be a protected person or a 加害者.
        raise _centre_refusal("certificate_serial", "この方の証明書はコンビニ交付できません。", "suppressed")


def use_nonce(payload: dict[str, Any], card: Card, refuse: Refuse = _centre_refusal) -> None:
    """Register the signature's nonce (the counter 本人確認's register), or ``refuse`` a replay."""
    try:
        with transaction.atomic():
            UsedNonce.objects.create(nonce=payload["nonce"], card_serial=card.serial, used_at=timezone.now())
    except IntegrityError:
        raise refuse("nonce", "使用済みの署名です。", "replay") from None


def _ask_municipality(payload: dict[str, Any], card: Card, record: IdentityRecord) -> dict[str, Any]:
    question = {
        **{key: payload[key] for key in REQUEST_KEYS},
        "resident_code": record.resident_code,
        "public_key": card.public_key,
        "card_status": card.status,
        "valid_until": card.valid_until.isoformat(),
    }
    return query(
        query_type=QUERY_KIOSK_COPY,
        receiver=NodeRef("municipality", record.municipality_code),
        payload=question,
    )


def request_kiosk_copy(payload: dict[str, Any]) -> KioskOutcome:
    """The centre's handling of one kiosk request; a refusal is an outcome, not an exception."""
    with transaction.atomic():
        log = KioskRequest(
            received_at=timezone.now(),
            kiosk_id=str(payload.get("kiosk_id", ""))[:32] if isinstance(payload, dict) else "",
            certificate_serial=str(payload.get("certificate_serial", ""))[:16]
            if isinstance(payload, dict)
            else "",
            kind=str(payload.get("kind", ""))[:20] if isinstance(payload, dict) else "",
            copies=0,
        )
        concerning = ""
        try:
            validate_kiosk_request(payload)
            log.copies = payload["copies"]
            card, record = card_and_record(payload)
            concerning, log.municipality_code = record.resident_code, record.municipality_code
            _refuse_marked(record)
            use_nonce(payload, card)
            answer = _ask_municipality(payload, card, record)
            outcome = KioskOutcome(
                issued=True,
                pdf=decode_pdf(answer["pdf"]),
                copy_numbers=tuple(answer["copy_numbers"]),
                fee=answer["fee"],
            )
        except DomainError as error:
            logger.info("kiosk request refused: %s", error.code)
            outcome = KioskOutcome(issued=False, refusal_code=error.code)
        log.refusal_code, log.copy_numbers, log.fee = (
            outcome.refusal_code[:64],
            list(outcome.copy_numbers),
            outcome.fee,
        )
        log.save()
        audit(
            AuditAction.NATIONAL_KIOSK_REQUEST,
            subject_type=SUBJECT_TYPE,
            subject_id=str(log.pk),
            reason=f"kiosk {log.kiosk_id} → {log.municipality_code or '-'}",
            outcome=Outcome.DONE if outcome.issued else Outcome.REFUSED,
            outcome_reason=outcome.refusal_code,
            terminal_id=log.kiosk_id,
            result_count=len(outcome.copy_numbers),
            concerning_code=concerning,
        )
    return outcome


def apply_kiosk_mark(envelope: Envelope) -> None:
    """KIOSK_MARK from a municipality: append the 抑止 for its 住民票コード, or stamp its lift."""
    payload, now = envelope.payload, timezone.now()
    if envelope.sender.kind != "municipality":
        raise _centre_refusal("sender", "抑止の通知は市区町村からだけ受け付けます。", "mark_sender")
    common = {"municipality_code": envelope.sender.code, "kind": payload["kind"]}
    live = KioskMark.objects.filter(
        **common, restriction_id=payload["restriction_id"], lifted_at__isnull=True
    )
    codes = payload["resident_codes"]
    if payload["action"] == MARK_SET:
        held = set(live.values_list("resident_code", flat=True))
        KioskMark.objects.bulk_create(
            KioskMark(
                **common,
                resident_code=code,
                restriction_id=payload["restriction_id"],
                set_at=now,
                message_id=envelope.id,
            )
            for code in dict.fromkeys(codes)
            if code not in held
        )
        changed = len(set(codes) - held)
    else:
        # An empty list lifts it for everyone it marks (the restriction ended).
        changed = (live.filter(resident_code__in=codes) if codes else live).update(lifted_at=now)
    audit(
        AuditAction.NATIONAL_KIOSK_MARK,
        subject_type="kiosk_mark",
        subject_id=str(payload["restriction_id"]),
        reason=f"{payload['action']} {payload['kind']} from {envelope.sender}",
        result_count=changed,
    )
