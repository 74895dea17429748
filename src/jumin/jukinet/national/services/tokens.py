"""符号取得要求 at the national node (std 7.1.2.2-a; system.md F18a): accept it under a 処理通番.

``apply_token_request`` handles TOKEN_REQUEST from a CS: the person must be a current person of the
sending municipality in the 機構保存本人確認情報; the request is then accepted under a new 処理通番
(16 random digits, unique) and handed on to the 情報提供ネットワークシステム's core for the 符号 itself
(an external step: system.md F18a step 4 [ext]). The receipt (TOKEN_RECEIPT) goes back to the CS in the
same transaction; a replayed request gets the first receipt again, never a second 処理通番.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.jukinet.common.catalogue import TOKEN_RECEIPT
from jumin.jukinet.common.token_request import ACCEPTED, REFUSED
from jumin.jukinet.national.models import IdentityRecord, TokenRequestReceipt
from jumin.jukinet.national.services import shared_cs
from jumin.jukinet.national.services._common import audit
from jumin.messaging import services as messaging
from jumin.messaging.envelope import Envelope

SUBJECT_TYPE = "national_token_request"
NOT_MUNICIPALITY = "jukinet.national.sender_not_municipality"
OTHER_MUNICIPALITY = "jukinet.national.other_municipality"
UNKNOWN_PERSON = "jukinet.national.unknown_resident_code"
_REASONS = {
    NOT_MUNICIPALITY: "符号取得要求は市町村CSからだけ受け付けます。",
    OTHER_MUNICIPALITY: "送信元の市町村と要求の市町村コードが一致しません。",
    UNKNOWN_PERSON: "住民票コードの機構保存本人確認情報がありません（未通知または消除）。",
}


def _refusal(envelope: Envelope) -> str:
    payload = envelope.payload
    if envelope.sender.kind != "municipality":
        return NOT_MUNICIPALITY
    if not shared_cs.may_act_for(envelope.sender, payload["municipality_code"]):
        return OTHER_MUNICIPALITY  # not its own, nor a member's of the shared CS that sent it
    record = IdentityRecord.objects.filter(resident_code=payload["resident_code"]).first()
    if record is None or record.removed or record.municipality_code != payload["municipality_code"]:
        return UNKNOWN_PERSON
    return ""


def _new_process_number(receipt: TokenRequestReceipt) -> None:
    """Give the receipt a fresh 処理通番 (a collision of 16 random digits is retried)."""
    for _ in range(5):
        receipt.process_number = f"{secrets.randbelow(10**16):016d}"
        try:
            with transaction.atomic():
                receipt.save(update_fields=["process_number"])
                return
        except IntegrityError:
            continue
    raise RuntimeError("no free 処理通番 after 5 draws")


def apply_token_request(envelope: Envelope) -> None:
    """Handler of TOKEN_REQUEST: accept (処理通番) or refuse, audit, and answer TOKEN_RECEIPT."""
    payload = envelope.payload
    receipt = TokenRequestReceipt.objects.filter(request_id=payload["request_id"]).first()
    if receipt is None:
        code = _refusal(envelope)
        receipt = TokenRequestReceipt.objects.create(
            request_id=payload["request_id"],
            sender_code=envelope.sender.code,
            municipality_code=payload["municipality_code"],
            resident_code=payload["resident_code"],
            refusal_code=code,
            received_at=timezone.now(),
        )
        if not code:
            _new_process_number(receipt)
        audit(
            AuditAction.NATIONAL_TOKEN_REQUEST_RECEIVE,
            subject_type=SUBJECT_TYPE,
            subject_id=str(receipt.pk),
            reason=f"from {envelope.sender}",
            outcome=Outcome.REFUSED if code else Outcome.DONE,
            outcome_reason=code,
            result_count=1,
            concerning_code=receipt.resident_code,
        )
    code = receipt.refusal_code
    messaging.enqueue(
        message_type=TOKEN_RECEIPT,
        receiver=envelope.sender,
        subject=envelope.subject,
        payload={
            "request_id": receipt.request_id,
            "result": REFUSED if code else ACCEPTED,
            "process_number": "" if code else str(receipt.process_number),
            "code": code,
            "reason": _REASONS.get(code, ""),
        },
    )
