"""失効申請 and the 失効リスト (CRL) of JPKI electronic certificates between a municipality and the 機構
(std 7.2.5-a). Pure Python.

``QUERY_CERTIFICATE_REVOCATION`` (municipality → national): a clerk recorded the holder's 失効申請 of the
署名用 or 利用者証明用 certificate of their live card; the 機構 revokes it and answers the serial and the
time. ``QUERY_REVOCATION_LIST`` (municipality → national): the 機構's current CRL of 署名用電子証明書, an
X.509 CRL signed by its JPKI CA key; the municipality checks that signature against the CA certificate it
pinned at setup, never against one a message carries.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import check_operator, require_keys
from jumin.jukinet.common.queries import validate_resident_code

SIGNING, USER = "signing", "user"
#: Which certificate a 失効申請 names, with its Japanese name.
CERTIFICATES = {SIGNING: "署名用電子証明書", USER: "利用者証明用電子証明書"}
#: Who applied: the holder, or their 法定代理人 / 任意代理人 (JPKI accepts both at the counter).
APPLICANTS = {"self": "本人", "legal_representative": "法定代理人", "proxy": "任意代理人"}
MAX_REASON = 100
#: The largest DER CRL an answer may carry (each entry ~40 bytes).
MAX_CRL_BYTES = 4_000_000
REQUEST_KEYS = ("resident_code", "certificate", "applicant", "reason", "operator_id", "terminal_id")
_CODE = "jukinet.revocation"
_SERIAL = re.compile(r"^[0-9A-F]{16}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def validate_request(payload: Any) -> None:
    """QUERY_CERTIFICATE_REVOCATION question: the person, which certificate, who applied, why."""
    payload = require_keys(payload, REQUEST_KEYS, _CODE, what="失効申請")
    validate_resident_code(payload["resident_code"])
    if payload["certificate"] not in CERTIFICATES:
        raise _bad(
            "certificate", "失効させる電子証明書の種類が不正です。", "signing か user を送ってください。"
        )
    if payload["applicant"] not in APPLICANTS:
        raise _bad(
            "applicant", "申請者の区分が不正です。", "self・legal_representative・proxy のいずれかです。"
        )
    reason = payload["reason"]
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise _bad("reason", "失効の理由がないか長すぎます。", f"{MAX_REASON}文字以内で送ってください。")
    check_operator(payload, _CODE)


def validate_request_answer(payload: Any) -> None:
    """The answer: the revoked certificate's serial (16 hex) and when (UTC, seconds)."""
    payload = require_keys(payload, ("serial", "revoked_at"), _CODE, what="失効申請の結果")
    if not isinstance(payload["serial"], str) or not _SERIAL.match(payload["serial"]):
        raise _bad("serial", "シリアル番号の形式が不正です。", "16桁の英大文字16進数で送ってください。")
    if not isinstance(payload["revoked_at"], str) or not _TIME.match(payload["revoked_at"]):
        raise _bad("revoked_at", "失効日時の形式が不正です。", "YYYY-MM-DDTHH:MM:SSZ で送ってください。")


def validate_list_request(payload: Any) -> None:
    """QUERY_REVOCATION_LIST question: only the operator (the list is the same for everyone)."""
    payload = require_keys(payload, ("operator_id", "terminal_id"), _CODE, what="失効リストの取得")
    check_operator(payload, _CODE)


def encode_crl(crl: x509.CertificateRevocationList) -> str:
    """The DER CRL as unpadded base64url (its form in the answer)."""
    return base64.urlsafe_b64encode(crl.public_bytes(Encoding.DER)).decode("ascii").rstrip("=")


def decode_crl(text: Any) -> x509.CertificateRevocationList:
    """An unpadded base64url DER CRL, or DomainError (its signature is not checked here)."""
    try:
        if not isinstance(text, str) or not 0 < len(text) <= MAX_CRL_BYTES * 4 // 3 + 4:
            raise ValueError
        return x509.load_der_x509_crl(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):
        raise _bad(
            "crl", "失効リストを読み取れません。", "DER形式のCRLを base64url で送ってください。"
        ) from None


def validate_list_answer(payload: Any) -> None:
    """QUERY_REVOCATION_LIST answer: ``{"crl"}``, a readable X.509 CRL."""
    payload = require_keys(payload, ("crl",), _CODE, what="失効リスト")
    decode_crl(payload["crl"])
