"""Payload validators of the 住基ネット queries and card messages (docs/jukinet-national.md).

Shared by every node kind, so the asker refuses a bad request before it leaves and the answerer
refuses the same request the same way. Every validator checks the exact key set (a node accepts
only the items it is defined to receive), the types and the formats, and raises DomainError with a
``jukinet.`` code and a Japanese reason that never repeats the value.

``card_challenge`` builds the byte string a card signs for 本人確認, so the CS signs exactly what the
national node verifies.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from jumin.domain.checkdigits import validate_lgcode, validate_mynumber
from jumin.domain.errors import DomainError, refusal
from jumin.domain.search_guard import IdentitySearchCriteria, check_identity_search
from jumin.jukinet.common.fields import check_birth_date, check_operator, check_resident_code, require_keys
from jumin.jukinet.common.fuhyo import fuhyo_items_from_payload
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE, notice_from_payload
from jumin.jukinet.common.signing_certificate import decode_certificate

#: ``by`` values of QUERY_IDENTITY.
QUERY_BY = ("resident_code", "individual_number", "four_items")
#: At most this many records in one QUERY_IDENTITY answer; more set ``truncated``.
MAX_QUERY_RECORDS = 50
#: Card events the CS reports to 個人番号カード管理システム (system.md F16).
CARD_EVENTS = ("suspend", "release", "abolish", "return", "collect", "continue_use")
#: At most this many 住民票コード in one QUERY_RESIDENT_CODES request.
MAX_RESIDENT_CODES = 1000
#: Version label of the card challenge; a new format gets a new label.
CARD_CHALLENGE_LABEL = "jumin-card-auth/1"

_SERIAL = re.compile(r"^[0-9A-Z]{12}$")
_NONCE = re.compile(r"^[0-9a-f]{32}$")
_SIGNED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.\-]{0,63}$")
_CODE = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
_MAX_TEXT = 200
_MAX_PURPOSE = 100
_MAX_CARD_REASON = 100
_MAX_REJECTION_TEXT = 400


def _bad(field: str, reason: str, remedy: str, code: str = "jukinet.query") -> DomainError:
    return refusal(field, reason, remedy, code)


def _require_keys(payload: Any, keys: frozenset[str], what: str) -> dict[str, Any]:
    return require_keys(payload, keys, "jukinet.query", what=what)


def _text(payload: dict[str, Any], name: str, *, limit: int = _MAX_TEXT, required: bool = False) -> str:
    value = payload[name]
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise _bad(name, "文字列の項目が不正です。", f"{limit}文字以内の文字列を送ってください。")
    return value


def _operator(payload: dict[str, Any]) -> None:
    check_operator(payload, "jukinet.query")


def _resident_code(value: Any, field: str = "resident_code") -> str:
    return check_resident_code(value, RESIDENT_CODE_RULE, "jukinet.query", field)


def validate_resident_code(value: Any, field: str = "resident_code") -> str:
    """A 住民票コード item of a payload (11 digits, federation check digit), or DomainError."""
    return _resident_code(value, field)


def _individual_number(value: Any, field: str = "individual_number") -> str:
    if not isinstance(value, str):
        raise _bad(field, "個人番号の形式が不正です。", "12桁の数字を送ってください。")
    return validate_mynumber(value, field=field)


def _serial(value: Any, field: str = "card_serial") -> str:
    if not isinstance(value, str) or not _SERIAL.match(value):
        raise _bad(field, "カードのシリアル番号の形式が不正です。", "英大文字と数字12文字で送ってください。")
    return value


def _iso_date(value: Any, field: str) -> date:
    try:
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(field, "日付の形式が不正です。", "YYYY-MM-DD で送ってください。") from None


def _birth_date(value: Any, *, allow_empty: bool) -> None:
    check_birth_date(value, allow_empty=allow_empty, field_code="jukinet.query")


def _bool(payload: dict[str, Any], name: str) -> bool:
    value = payload[name]
    if not isinstance(value, bool):
        raise _bad(name, "フラグ項目が不正です。", "true または false を送ってください。")
    return value


def encode_b64url(data: bytes) -> str:
    """base64url without padding (the form of public keys and signatures in payloads)."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_b64url(text: Any, *, length: int, field: str) -> bytes:
    """The bytes of an unpadded base64url string of exactly ``length`` bytes, or DomainError."""
    if isinstance(text, str) and _B64URL.match(text) and len(text) <= 4 * length:
        try:
            data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            data = b""
        if len(data) == length and encode_b64url(data) == text:
            return data
    raise _bad(
        field,
        "base64url の値が不正です。",
        f"{length}バイトの値をパディングなしの base64url で送ってください。",
    )


