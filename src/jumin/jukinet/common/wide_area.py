"""広域交付 (住基法12条の4; system.md F11b): the request and the 広域交付住民票情報 answer.

The issuing municipality B asks the registering municipality A (QUERY_WIDE_AREA_COPY, CS to CS) for a
住民票の写し of a person B has just identified: by the card, checked with the national node, or by another
ID document and the 4情報, matched to exactly one record at the national node. The request carries how
(``identity_check``; the card's serial only for the card), the subject key (the person's 住民票コード, and
for part of a household the members' 住民票コード), the options a wide-area copy may have, and B's
operator and terminal. A answers with the certificate it rendered, sealed and numbered itself (PDF,
base64), its digest and its 発行番号s: B prints it and keeps only the issuance record.

A wide-area copy never carries 本籍・筆頭者 (住基法12条の4第4項), a 個人番号 or history, so the request has no
option for them: a payload that names one is refused as undefined items.

The optional ``kind`` item asks for a 住民票の除票の写し instead (住基法15条の4, 令和元年改正): the
requester's own 除票 at A, so with ``scope`` ``self`` only (a 除票 is the person's own; 同一世帯 is no
ground for it). A request without ``kind`` is a 住民票の写し, as before the item existed, so an A that
predates it still understands every 住民票 request. Pure Python.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from jumin.domain.certificates import CertificateKind, IdentityCheck
from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import check_operator, check_types, require_keys
from jumin.jukinet.common.queries import validate_resident_code

#: Who is printed: the card holder only, the holder's whole household, or named members of it.
SCOPES = ("self", "household", "members")
#: 世帯連記式 or 個人票 (the certificate layouts of ``jumin.domain.certificates.Layout``).
LAYOUTS = ("household", "personal")
#: The requester's relation to the printed people (住基法12条の4第1項: 本人 or 同一世帯の者).
REQUESTER_RELATIONS = ("self", "same_household")
#: 本人確認 at B (住基法12条の4第1項: the card or a document the ministerial ordinance names); a 郵送 or
#: 代理 form is no way to ask for a 広域交付.
IDENTITY_CHECKS = tuple(
    method.value for method in IdentityCheck if method is not IdentityCheck.OFFICIAL_REQUEST_FORM
)
#: What a 広域交付 may copy: the current 住民票 (12条の4) or the requester's 除票 (15条の4).
KINDS = (CertificateKind.COPY.value, CertificateKind.REMOVED_COPY.value)
#: The optional request item naming the kind; absent means a 住民票の写し.
KIND = "kind"
MAX_MEMBERS = 20
MAX_COPIES = 10
_FIELD_CODE = "jukinet.wide_area"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MAX_COPY_NUMBER = 250

REQUEST_KEYS = frozenset(
    {
        "requester_resident_code",
        "identity_check",
        "card_serial",
        "scope",
        "member_resident_codes",
        "layout",
        "show_head_and_relationship",
        "show_juminhyo_code",
        "copies",
        "issuing_municipality_code",
        "operator_id",
        "terminal_id",
    }
)
ANSWER_KEYS = frozenset(
    {"pdf", "pdf_sha256", "copy_numbers", "units", "sheets", "subject_count", "requester_relation"}
)


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _FIELD_CODE)


def _check_identity(payload: dict[str, Any]) -> None:
    """How B identified the person: the card (with its serial) or another ID document (no serial)."""
    method = payload["identity_check"]
    if method not in IDENTITY_CHECKS:
        raise _bad(
            "identity_check",
            "本人確認の方法が不正です。",
            f"{'、'.join(IDENTITY_CHECKS)} のいずれかを送ってください。",
        )
    if (method == IdentityCheck.MYNUMBER_CARD) != bool(payload["card_serial"]):
        raise _bad(
            "card_serial",
            "カードシリアル番号は個人番号カードで本人確認したときだけ送ります。",
            "本人確認の方法とカードシリアル番号を合わせてください。",
        )


def requested_kind(payload: dict[str, Any]) -> CertificateKind:
    """The kind a validated request asks for: a 住民票の写し unless ``kind`` names the 除票の写し."""
    return CertificateKind(payload.get(KIND, CertificateKind.COPY.value))


def _check_kind(payload: dict[str, Any]) -> None:
    """``kind``, when sent, is one of ``KINDS``; a 除票の写し is the requester's own (scope ``self``)."""
    kind = payload.get(KIND, CertificateKind.COPY.value)
    if kind not in KINDS:
        raise _bad(KIND, "証明書の種類が不正です。", f"{'、'.join(KINDS)} のいずれかを送ってください。")
    if kind == CertificateKind.REMOVED_COPY and payload["scope"] != "self":
        raise _bad(
            "scope",
            "除票の写しの広域交付は、請求者本人の除票に限ります。",
            "請求の範囲を本人のみにしてください。",
        )


