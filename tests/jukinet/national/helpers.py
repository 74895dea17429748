"""Synthetic notices, envelopes and card keys for the national node's tests (no real person)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jumin.domain.checkdigits import mynumber_check_digit
from jumin.jukinet.common.notice import IdentityNotice
from jumin.jukinet.common.queries import card_challenge, encode_b64url
from jumin.jukinet.national.services.numbers import new_resident_code
from jumin.messaging.envelope import Envelope, NodeRef, new_envelope

NATIONAL = NodeRef("national", "00")
PREFECTURE = NodeRef("prefecture", "420000")
OTHER_PREFECTURE = NodeRef("prefecture", "130001")
MUNICIPALITY = NodeRef("municipality", "422029")
OTHER_MUNICIPALITY = NodeRef("municipality", "422011")


def individual_number() -> str:
    """A random, well-formed synthetic 個人番号."""
    base = f"{secrets.randbelow(10**11):011d}"
    return base + mynumber_check_digit(base)


def notice(**changes: Any) -> dict[str, Any]:
    """A valid synthetic IDENTITY_UPDATE payload; keyword arguments replace items."""
    base = IdentityNotice(
        resident_code=new_resident_code(),
        name="試験　太郎",
        name_gaiji_count=0,
        name_kana="シケン　タロウ",
        name_kana_seion="シケン タロウ",
        birth_date="19800102",
        sex="male",
        municipality_code=MUNICIPALITY.code,
        aza_code="",
        address="長崎県試験市本町一丁目1番地",
        address_gaiji_count=0,
        individual_number=individual_number(),
        change_reason="国内転入",
        change_date="2026-01-05",
        former_surname="",
        former_surname_gaiji_count=0,
        former_surname_kana="",
        gaiji_flag=False,
        operator_id="clerk01",
        terminal_id="T001",
        timestamp="2026-01-05T01:02:03Z",
        update_seq=1,
        removed=False,
    ).as_payload()
    base.update(changes)
    return base


def envelope(
    message_type: str,
    payload: dict[str, Any],
    *,
    sender: NodeRef = PREFECTURE,
    subject: str = "r1",
    seq: int = 1,
) -> Envelope:
    """An envelope as the national node's handler receives it."""
    return new_envelope(
        type=message_type, sender=sender, receiver=NATIONAL, subject=subject, seq=seq, payload=payload
    )


class CardKey:
    """A synthetic card's 利用者証明用 key pair; ``sign`` answers a challenge as the card would."""

    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()

    @property
    def public_b64(self) -> str:
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return encode_b64url(raw)

    def verify_payload(
        self, resident_code: str, serial: str, *, signed_at: datetime | None = None, nonce: str | None = None
    ) -> dict[str, Any]:
        nonce = nonce or secrets.token_hex(16)
        stamp = (signed_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        signature = self.private.sign(card_challenge(resident_code, serial, nonce, stamp))
        return {
            "resident_code": resident_code,
            "card_serial": serial,
            "nonce": nonce,
            "signed_at": stamp,
            "signature": encode_b64url(signature),
            "operator_id": "clerk01",
            "terminal_id": "T001",
        }