def parse_signed_at(value: Any) -> datetime:
    """``YYYY-MM-DDTHH:MM:SSZ`` as an aware UTC datetime, or DomainError."""
    try:
        if not isinstance(value, str) or not _SIGNED_AT.match(value):
            raise ValueError
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(
            "signed_at", "署名日時の形式が不正です。", "UTCの YYYY-MM-DDTHH:MM:SSZ で送ってください。"
        ) from None


def card_challenge(resident_code: str, card_serial: str, nonce: str, signed_at: str) -> bytes:
    """The bytes the card's 利用者証明用 key signs for 本人確認 (Ed25519), UTF-8 of
    ``jumin-card-auth/1|<住民票コード>|<シリアル>|<nonce>|<署名日時>``."""
    return f"{CARD_CHALLENGE_LABEL}|{resident_code}|{card_serial}|{nonce}|{signed_at}".encode()


# --- QUERY_IDENTITY -------------------------------------------------------------------------------

IDENTITY_QUERY_KEYS = frozenset(
    {
        "by",
        "resident_code",
        "individual_number",
        "name",
        "name_kana",
        "birth_date",
        "sex",
        "address",
        "include_removed",
        "purpose",
        "operator_id",
        "terminal_id",
    }
)
_FOUR_ITEM_FIELDS = ("name", "name_kana", "birth_date", "sex", "address")


def check_four_items(payload: dict[str, Any]) -> None:
    """At least two items other than sex (name or reading counts once, birth date, address), C-32.

    Reuses the CS search guard (jumin.domain.search_guard) without its name requirement: J-LIS
    queries name any two of the three.
    """
    name = payload["name"] if str(payload["name"]).strip() else payload["name_kana"]
    birth = payload["birth_date"]
    criteria = IdentitySearchCriteria(
        surname=name or None,
        birth_year=int(birth[:4]) if birth else None,
        address=payload["address"] or None,
    )
    try:
        check_identity_search(criteria, require_name=False)
    except DomainError as error:
        raise _bad(error.field, error.reason, error.remedy, "jukinet.query.too_few_items") from None


def _check_lookup(
    payload: dict[str, Any], *, by_values: tuple[str, ...], key_fields: tuple[str, ...], flag: str
) -> None:
    """The checks QUERY_IDENTITY and QUERY_FUHYO share: the ``by`` value, text items, the flag, the
    operator, the purpose, only the chosen key's items filled, and the 住民票コード or 4情報 rules."""
    by = payload["by"]
    if by not in by_values:
        raise _bad("by", "照会の種類が不正です。", f"{'、'.join(by_values)} のいずれかを送ってください。")
    for name in (*key_fields, "purpose"):
        _text(payload, name)
    _bool(payload, flag)
    _operator(payload)
    if not payload["purpose"].strip() or len(payload["purpose"]) > _MAX_PURPOSE:
        raise _bad(
            "purpose", "照会の目的が未入力か長すぎます。", f"目的を{_MAX_PURPOSE}文字以内で送ってください。"
        )
    used = (by,) if by != "four_items" else _FOUR_ITEM_FIELDS
    for name in key_fields:
        if name not in used and payload[name] != "":
            raise _bad(
                name, "照会の種類で使わない項目に値があります。", "使わない項目は空文字にしてください。"
            )
    if by == "resident_code":
        _resident_code(payload["resident_code"])
    elif by == "four_items":
        _birth_date(payload["birth_date"], allow_empty=True)
        if payload["sex"] not in ("", "male", "female"):
            raise _bad("sex", "性別の値が不正です。", "male、female または空文字を送ってください。")
        check_four_items(payload)


