"""Who may hold a 署名用電子証明書, and the query that re-issues one (std 7.2.5-a). Pure Python.

JPKI issues no 署名用電子証明書 to a person under 15 on the day of issue: the card then carries the
利用者証明用 key only. A birth date that is 不詳 (year unknown, or month/day unknown so that the person
might still be under 15) cannot show the age, so it is refused too, saying why; a partly unknown date
whose latest possible day is already 15 years back is no doubt.

``QUERY_SIGNING_CERTIFICATE`` (CS → national) asks the 機構 for a new 署名用電子証明書 on a live card:
after the 署名用パスワード is reset at the counter, the card gets a new key pair (the sealed key cannot
be opened without the old password), the old certificate is revoked and the new one issued.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any

from jumin.domain.errors import refusal
from jumin.jukinet.common.fields import check_operator, check_resident_code, require_keys
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.common.queries import (
    PUBLIC_KEY_BYTES,
    SIGNING_CERTIFICATE,
    SIGNING_REFUSAL,
    SIGNING_REFUSALS,
    check_signing_refusal,
    decode_b64url,
)
from jumin.jukinet.common.signing_certificate import decode_certificate

#: JPKI's lowest age for a 署名用電子証明書 (満15歳).
MINIMUM_AGE = 15
UNDER_MINIMUM_AGE, BIRTH_DATE_UNKNOWN = SIGNING_REFUSALS
#: Why the 機構 issued no 署名用電子証明書, as the answer says it and the screen words it.
REFUSAL_MESSAGES = {
    UNDER_MINIMUM_AGE: (
        "15歳未満の方には署名用電子証明書を発行しません（JPKIの規定）。"
        "カードは利用者証明用電子証明書のみで交付しました。"
    ),
    BIRTH_DATE_UNKNOWN: (
        "生年月日が不詳のため15歳以上であることを確認できず、署名用電子証明書を発行しません。"
        "カードは利用者証明用電子証明書のみで交付しました。生年月日が判明したら記載を修正し、"
        "署名用電子証明書の発行を申請してもらってください。"
    ),
}
REISSUE_KEYS = frozenset({"resident_code", "card_serial", "signing_public_key", "operator_id", "terminal_id"})
_CODE = "jukinet.query"
_CARD_SERIAL = re.compile(r"^[0-9A-Z]{12}$")


def _latest_possible_birthday(birth_date: str) -> date | None:
    """The last day the person can have been born on (unknown month → December, unknown day → the
    month's last day), or None when the year is unknown."""
    year, month, day = int(birth_date[:4]), int(birth_date[4:6]), int(birth_date[6:])
    if year == 0:
        return None
    month = month or 12
    return date(year, month, day or calendar.monthrange(year, month)[1])


def signing_refusal_for(birth_date: str, issued_on: date) -> str:
    """Why no 署名用電子証明書 may be issued on ``issued_on`` to a person born on ``birth_date``
    (YYYYMMDD, 00 unknown): "" when they are surely 15 or older that day."""
    latest = _latest_possible_birthday(birth_date)
    if latest is None:
        return BIRTH_DATE_UNKNOWN
    reached = (issued_on.month, issued_on.day) >= (latest.month, latest.day)
    age = issued_on.year - latest.year - (0 if reached else 1)
    if age >= MINIMUM_AGE:
        return ""
    return BIRTH_DATE_UNKNOWN if birth_date != latest.strftime("%Y%m%d") else UNDER_MINIMUM_AGE


def validate_reissue(payload: dict[str, Any]) -> None:
    """QUERY_SIGNING_CERTIFICATE request: the live card and the new 署名用 public key to certify."""
    payload = require_keys(payload, REISSUE_KEYS, _CODE, what="署名用電子証明書の発行")
    check_resident_code(payload["resident_code"], RESIDENT_CODE_RULE, _CODE, "resident_code")
    if not isinstance(payload["card_serial"], str) or not _CARD_SERIAL.match(payload["card_serial"]):
        raise refusal(
            "card_serial",
            "カードのシリアル番号の形式が不正です。",
            "英大文字と数字12文字で送ってください。",
            _CODE,
        )
    decode_b64url(payload["signing_public_key"], length=PUBLIC_KEY_BYTES, field="signing_public_key")
    check_operator(payload, _CODE)


def validate_reissue_answer(payload: dict[str, Any]) -> None:
    """QUERY_SIGNING_CERTIFICATE answer: the new certificate, or "" with the reason none was issued."""
    keys = frozenset({SIGNING_CERTIFICATE}) | (
        frozenset({SIGNING_REFUSAL})
        if isinstance(payload, dict) and SIGNING_REFUSAL in payload
        else frozenset()
    )
    payload = require_keys(payload, keys, _CODE, what="署名用電子証明書の発行結果")
    check_signing_refusal(payload)
    if payload[SIGNING_CERTIFICATE]:
        decode_certificate(payload[SIGNING_CERTIFICATE], field=SIGNING_CERTIFICATE, code=_CODE)
    elif SIGNING_REFUSAL not in payload:
        raise refusal(
            SIGNING_REFUSAL,
            "署名用電子証明書も発行しない理由もありません。",
            "発行した証明書か、発行しない理由を送ってください。",
            _CODE,
        )
