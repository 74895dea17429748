"""A request signed by a 個人番号カード and relayed by the national node (コンビニ交付; 電子申請 uses
``check_card_live`` and then jukinet.common.signing_certificate).

The national node adds the card as 個人番号カード管理システム registers it (public key, status,
validity); the municipality checks that the card is live, that the certificate serial is the registered
key's, that the signature is fresh, and verifies the signature over the request's own bytes with that
key: the relay cannot change what the card holder signed. Pure Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from jumin.domain.errors import DomainError
from jumin.jukinet.common.certificate_serial import serial_of
from jumin.jukinet.common.queries import PUBLIC_KEY_BYTES, SIGNATURE_BYTES, decode_b64url, parse_signed_at

#: A card signature older or newer than this is refused as stale (as the counter 本人確認's window).
SIGNATURE_WINDOW = timedelta(minutes=5)
#: The card status 個人番号カード管理システム reports for a live card.
LIVE_STATUS = "active"

#: Builds the refusal for (field, reason, code suffix); each caller words its own remedy and code.
Refuse = Callable[[str, str, str], DomainError]


def _live(payload: Mapping[str, Any], today: date, refuse: Refuse) -> None:
    if payload["card_status"] != LIVE_STATUS or payload["valid_until"] < today.isoformat():
        raise refuse("card_status", "このカードは利用できません（停止・廃止・期限切れ）。", "card_not_live")


def _fresh(payload: Mapping[str, Any], now: datetime, refuse: Refuse) -> None:
    if abs(now - parse_signed_at(payload["signed_at"])) > SIGNATURE_WINDOW:
        raise refuse("signed_at", "カードの署名の時刻が古すぎます。", "stale")


def check_card_live(payload: Mapping[str, Any], *, now: datetime, today: date, refuse: Refuse) -> None:
    """Refuse unless the relayed card is live and in date and the signature is fresh."""
    _live(payload, today, refuse)
    _fresh(payload, now, refuse)


def check_card_signature(
    payload: Mapping[str, Any], challenge: bytes, *, now: datetime, today: date, refuse: Refuse
) -> None:
    """Refuse unless the relayed card is live, its own and freshly, truly signed ``challenge``
    (its 利用者証明用 key: コンビニ交付)."""
    _live(payload, today, refuse)
    if serial_of(payload["public_key"]) != payload["certificate_serial"]:
        raise refuse("certificate_serial", "電子証明書がカードの登録と一致しません。", "serial_mismatch")
    _fresh(payload, now, refuse)
    key = Ed25519PublicKey.from_public_bytes(
        decode_b64url(payload["public_key"], length=PUBLIC_KEY_BYTES, field="public_key")
    )
    try:
        key.verify(decode_b64url(payload["signature"], length=SIGNATURE_BYTES, field="signature"), challenge)
    except InvalidSignature:
        raise refuse("signature", "カードの署名を検証できません。", "forged") from None