def validate_identity_query(payload: dict[str, Any]) -> None:
    """QUERY_IDENTITY request: by 住民票コード, 個人番号 or 4情報; unused fields are ""."""
    payload = _require_keys(payload, IDENTITY_QUERY_KEYS, "照会")
    _check_lookup(
        payload,
        by_values=QUERY_BY,
        key_fields=("resident_code", "individual_number", *_FOUR_ITEM_FIELDS),
        flag="include_removed",
    )
    if payload["by"] == "individual_number":
        _individual_number(payload["individual_number"])


def _check_records_answer(payload: dict[str, Any], what: str, check_record: Callable[[Any], Any]) -> None:
    """An answer ``{"records": [...], "truncated": bool}`` with at most 50 records, each checked."""
    payload = _require_keys(payload, frozenset({"records", "truncated"}), what)
    records = payload["records"]
    if not isinstance(records, list) or len(records) > MAX_QUERY_RECORDS:
        raise _bad("records", "照会結果の件数が不正です。", f"{MAX_QUERY_RECORDS}件以内で返してください。")
    for record in records:
        check_record(record)
    _bool(payload, "truncated")


def validate_identity_answer(payload: dict[str, Any]) -> None:
    """QUERY_IDENTITY answer: at most 50 本人確認情報 records and the truncation flag."""
    _check_records_answer(payload, "照会結果", notice_from_payload)


_SUMMARY_LABELS = {
    "name": "name",
    "name_kana": "kana_name",
    "birth_date": "birth_date",
    "sex": "sex",
    "address": "address",
}


def query_summary(payload: dict[str, Any]) -> str:
    """The kinds of keys a QUERY_IDENTITY or QUERY_FUHYO used (never their values), for audit entries."""
    if payload["by"] == "resident_code":
        return "juminhyo_code"
    if payload["by"] == "individual_number":
        return "individual_number"
    return "+".join(label for key, label in _SUMMARY_LABELS.items() if payload[key]) or "four_items"


# --- QUERY_FUHYO ---------------------------------------------------------------------------------

#: ``by`` values of QUERY_FUHYO (the 附票 holds no 個人番号).
FUHYO_QUERY_BY = ("resident_code", "four_items")
FUHYO_QUERY_KEYS = frozenset(
    {"by", "resident_code", *_FOUR_ITEM_FIELDS, "include_deleted", "purpose", "operator_id", "terminal_id"}
)


def validate_fuhyo_query(payload: dict[str, Any]) -> None:
    """QUERY_FUHYO request (附票全国サーバへの照会, system.md P2 4 and N2 2–3): by 住民票コード or 4情報."""
    payload = _require_keys(payload, FUHYO_QUERY_KEYS, "附票の照会")
    _check_lookup(
        payload,
        by_values=FUHYO_QUERY_BY,
        key_fields=("resident_code", *_FOUR_ITEM_FIELDS),
        flag="include_deleted",
    )


def validate_fuhyo_answer(payload: dict[str, Any]) -> None:
    """QUERY_FUHYO answer: at most 50 records of the 18 附票 items and the truncation flag."""
    _check_records_answer(payload, "附票の照会結果", fuhyo_items_from_payload)


# --- QUERY_VERIFY_CARD ----------------------------------------------------------------------------

VERIFY_CARD_KEYS = frozenset(
    {"resident_code", "card_serial", "nonce", "signed_at", "signature", "operator_id", "terminal_id"}
)
SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def validate_verify_card(payload: dict[str, Any]) -> None:
    """QUERY_VERIFY_CARD request: the card's answer to a fresh challenge."""
    payload = _require_keys(payload, VERIFY_CARD_KEYS, "本人確認")
    _resident_code(payload["resident_code"])
    _serial(payload["card_serial"])
    if not isinstance(payload["nonce"], str) or not _NONCE.match(payload["nonce"]):
        raise _bad("nonce", "ノンスの形式が不正です。", "小文字16進32桁で送ってください。")
    parse_signed_at(payload["signed_at"])
    decode_b64url(payload["signature"], length=SIGNATURE_BYTES, field="signature")
    _operator(payload)


