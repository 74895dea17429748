"""QUERY_SIGNING_CERTIFICATE: the 機構 re-issues a live card's 署名用電子証明書 (std 7.2.5-a).

Asked by the CS after the 署名用パスワード was reset at the counter (the holder proved who they are
with the card and the 利用者証明用 PIN there): the card's old 署名用電子証明書 is revoked ("署名用パスワ
ードの初期化") and a new one issued for the new key, under the same rules as at 交付 (15歳未満 or
生年月日不詳: none, and the answer says why). A refusal goes back to the CS; messaging audits it.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.national.models import Card
from jumin.jukinet.national.services import jpki
from jumin.jukinet.national.services._common import audit
from jumin.jukinet.national.services.card_codes import known_by
from jumin.messaging.envelope import Envelope

RESET_REASON = "署名用パスワードの初期化"


def _refused(code: str, reason: str, remedy: str) -> DomainError:
    # The refusal rolls back this answerer's savepoint; messaging audits it at this node as
    # node:query:answer with this code (docs/jukinet-national.md, "Refusals").
    return refusal("card_serial", reason, remedy, code)


def answer_signing_certificate(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_SIGNING_CERTIFICATE: revoke the card's 署名用電子証明書 and issue a new one."""
    payload = envelope.payload  # validated by messaging before the answerer runs
    card = Card.objects.select_for_update().filter(serial=payload["card_serial"]).first()
    if envelope.sender.kind != "municipality":
        raise _refused(
            "jukinet.card.sender",
            "署名用電子証明書の発行は市町村CSからだけ求められます。",
            "市町村CSから求めてください。",
        )
    if card is None or not known_by(card, payload["resident_code"]):
        raise _refused(
            "jukinet.card.unknown",
            "機構にこのカードの記録がありません。",
            "カードと住民票コードを確かめてください。",
        )
    if card.status != Card.Status.ACTIVE:
        raise _refused(
            "jukinet.card.not_active",
            "有効でないカード（一時停止・廃止など）には署名用電子証明書を発行できません。",
            "カードの状態を確かめ、必要なら一時停止の解除か再交付を行ってください。",
        )
    jpki.revoke(card, RESET_REASON)
    card.signing_public_key = card.signing_serial = card.signing_certificate = ""
    card.signing_valid_until = None
    refused = jpki.attach_signing_certificate(card, payload["signing_public_key"], timezone.now())
    card.save(
        update_fields=["signing_public_key", "signing_serial", "signing_certificate", "signing_valid_until"]
    )
    audit(
        AuditAction.NATIONAL_SIGNING_CERTIFICATE_ISSUE,
        subject_type=jpki.SUBJECT_TYPE,
        subject_id=card.signing_serial or card.serial,
        reason=f"{RESET_REASON} from {envelope.sender} operator {payload['operator_id']}",
        outcome=Outcome.REFUSED if refused else Outcome.DONE,
        outcome_reason=refused,
        terminal_id=payload["terminal_id"],
        concerning_code=card.resident_code,
    )
    answer: dict[str, Any] = {"signing_certificate": card.signing_certificate}
    return answer | ({"signing_refusal": refused} if refused else {})
