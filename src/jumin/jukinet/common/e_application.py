"""電子申請 (引越しワンストップ): a 転出届 signed with the 個人番号カード (standard 7.2.5-a; system.md M8 3).

The card holder files a 転出届 on the national e-application service (マイナポータル's サービス検索・電子申請
機能, simulated on the national node): the card, unlocked by its PIN, signs ``application_challenge``
over what is applied for with its 署名用 key and attaches its 署名用電子証明書. The service finds the card
in 個人番号カード管理システム and relays the application to the registering municipality
(QUERY_E_APPLICATION) with the card's status and validity, the 機構's CA certificate and the
certificate's status in the 機構's 失効情報; the municipality verifies the certificate and the signature
itself (jukinet.common.signing_certificate), matches the applicant by the card's 住民票コード and the
certificate's 4情報, and keeps the application for a clerk, who enters the 転出 as a draft.

No 個人番号 travels: the card serials identify the card. Pure Python.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import check_types, require_keys
from jumin.jukinet.common.kiosk import check_card_identifiers
from jumin.jukinet.common.queries import (
    SIGNATURE_BYTES,
    decode_b64url,
    parse_signed_at,
    validate_resident_code,
)
from jumin.jukinet.common.signing_certificate import STATUSES, decode_certificate

#: The bytes a card signs for an e-application are labelled apart from kiosks and the counter.
APPLICATION_CHALLENGE_LABEL = "jumin-e-application/2"
MOVE_OUT = "move_out"
KINDS = (MOVE_OUT,)
#: Who moves: the applicant alone, or the applicant's whole household.
MOVERS = ("self", "household")
DESTINATION_MAX = 100

_CODE = "jukinet.e_application"
_NONCE = re.compile(r"^[0-9a-f]{32}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MUNICIPALITY = re.compile(r"^(\d{6})?$")
_RECEIPT = re.compile(r"^[0-9A-Z-]{6,32}$")

REQUEST_KEYS = frozenset(
    {
        "certificate_serial",
        "card_serial",
        "kind",
        "movers",
        "planned_date",
        "destination",
        "destination_municipality_code",
        "nonce",
        "signed_at",
        "signature",
        "signing_certificate",
    }
)
QUERY_KEYS = REQUEST_KEYS | {
    "resident_code",
    "card_status",
    "valid_until",
    "authority_certificate",
    "certificate_status",
}
ANSWER_KEYS = frozenset({"receipt_number"})


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def _real_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def application_challenge(payload: dict[str, Any]) -> bytes:
    """The bytes the card's 署名用 key signs (Ed25519): the label and every applied-for item in a fixed
    order, as compact JSON (a destination may hold any character, so no separator is safe). The
    ``certificate_serial`` is the 署名用電子証明書's."""
    items = [
        APPLICATION_CHALLENGE_LABEL,
        payload["certificate_serial"],
        payload["kind"],
        payload["movers"],
        payload["planned_date"],
        payload["destination"],
        payload["destination_municipality_code"],
        payload["nonce"],
        payload["signed_at"],
    ]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode()


def validate_application(payload: Any) -> None:
    """The application as the e-application service receives it: card, what is applied for, signature."""
    payload = require_keys(payload, REQUEST_KEYS, _CODE, what="電子申請")
    _check_application(payload)


def _check_application(payload: dict[str, Any]) -> None:
    check_card_identifiers(payload, _bad)
    if payload["kind"] not in KINDS:
        raise _bad("kind", "電子申請できない手続です。", "転出届を選んでください。")
    if payload["movers"] not in MOVERS:
        raise _bad("movers", "異動する方の範囲が不正です。", "本人のみまたは世帯全員を選んでください。")
    if not isinstance(payload["planned_date"], str) or not _real_date(payload["planned_date"]):
        raise _bad("planned_date", "転出予定日が存在しない日付です。", "YYYY-MM-DD で送ってください。")
    destination = payload["destination"]
    if not isinstance(destination, str) or not destination.strip() or len(destination) > DESTINATION_MAX:
        raise _bad("destination", "転出先がないか長すぎます。", "転出先を100文字以内で入力してください。")
    code = payload["destination_municipality_code"]
    if not isinstance(code, str) or not _MUNICIPALITY.match(code):
        raise _bad(
            "destination_municipality_code",
            "転入予定地の市町村コードの形式が不正です。",
            "6桁の数字を送るか、空欄にしてください。",
        )
    if not isinstance(payload["nonce"], str) or not _NONCE.match(payload["nonce"]):
        raise _bad("nonce", "ノンスの形式が不正です。", "小文字16進32桁で送ってください。")
    parse_signed_at(payload["signed_at"])
    decode_b64url(payload["signature"], length=SIGNATURE_BYTES, field="signature")
    decode_certificate(payload["signing_certificate"], field="signing_certificate", code=_CODE)


def validate_application_query(payload: Any) -> None:
    """QUERY_E_APPLICATION: the application plus the card as 個人番号カード管理システム registers it,
    the 機構's CA certificate and the 署名用電子証明書's status in its 失効情報."""
    payload = require_keys(payload, QUERY_KEYS, _CODE, what="電子申請の連携")
    _check_application(payload)
    validate_resident_code(payload["resident_code"])
    decode_certificate(payload["authority_certificate"], field="authority_certificate", code=_CODE)
    if payload["certificate_status"] not in STATUSES:
        raise _bad(
            "certificate_status",
            "電子証明書の失効状況が不正です。",
            "good・revoked・unknown のいずれかを送ってください。",
        )
    check_types(payload, ("card_status",), _CODE, what="電子申請の連携", max_text=10)
    if not isinstance(payload["valid_until"], str) or not _DATE.match(payload["valid_until"]):
        raise _bad("valid_until", "有効期限の形式が不正です。", "YYYY-MM-DD で送ってください。")


def validate_application_answer(payload: Any) -> None:
    """The municipality's 受付番号 for the application."""
    payload = require_keys(payload, ANSWER_KEYS, _CODE, what="電子申請の受付")
    if not isinstance(payload["receipt_number"], str) or not _RECEIPT.match(payload["receipt_number"]):
        raise _bad("receipt_number", "受付番号の形式が不正です。", "英大文字・数字で送ってください。")