def validate_wide_area_request(payload: dict[str, Any]) -> None:
    """QUERY_WIDE_AREA_COPY request: subject key, options, the issuing municipality and its operator."""
    keys = REQUEST_KEYS | {KIND} if isinstance(payload, dict) and KIND in payload else REQUEST_KEYS
    payload = require_keys(payload, keys, _FIELD_CODE, what="広域交付請求")
    validate_resident_code(payload["requester_resident_code"], "requester_resident_code")
    check_types(
        payload,
        (
            "card_serial",
            "scope",
            "layout",
            "show_head_and_relationship",
            "show_juminhyo_code",
            "copies",
            "issuing_municipality_code",
        ),
        _FIELD_CODE,
        what="広域交付請求",
        ints=("copies",),
        bools=("show_head_and_relationship", "show_juminhyo_code"),
        required=("issuing_municipality_code",),
        max_text=12,
    )
    _check_identity(payload)
    if payload["scope"] not in SCOPES:
        raise _bad(
            "scope", "請求の範囲が不正です。", "本人のみ・世帯全員・世帯の一部のいずれかを送ってください。"
        )
    _check_kind(payload)
    if payload["layout"] not in LAYOUTS:
        raise _bad("layout", "様式が不正です。", "世帯連記式または個人票を送ってください。")
    if not 1 <= payload["copies"] <= MAX_COPIES:
        raise _bad("copies", "通数は1から10までです。", "通数を直してください。")
    members = payload["member_resident_codes"]
    if not isinstance(members, list) or len(members) > MAX_MEMBERS:
        raise _bad(
            "member_resident_codes",
            "世帯の一部の指定が不正です。",
            "20人以内の住民票コードを送ってください。",
        )
    for member in members:
        validate_resident_code(member, "member_resident_codes")
    if (payload["scope"] == "members") != bool(members):
        raise _bad(
            "member_resident_codes",
            "世帯の一部を請求するときだけ、記載する方の住民票コードを送ります。",
            "請求の範囲と記載する方の指定を合わせてください。",
        )
    validate_lgcode(payload["issuing_municipality_code"], field="issuing_municipality_code")
    check_operator(payload, _FIELD_CODE)


def decode_pdf(text: Any) -> bytes:
    """The PDF bytes of the answer's standard base64 ``pdf`` item, or DomainError."""
    try:
        if not isinstance(text, str):
            raise ValueError
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("pdf", "証明書のデータが不正です。", "PDF を base64 で送ってください。") from None
    if not data.startswith(b"%PDF-"):
        raise _bad("pdf", "証明書のデータが PDF ではありません。", "署名済みの PDF を送ってください。")
    return data


def encode_pdf(data: bytes) -> str:
    """The answer's ``pdf`` item: standard base64 of the signed PDF."""
    return base64.b64encode(data).decode("ascii")


def validate_wide_area_answer(payload: dict[str, Any]) -> None:
    """広域交付住民票情報: the signed PDF, its SHA-256, one 発行番号 per copy, the counts."""
    payload = require_keys(payload, ANSWER_KEYS, _FIELD_CODE, what="広域交付住民票情報")
    check_types(
        payload,
        ("units", "sheets", "subject_count"),
        _FIELD_CODE,
        what="広域交付住民票情報",
        ints=("units", "sheets", "subject_count"),
    )
    if min(payload["units"], payload["sheets"], payload["subject_count"]) < 1:
        raise _bad("units", "広域交付住民票情報の件数が不正です。", "1以上の件数を送ってください。")
    if payload["requester_relation"] not in REQUESTER_RELATIONS:
        raise _bad("requester_relation", "請求者の区分が不正です。", "本人または同一世帯を送ってください。")
    numbers = payload["copy_numbers"]
    if (
        not isinstance(numbers, list)
        or len(numbers) != payload["units"]
        or not all(isinstance(n, str) and 0 < len(n) <= _MAX_COPY_NUMBER for n in numbers)
    ):
        raise _bad("copy_numbers", "発行番号の一覧が不正です。", "通ごとの発行番号を送ってください。")
    digest = payload["pdf_sha256"]
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise _bad("pdf_sha256", "文書のハッシュ値が不正です。", "SHA-256 を小文字16進で送ってください。")
    if hashlib.sha256(decode_pdf(payload["pdf"])).hexdigest() != digest:
        raise _bad(
            "pdf_sha256", "文書がハッシュ値と一致しません。", "署名済みの PDF をそのまま送ってください。"
        )
