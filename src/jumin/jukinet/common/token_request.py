"""符号取得要求 through 住基ネット (std 7.1.2.2-a; system.md F18a) and its receipt: the payloads.

The municipality asks, for one person, that the 情報提供ネットワークシステム generate the 符号 (the
person's per-agency token) for it: the CS sends TOKEN_REQUEST to the national node, which answers with
TOKEN_RECEIPT carrying the 処理通番 (process serial) it accepted the request under, or a refusal code.
Neither carries the 個人番号 nor the 統合宛名番号: the national node knows the person by the 住民票コード
(the seeds' 処理通番 + 住民票コード, records.md §12 "符号取得"). Pure Python.
"""

from __future__ import annotations

import re
from typing import Any

from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import refusal
from jumin.jukinet.common.fields import require_keys
from jumin.jukinet.common.queries import validate_resident_code

REQUEST_KEYS = ("request_id", "resident_code", "municipality_code")
RECEIPT_KEYS = ("request_id", "result", "process_number", "code", "reason")
ACCEPTED, REFUSED = "accepted", "refused"
_CODE = "jukinet.token_request"
_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
_PROCESS_NUMBER = re.compile(r"^\d{16}$")
_REFUSAL_CODE = re.compile(r"^[a-z0-9_.]{1,64}$")


def _request_id(value: Any) -> None:
    if not isinstance(value, str) or not _REQUEST_ID.match(value):
        raise refusal("request_id", "要求番号の形式が不正です。", "32桁の16進数で送ってください。", _CODE)


def validate_request_payload(payload: Any) -> None:
    """TOKEN_REQUEST: {"request_id", "resident_code", "municipality_code"}; nothing else (no 個人番号)."""
    payload = require_keys(payload, REQUEST_KEYS, _CODE, what="符号取得要求")
    _request_id(payload["request_id"])
    validate_resident_code(payload["resident_code"])
    validate_lgcode(str(payload["municipality_code"]), field="municipality_code")


def validate_receipt_payload(payload: Any) -> None:
    """TOKEN_RECEIPT: accepted with a 16-digit 処理通番 and no code, or refused with a code only."""
    payload = require_keys(payload, RECEIPT_KEYS, _CODE, what="符号取得要求の受付結果")
    _request_id(payload["request_id"])
    result, number, code, reason = (payload[k] for k in ("result", "process_number", "code", "reason"))
    if result not in (ACCEPTED, REFUSED):
        raise refusal("result", "結果が不正です。", "accepted または refused で送ってください。", _CODE)
    if not all(isinstance(v, str) for v in (number, code, reason)) or len(reason) > 400:
        raise refusal("code", "結果の項目の形式が不正です。", "400文字以内の文字列で送ってください。", _CODE)
    if result == ACCEPTED and (not _PROCESS_NUMBER.match(number) or code or reason):
        raise refusal(
            "process_number",
            "受付の処理通番が不正です。",
            "16桁の処理通番だけを付けて送ってください。",
            _CODE,
        )
    if result == REFUSED and (number or not _REFUSAL_CODE.match(code)):
        raise refusal(
            "code", "拒否コードが不正です。", "処理通番を空にし、拒否コードを付けてください。", _CODE
        )
