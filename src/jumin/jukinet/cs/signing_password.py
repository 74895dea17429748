"""The 署名用パスワード of the simulated 個人番号カード: signing, its lock and its reset (std 7.2.5-a).

JPKI seals the 署名用 key under its own password (6–16 英大文字・数字), apart from the 4-digit 利用者証明用
PIN. The chip counts wrong passwords: the 5th in a row locks the 署名用 key (the PIN locks after 3), and
only the counter lifts the lock. Here the count lives in the card file (the chip's memory), so
``sign_with_card`` hands back the file with the count to keep, whether the password was right or not.

The reset at the counter (``reset_signing_password``): the holder proves who they are with the card
and the 利用者証明用 PIN (本人確認 through the 機構, audited), chooses a new password, and the card gets
a new 署名用 key pair — the old key cannot be unsealed without the old password — which the 機構
certifies (QUERY_SIGNING_CERTIFICATE) after revoking the old certificate. Audited as
``cs:card:signing_password_reset``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import QUERY_SIGNING_CERTIFICATE
from jumin.jukinet.common.queries import encode_b64url
from jumin.jukinet.cs import access
from jumin.jukinet.cs.cards import (
    MAX_WRONG_SIGNING_PASSWORDS,
    IssuedCard,
    check_signing_password,
    parse_card,
    seal_key,
    signing_bound_to,
    signing_note,
    unlock_signing,
    verify_with_card,
)
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import NATIONAL
from jumin.messaging.services import query

_SUBJECT_TYPE = "cs_card"
_REMEDY_AT_COUNTER = "市区町村の窓口で本人確認のうえ署名用パスワードを初期化してください。"


class WrongSigningPasswordError(DomainError):
    """A wrong 署名用パスワード; ``card`` is the card file with the chip's count raised (keep it)."""

    def __init__(self, card: dict[str, Any], *, locked: bool, left: int) -> None:
        if locked:
            reason = "署名用パスワードを5回続けて誤ったため、署名用電子証明書をロックしました。"
            code = "jukinet.cs.signing_locked"
        else:
            reason = f"署名用パスワードが違います（あと{left}回でロックされます）。"
            code = "jukinet.cs.wrong_signing_password"
        remedy = (
            _REMEDY_AT_COUNTER
            if locked
            else "署名用パスワード（英大文字・数字6〜16文字）を入力し直してください。"
        )
        super().__init__(field="signing_password", reason=reason, remedy=remedy, code=code)
        self.card = card


@dataclass(frozen=True)
class CardSignature:
    """A signature made with the 署名用 key, and the card file to keep (its count back to 0)."""

    signature: bytes
    card: dict[str, Any]


@sensitive_variables()
def sign_with_card(card_json: Any, password: str, message: bytes) -> CardSignature:
    """Sign ``message`` with the card's 署名用 key unlocked by the 署名用パスワード, as the chip does:
    a locked key signs nothing; a wrong password raises ``WrongSigningPasswordError`` with the counted
    card."""
    card = parse_card(card_json)
    if card.sealed_signing_key is None:
        raise refusal(
            "card",
            "このカードには署名用電子証明書がありません。",
            "市区町村の窓口で署名用電子証明書の発行を申請してください。",
            "jukinet.cs.no_signing_certificate",
        )
    if card.wrong_signing_passwords >= MAX_WRONG_SIGNING_PASSWORDS:
        raise refusal(
            "signing_password",
            "署名用パスワードの連続誤りで署名用電子証明書がロックされています。",
            _REMEDY_AT_COUNTER,
            "jukinet.cs.signing_locked",
        )
    key = unlock_signing(card, password)
    if key is None:
        wrong = card.wrong_signing_passwords + 1
        counted = dataclasses.replace(card, wrong_signing_passwords=wrong)
        raise WrongSigningPasswordError(
            counted.as_json(),
            locked=wrong >= MAX_WRONG_SIGNING_PASSWORDS,
            left=MAX_WRONG_SIGNING_PASSWORDS - wrong,
        )
    return CardSignature(
        signature=key.sign(message), card=dataclasses.replace(card, wrong_signing_passwords=0).as_json()
    )


def _audit(actor: Any, purpose: str, card_serial: str, holder: str, outcome: Outcome, reason: str) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CS_SIGNING_PASSWORD_RESET,
            subject_type=_SUBJECT_TYPE,
            subject_id=card_serial,
            purpose=purpose,
            outcome=outcome,
            outcome_reason=reason[:100],
            concerning=person_ids([holder]),
        )


@sensitive_variables()
def reset_signing_password(
    *, actor: Any, purpose: str, card_json: Any, pin: str, new_password: str
) -> IssuedCard:
    """署名用パスワードの初期化 at the counter: 本人確認 with the card and PIN, then a new 署名用 key
    sealed under ``new_password`` and certified by the 機構 (the old certificate revoked); the count
    and lock are cleared. Also issues a 署名用電子証明書 to a card that had none (declined, or under
    15 at 交付). Returns the new card file, with the note when the 機構 issued none."""
    access.require(
        actor=actor,
        permission=Permission.CS_CARD,
        action=AuditAction.CS_SIGNING_PASSWORD_RESET,
        purpose=purpose,
        subject_type=_SUBJECT_TYPE,
    )
    card = parse_card(card_json)
    check_signing_password(new_password)
    # 本人確認 (audited as cs:card:verify): a wrong, locked or ended card stops here.
    check = verify_with_card(actor=actor, purpose=purpose, card_json=card_json, pin=pin)
    signing_key = Ed25519PrivateKey.generate()
    operator_id, terminal_id = operator_ids(actor)
    try:
        answer = query(
            query_type=QUERY_SIGNING_CERTIFICATE,
            receiver=NATIONAL,
            payload={
                "resident_code": card.resident_code,
                "card_serial": card.card_serial,
                "signing_public_key": encode_b64url(
                    signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
                ),
                "operator_id": operator_id,
                "terminal_id": terminal_id,
            },
            actor=actor,
        )
    except DomainError as error:
        _audit(actor, purpose, card.card_serial, check.resident_code, Outcome.REFUSED, error.code)
        raise
    certificate = answer["signing_certificate"]
    renewed = dataclasses.replace(
        card,
        signing_certificate=certificate,
        sealed_signing_key=seal_key(signing_key, new_password, signing_bound_to(card.resident_code))
        if certificate
        else None,
        wrong_signing_passwords=0,
    )
    note = signing_note(answer)
    _audit(
        actor, purpose, card.card_serial, check.resident_code, Outcome.DONE, answer.get("signing_refusal", "")
    )
    return IssuedCard(card=renewed.as_json(), signing_note=note)
