"""コンビニ交付 (standard 7.2.5-a, 3.1-g; system.md F11c, N5): the centre ↔ municipality payloads.

The kiosk reads the card's 利用者証明用電子証明書 serial and card serial, and the card, unlocked by its
PIN, signs ``kiosk_challenge`` (what is asked, a fresh nonce and the time). The 証明書交付センター on the
national node looks the card up in 個人番号カード管理システム, refuses while the registering municipality
has told it of an issuance 抑止 (KIOSK_MARK), and asks that municipality (QUERY_KIOSK_COPY) with the
kiosk's signature and the card's registered public key, status and validity. The municipality verifies
the signature itself against that key, then issues the copy or refuses with a code.

A kiosk copy is a 住民票の写し or a 住民票記載事項証明書 of the card holder, or of the holder's whole
household; it never carries 本籍・筆頭者, a 個人番号 or history (C-36), so no option names them. Pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import check_types, require_keys
from jumin.jukinet.common.queries import (
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    decode_b64url,
    parse_signed_at,
    validate_resident_code,
)
from jumin.jukinet.common.wide_area import ANSWER_KEYS as WIDE_AREA_ANSWER_KEYS

#: The bytes a card signs for a kiosk request are labelled apart from a counter 本人確認.
KIOSK_CHALLENGE_LABEL = "jumin-kiosk/1"
#: What a kiosk may print (a 印鑑登録証明書 is not kept by Jumin).
KINDS = (CertificateKind.COPY.value, CertificateKind.STATED_ITEMS.value)
SCOPES = ("self", "household")
MAX_COPIES = 5
#: KIOSK_MARK actions.
MARK_SET = "set"
MARK_LIFT = "lift"
MARK_KINDS = ("suppression", "support_measure")

_CODE = "jukinet.kiosk"
_SERIAL = re.compile(r"^[0-9A-F]{16}$")
_CARD_SERIAL = re.compile(r"^[0-9A-Z]{12}$")
_NONCE = re.compile(r"^[0-9a-f]{32}$")
_KIOSK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

REQUEST_KEYS = frozenset(
    {
        "certificate_serial",
        "card_serial",
        "kind",
        "scope",
        "copies",
        "nonce",
        "signed_at",
        "signature",
        "kiosk_id",
    }
)
QUERY_KEYS = REQUEST_KEYS | {"resident_code", "public_key", "card_status", "valid_until"}
ANSWER_KEYS = WIDE_AREA_ANSWER_KEYS - {"requester_relation"} | {"fee"}
MARK_KEYS = frozenset({"action", "kind", "restriction_id", "resident_codes"})


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def kiosk_challenge(
    certificate_serial: str, kind: str, scope: str, copies: int, kiosk_id: str, nonce: str, signed_at: str
) -> bytes:
    """The bytes the card's 利用者証明用 key signs for a kiosk request (Ed25519), UTF-8 of
    ``jumin-kiosk/1|<証明書シリアル>|<種類>|<範囲>|<通数>|<端末>|<nonce>|<署名日時>``: the signature covers
    what is asked, so the centre cannot change it."""
    parts = (KIOSK_CHALLENGE_LABEL, certificate_serial, kind, scope, str(copies), kiosk_id, nonce, signed_at)
    return "|".join(parts).encode()


def validate_kiosk_request(payload: Any) -> None:
    """The kiosk's request as the centre receives it: card, what is asked, the signed challenge."""
    payload = require_keys(payload, REQUEST_KEYS, _CODE, what="コンビニ交付請求")
    _check_request(payload)


def check_card_identifiers(payload: dict[str, Any], bad: Callable[[str, str, str], DomainError]) -> None:
    """The card's 利用者証明用電子証明書 serial and card serial, as a card reader gives them."""
    if not isinstance(payload["certificate_serial"], str) or not _SERIAL.match(payload["certificate_serial"]):
        raise bad(
            "certificate_serial", "証明書シリアル番号の形式が不正です。", "16桁の16進数を送ってください。"
        )
    if not isinstance(payload["card_serial"], str) or not _CARD_SERIAL.match(payload["card_serial"]):
        raise bad("card_serial", "カードシリアル番号の形式が不正です。", "12桁の英数字を送ってください。")