def validate_verify_card_answer(payload: dict[str, Any]) -> None:
    """QUERY_VERIFY_CARD answer: valid, active, its expiry and the current record (or null)."""
    payload = _require_keys(
        payload, frozenset({"result", "card_status", "valid_until", "record"}), "本人確認結果"
    )
    if payload["result"] != "valid" or payload["card_status"] != "active":
        raise _bad("result", "本人確認結果の値が不正です。", "有効なカードの結果だけを返してください。")
    _iso_date(payload["valid_until"], "valid_until")
    if payload["record"] is not None:
        notice_from_payload(payload["record"])


# --- QUERY_CARD_ISSUE -----------------------------------------------------------------------------

CARD_ISSUE_KEYS = frozenset({"resident_code", "public_key", "birth_date", "operator_id", "terminal_id"})
#: The 署名用 public key is optional: a holder may decline the 署名用電子証明書 (交付申請書's box).
SIGNING_KEY = "signing_public_key"
#: The answer's 署名用電子証明書 (DER, base64url; "" when none was issued).
SIGNING_CERTIFICATE = "signing_certificate"
#: Why a key was sent but no 署名用電子証明書 issued (common.signing_issue words it for the screen).
SIGNING_REFUSAL = "signing_refusal"
SIGNING_REFUSALS = ("under_15", "birth_date_unknown")


def _with_optional(payload: Any, key: str) -> frozenset[str]:
    return frozenset({key}) if isinstance(payload, dict) and key in payload else frozenset()


def validate_card_issue(payload: dict[str, Any]) -> None:
    """QUERY_CARD_ISSUE request: register the 利用者証明用 public key of a card handed over now, and
    the 署名用 public key the 機構 is to certify (optional)."""
    payload = _require_keys(payload, CARD_ISSUE_KEYS | _with_optional(payload, SIGNING_KEY), "カード発行")
    _resident_code(payload["resident_code"])
    decode_b64url(payload["public_key"], length=PUBLIC_KEY_BYTES, field="public_key")
    if SIGNING_KEY in payload:
        decode_b64url(payload[SIGNING_KEY], length=PUBLIC_KEY_BYTES, field=SIGNING_KEY)
    _birth_date(payload["birth_date"], allow_empty=False)
    _operator(payload)


def validate_card_issue_answer(payload: dict[str, Any]) -> None:
    """QUERY_CARD_ISSUE answer: the card's serial and expiry, its 署名用電子証明書 ("" when none) and
    why none was issued (optional)."""
    keys = (
        frozenset({"card_serial", "valid_until"})
        | _with_optional(payload, SIGNING_CERTIFICATE)
        | _with_optional(payload, SIGNING_REFUSAL)
    )
    payload = _require_keys(payload, keys, "カード発行結果")
    _serial(payload["card_serial"])
    _iso_date(payload["valid_until"], "valid_until")
    certificate = payload.get(SIGNING_CERTIFICATE, "")
    if certificate:
        decode_certificate(certificate, field=SIGNING_CERTIFICATE, code="jukinet.query")
    check_signing_refusal(payload)


def check_signing_refusal(payload: dict[str, Any]) -> None:
    """An answer's optional ``signing_refusal``: one of ``SIGNING_REFUSALS``."""
    if SIGNING_REFUSAL in payload and payload[SIGNING_REFUSAL] not in SIGNING_REFUSALS:
        raise _bad(
            SIGNING_REFUSAL,
            "署名用電子証明書を発行しない理由の値が不正です。",
            "under_15 か birth_date_unknown を送ってください。",
        )


# --- QUERY_RESIDENT_CODES -------------------------------------------------------------------------


