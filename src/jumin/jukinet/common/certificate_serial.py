"""利用者証明用 and 署名用電子証明書シリアル番号の取得 through 住基ネット (std 7.1.2.4-a, 1.1.1-c): payloads.

The CS asks the national node (個人番号カード管理システム) for the serial of the user-authentication
certificate on the person's live card. Jumin's simulated card has a 利用者証明用 key pair but no X.509
certificate, so the serial is the certificate's stand-in: the first 16 hex digits of the SHA-256 of the
registered public key, and its 登録日 the card's issue date. The same answer carries the card's 署名用
電子証明書 (jukinet.common.signing_certificate): its X.509 serial, last valid day and status in the 機構's
失効情報. Pure Python.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from jumin.domain.errors import refusal
from jumin.jukinet.common.fields import check_operator, require_keys
from jumin.jukinet.common.queries import validate_resident_code

QUESTION_KEYS = ("resident_code", "operator_id", "terminal_id")
ANSWER_KEYS = (
    "found",
    "serial",
    "registered_on",
    "card_status",
    "signing_serial",
    "signing_valid_until",
    "signing_status",
)
#: The 署名用電子証明書's status in the 機構's 失効情報 ("" when the card has none).
SIGNING_STATUSES = ("good", "revoked", "")
_CODE = "jukinet.certificate_serial"
_SERIAL = re.compile(r"^[0-9A-F]{16}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def serial_of(public_key: str) -> str:
    """The 利用者証明用電子証明書シリアル番号 of a registered public key (16 upper-case hex digits)."""
    return hashlib.sha256(public_key.encode("ascii")).hexdigest()[:16].upper()


def validate_question(payload: Any) -> None:
    """QUERY_CERTIFICATE_SERIAL question: the 住民票コード and the operator; nothing else."""
    payload = require_keys(payload, QUESTION_KEYS, _CODE, what="シリアル番号の照会")
    validate_resident_code(payload["resident_code"])
    check_operator(payload, _CODE)


def validate_answer(payload: Any) -> None:
    """The answer: found with serial, 登録日 and card status, and the 署名用電子証明書's serial, last valid
    day and status (all three "" when the card has none); or not found with every item empty."""
    payload = require_keys(payload, ANSWER_KEYS, _CODE, what="シリアル番号の回答")
    serial, day, status = payload["serial"], payload["registered_on"], payload["card_status"]
    signing = (payload["signing_serial"], payload["signing_valid_until"], payload["signing_status"])
    if payload["found"] is True:
        ok = isinstance(serial, str) and bool(_SERIAL.match(serial)) and isinstance(day, str)
        ok = ok and bool(_DATE.match(day)) and isinstance(status, str) and 0 < len(status) <= 20
        ok = ok and _signing_ok(*signing)
    else:
        ok = payload["found"] is False and serial == day == status == "" and signing == ("", "", "")
    if not ok:
        raise refusal(
            "serial", "シリアル番号の回答が不正です。", "定義どおりの形式で回答してください。", _CODE
        )


def _signing_ok(serial: Any, valid_until: Any, status: Any) -> bool:
    if (serial, valid_until, status) == ("", "", ""):
        return True
    return (
        isinstance(serial, str)
        and bool(_SERIAL.match(serial))
        and isinstance(valid_until, str)
        and bool(_DATE.match(valid_until))
        and status in SIGNING_STATUSES[:2]
    )
