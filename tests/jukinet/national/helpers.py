"""Synthetic notices, envelopes and card keys for the national node's tests (no real person)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jumin.jukinet.common.queries import card_challenge, encode_b64url
from jumin.jukinet.national.services.numbers import new_resident_code
from jumin.messaging.envelope import Envelope, NodeRef, new_envelope
from tests.jukinet.synthetic import identity_notice

NATIONAL = NodeRef("national", "00")
PREFECTURE = NodeRef("prefecture", "420000")
OTHER_PREFECTURE = NodeRef("prefecture", "130001")
MUNICIPALITY = NodeRef("municipality", "422029")
OTHER_MUNICIPALITY = NodeRef("municipality", "422011")


def notice(**changes: Any) -> dict[str, Any]:
    """A valid synthetic IDENTITY_UPDATE payload with a code this node issued; arguments replace items."""
    return identity_notice(**{"resident_code": new_resident_code(), **changes})


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