def validate_resident_codes(payload: dict[str, Any]) -> None:
    """QUERY_RESIDENT_CODES request: how many unused 住民票コード the CS wants (1–1000)."""
    payload = _require_keys(payload, frozenset({"count", "operator_id", "terminal_id"}), "住民票コード払出し")
    count = payload["count"]
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_RESIDENT_CODES:
        raise _bad(
            "count", "払出し件数が範囲外です。", f"1から{MAX_RESIDENT_CODES}までの整数を送ってください。"
        )
    _operator(payload)


def validate_resident_codes_answer(payload: dict[str, Any]) -> None:
    """QUERY_RESIDENT_CODES answer: distinct valid 住民票コード."""
    payload = _require_keys(payload, frozenset({"codes"}), "住民票コード払出し結果")
    codes = payload["codes"]
    if (
        not isinstance(codes, list)
        or not 1 <= len(codes) <= MAX_RESIDENT_CODES
        or len(set(codes)) != len(codes)
    ):
        raise _bad(
            "codes", "払い出された住民票コードの件数が不正です。", "重複のない1000件以内で返してください。"
        )
    for code in codes:
        _resident_code(code, field="codes")


# --- QUERY_RENEWAL_TARGETS ------------------------------------------------------------------------

#: At most this many targets in one QUERY_RENEWAL_TARGETS answer (the caller narrows the day).
MAX_RENEWAL_TARGETS = 10_000


def validate_renewal_targets_query(payload: dict[str, Any]) -> None:
    """QUERY_RENEWAL_TARGETS request: the last 有効期限 of the list (YYYY-MM-DD)."""
    payload = _require_keys(
        payload, frozenset({"expiring_by", "operator_id", "terminal_id"}), "更新対象者一覧"
    )
    _iso_date(payload["expiring_by"], "expiring_by")
    _operator(payload)


def validate_renewal_targets_answer(payload: dict[str, Any]) -> None:
    """QUERY_RENEWAL_TARGETS answer: each target's 住民票コード and card 有効期限."""
    payload = _require_keys(payload, frozenset({"targets"}), "更新対象者一覧")
    targets = payload["targets"]
    if not isinstance(targets, list) or len(targets) > MAX_RENEWAL_TARGETS:
        raise _bad(
            "targets", "更新対象者の件数が不正です。", f"{MAX_RENEWAL_TARGETS}件以内で返してください。"
        )
    for target in targets:
        target = _require_keys(target, frozenset({"resident_code", "valid_until"}), "更新対象者")
        _resident_code(target["resident_code"], field="targets")
        _iso_date(target["valid_until"], "targets")


# --- QUERY_INDIVIDUAL_NUMBER ----------------------------------------------------------------------


def validate_individual_number_query(payload: dict[str, Any]) -> None:
    """QUERY_INDIVIDUAL_NUMBER request: the 住民票コード and whether a new number replaces the old."""
    keys = frozenset({"resident_code", "change", "operator_id", "terminal_id"})
    payload = _require_keys(payload, keys, "個人番号生成要求")
    _resident_code(payload["resident_code"])
    _bool(payload, "change")
    _operator(payload)


def validate_individual_number_answer(payload: dict[str, Any]) -> None:
    """QUERY_INDIVIDUAL_NUMBER answer: the 12-digit 個人番号."""
    payload = _require_keys(payload, frozenset({"individual_number"}), "個人番号生成結果")
    _individual_number(payload["individual_number"])


# --- CARD_EVENT (ordered) -------------------------------------------------------------------------

CARD_EVENT_KEYS = frozenset(
    {
        "card_serial",
        "resident_code",
        "event",
        "event_date",
        "municipality_code",
        "reason",
        "operator_id",
        "terminal_id",
    }
)


