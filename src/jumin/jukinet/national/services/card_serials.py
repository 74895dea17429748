"""個人番号カード管理システム: the 電子証明書シリアル番号 of a person's card (std 7.1.2.4-a, 1.1.1-c).

Only the CS of the municipality the person is registered in may ask (the 機構保存本人確認情報 says
which); the answer names the live card's certificate serial (``certificate_serial.serial_of``), its
登録日 and the card's status, with its 署名用電子証明書's serial, last valid day and status in the 失効情報,
or ``found: false`` when the person holds no live card.
"""

from __future__ import annotations

from typing import Any

from jumin.audit.actions import AuditAction
from jumin.domain.errors import refusal
from jumin.jukinet.common.certificate_serial import serial_of
from jumin.jukinet.national.models import Card, IdentityRecord
from jumin.jukinet.national.services import jpki, shared_cs
from jumin.jukinet.national.services._common import audit
from jumin.messaging.envelope import Envelope

SUBJECT_TYPE = "national_card"
NOT_REGISTERED_HERE = "jukinet.national.card_serial.other_municipality"
_LIVE = (Card.Status.ACTIVE, Card.Status.SUSPENDED)


def answer_certificate_serial(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_CERTIFICATE_SERIAL (audited; the person's 提供状況 lists it)."""
    payload = envelope.payload  # validated by messaging before the answerer runs
    code = payload["resident_code"]
    record = IdentityRecord.objects.filter(resident_code=code, removed=False).first()
    common = {
        "subject_type": SUBJECT_TYPE,
        "subject_id": "serial",
        "reason": f"from {envelope.sender} operator {payload['operator_id']}",
        "terminal_id": payload["terminal_id"],
        "concerning_code": code,
    }
    if record is None or not shared_cs.may_act_for(envelope.sender, record.municipality_code):
        # Refused before any answering work; messaging audits the refused query (node:query:answer).
        raise refusal(
            "resident_code",
            "照会元の市町村に住民登録のある方ではありません。",
            "住所地の市町村CSから照会してください。",
            NOT_REGISTERED_HERE,
        )
    card = Card.objects.filter(resident_code=code, status__in=_LIVE).order_by("-issued_on", "-pk").first()
    audit(AuditAction.NATIONAL_CARD_SERIAL_ANSWER, result_count=1 if card else 0, **common)
    if card is None:
        return {"found": False, "serial": "", "registered_on": "", "card_status": ""} | _NO_SIGNING
    return {
        "found": True,
        "serial": serial_of(card.public_key),
        "registered_on": card.issued_on.isoformat(),
        "card_status": card.get_status_display(),
    } | _signing(card)


_NO_SIGNING = {"signing_serial": "", "signing_valid_until": "", "signing_status": ""}


def _signing(card: Card) -> dict[str, str]:
    """The card's 署名用電子証明書 as the answer carries it (empty when the card has none)."""
    if not card.signing_serial or card.signing_valid_until is None:
        return _NO_SIGNING
    return {
        "signing_serial": card.signing_serial,
        "signing_valid_until": card.signing_valid_until.isoformat(),
        "signing_status": jpki.status_of(card, card.signing_serial),
    }