def _check_request(payload: dict[str, Any]) -> None:
    check_card_identifiers(payload, _bad)
    if payload["kind"] not in KINDS:
        raise _bad(
            "kind", "コンビニ交付できない証明書です。", "住民票の写しか住民票記載事項証明書を選んでください。"
        )
    if payload["scope"] not in SCOPES:
        raise _bad("scope", "請求の範囲が不正です。", "本人のみまたは世帯全員を選んでください。")
    check_types(payload, ("copies",), _CODE, what="コンビニ交付請求", ints=("copies",))
    if not 1 <= payload["copies"] <= MAX_COPIES:
        raise _bad("copies", "通数は1から5までです。", "通数を直してください。")
    if not isinstance(payload["nonce"], str) or not _NONCE.match(payload["nonce"]):
        raise _bad("nonce", "ノンスの形式が不正です。", "小文字16進32桁で送ってください。")
    if not isinstance(payload["kiosk_id"], str) or not _KIOSK_ID.match(payload["kiosk_id"]):
        raise _bad("kiosk_id", "端末IDの形式が不正です。", "32文字以内の英数字で送ってください。")
    parse_signed_at(payload["signed_at"])
    decode_b64url(payload["signature"], length=SIGNATURE_BYTES, field="signature")


def validate_kiosk_query(payload: Any) -> None:
    """QUERY_KIOSK_COPY: the kiosk's request plus the card as 個人番号カード管理システム registers it."""
    payload = require_keys(payload, QUERY_KEYS, _CODE, what="コンビニ交付照会")
    _check_request(payload)
    validate_resident_code(payload["resident_code"])
    decode_b64url(payload["public_key"], length=PUBLIC_KEY_BYTES, field="public_key")
    check_types(payload, ("card_status",), _CODE, what="コンビニ交付照会", max_text=10)
    if not isinstance(payload["valid_until"], str) or not _DATE.match(payload["valid_until"]):
        raise _bad("valid_until", "有効期限の形式が不正です。", "YYYY-MM-DD で送ってください。")


def validate_kiosk_answer(payload: Any) -> None:
    """The certificate: the signed PDF (base64), its SHA-256, one 発行番号 per copy, counts and fee."""
    payload = require_keys(payload, ANSWER_KEYS, _CODE, what="コンビニ交付証明書")
    check_types(
        payload,
        ("units", "sheets", "subject_count", "fee"),
        _CODE,
        what="コンビニ交付証明書",
        ints=("units", "sheets", "subject_count", "fee"),
    )
    numbers = payload["copy_numbers"]
    if not isinstance(numbers, list) or len(numbers) != payload["units"] or payload["units"] < 1:
        raise _bad("copy_numbers", "発行番号の数が通数と合いません。", "通数分の発行番号を送ってください。")
    if not isinstance(payload["pdf"], str) or not isinstance(payload["pdf_sha256"], str):
        raise _bad("pdf", "証明書のデータが不正です。", "PDF を base64 で送ってください。")


def validate_kiosk_mark(payload: Any) -> None:
    """KIOSK_MARK: an issuance 抑止 or 支援措置 set or lifted, by the registry's id, for 住民票コード."""
    payload = require_keys(payload, MARK_KEYS, _CODE, what="コンビニ交付抑止")
    if payload["action"] not in (MARK_SET, MARK_LIFT) or payload["kind"] not in MARK_KINDS:
        raise _bad("action", "抑止の通知種別が不正です。", "set/lift と抑止の種類を送ってください。")
    check_types(payload, ("restriction_id",), _CODE, what="コンビニ交付抑止", ints=("restriction_id",))
    codes = payload["resident_codes"]
    if not isinstance(codes, list) or len(codes) > 1000:
        raise _bad("resident_codes", "住民票コードの一覧が不正です。", "1000件以内で送ってください。")
    for code in codes:
        validate_resident_code(code, "resident_codes")