def validate_card_event(payload: dict[str, Any]) -> None:
    """CARD_EVENT payload: one lifecycle event of one card, reported by the CS."""
    payload = _require_keys(payload, CARD_EVENT_KEYS, "カード事象")
    _serial(payload["card_serial"])
    _resident_code(payload["resident_code"])
    if payload["event"] not in CARD_EVENTS:
        raise _bad("event", "カード事象の種類が不正です。", "定義された事象の種類を送ってください。")
    _iso_date(payload["event_date"], "event_date")
    if not isinstance(payload["municipality_code"], str):
        raise _bad("municipality_code", "市町村コードの形式が不正です。", "6桁の数字を送ってください。")
    validate_lgcode(payload["municipality_code"], field="municipality_code")
    _text(payload, "reason", limit=_MAX_CARD_REASON)
    _operator(payload)


#: National card events the issuing CS is told of (std 7.1.1.3-a): those J-LIS makes itself.
CARD_STATUS_EVENTS = ("expire", "abolish", "suspend", "release")
CARD_STATUS_NOTICE_KEYS = frozenset({"card_serial", "resident_code", "event", "event_date", "reason"})


def validate_card_status_notice(payload: dict[str, Any]) -> None:
    """CARD_STATUS_NOTICE payload: one status change of one card made nationally, for its CS."""
    payload = _require_keys(payload, CARD_STATUS_NOTICE_KEYS, "カード状態通知")
    _serial(payload["card_serial"])
    _resident_code(payload["resident_code"])
    if payload["event"] not in CARD_STATUS_EVENTS:
        raise _bad("event", "カード状態の種類が不正です。", "定義された状態の種類を送ってください。")
    _iso_date(payload["event_date"], "event_date")
    _text(payload, "reason", limit=_MAX_CARD_REASON)


# --- IDENTITY_UPDATE_REJECTED (ordered) -----------------------------------------------------------

REJECTION_KEYS = frozenset(
    {"rejected_message_id", "rejected_subject", "update_seq", "code", "reason", "remedy"}
)


class _Refused(Protocol):
    """The refused message (a messaging ``Envelope``): its id and stream."""

    @property
    def id(self) -> str: ...
    @property
    def subject(self) -> str: ...


class _Why(Protocol):
    """Why it was refused (a ``DomainError`` or a node's refusal reason): no personal data."""

    @property
    def code(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def remedy(self) -> str: ...


def rejection_payload(refused: _Refused, why: _Why, *, update_seq: int) -> dict[str, Any]:
    """The IDENTITY_UPDATE_REJECTED payload answering ``refused`` (reason and remedy cut to the length
    the receiver takes)."""
    return {
        "rejected_message_id": refused.id,
        "rejected_subject": refused.subject,
        "update_seq": update_seq,
        "code": why.code,
        "reason": why.reason[:_MAX_REJECTION_TEXT],
        "remedy": why.remedy[:_MAX_REJECTION_TEXT],
    }


def validate_rejection(payload: dict[str, Any]) -> None:
    """IDENTITY_UPDATE_REJECTED payload: which message was refused, and why (no personal data)."""
    payload = _require_keys(payload, REJECTION_KEYS, "更新拒否通知")
    message_id = payload["rejected_message_id"]
    try:
        if not isinstance(message_id, str) or str(uuid.UUID(message_id)) != message_id:
            raise ValueError
    except ValueError:
        raise _bad(
            "rejected_message_id", "メッセージIDの形式が不正です。", "小文字のUUIDを送ってください。"
        ) from None
    subject = payload["rejected_subject"]
    if not isinstance(subject, str) or not _SUBJECT.match(subject):
        raise _bad("rejected_subject", "対象キーの形式が不正です。", "英数字64文字以内で送ってください。")
    seq = payload["update_seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise _bad("update_seq", "更新順番号が不正です。", "0以上の整数を送ってください。")
    if not isinstance(payload["code"], str) or not _CODE.match(payload["code"]):
        raise _bad("code", "拒否コードの形式が不正です。", "英小文字の拒否コードを送ってください。")
    _text(payload, "reason", limit=_MAX_REJECTION_TEXT, required=True)
    _text(payload, "remedy", limit=_MAX_REJECTION_TEXT)
