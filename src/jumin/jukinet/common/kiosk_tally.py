"""The 証明書交付センター's tallies (日計表・月計表; system.md M7 4, F11c step 5): the KIOSK_TALLY payload.

For one municipality and one period (a day, or a calendar month), per certificate kind: the requests the
centre relayed, how many were issued, the copies and the fees, and the refusals by code; and every
発行番号 the centre logged, so the municipality can match them against its own 交付履歴. No personal data:
the centre holds none. Pure Python.
"""

from __future__ import annotations

import re
from typing import Any

from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import check_types, require_keys

DAILY = "daily"
MONTHLY = "monthly"
PERIODS = (DAILY, MONTHLY)
TALLY_KEYS = frozenset({"period", "first_day", "last_day", "rows", "copy_numbers"})
ROW_KEYS = frozenset({"kind", "requests", "issued", "copies", "fee", "refused"})
ROW_COUNTS = ("requests", "issued", "copies", "fee")
#: A month of a large city's kiosk copies, with room to spare.
MAX_COPY_NUMBERS = 200_000

_CODE = "jukinet.kiosk_tally"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REFUSAL_CODE = re.compile(r"^[a-z0-9_.]{1,64}$")


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def _check_row(row: Any) -> None:
    row = require_keys(row, ROW_KEYS, _CODE, what="集計行", field="rows")
    check_types(
        row, ("kind", *ROW_COUNTS), _CODE, what="集計行", ints=ROW_COUNTS, required=("kind",), max_text=20
    )
    refused = row["refused"]
    if not isinstance(refused, dict) or not all(
        isinstance(code, str) and _REFUSAL_CODE.match(code) and isinstance(n, int) and n > 0
        for code, n in refused.items()
    ):
        raise _bad("refused", "拒否理由別の件数が不正です。", "拒否コードと正の件数の組で送ってください。")
    if row["issued"] + sum(refused.values()) != row["requests"]:
        raise _bad(
            "requests", "請求件数が交付件数と拒否件数の合計と合いません。", "集計をやり直してください。"
        )


def validate_tally(payload: Any) -> None:
    """KIOSK_TALLY: one municipality's 日計表 or 月計表 (first and last day included)."""
    payload = require_keys(payload, TALLY_KEYS, _CODE, what="コンビニ交付集計表")
    if payload["period"] not in PERIODS:
        raise _bad("period", "集計の区分が不正です。", "daily か monthly を送ってください。")
    for field in ("first_day", "last_day"):
        if not isinstance(payload[field], str) or not _DATE.match(payload[field]):
            raise _bad(field, "集計期間の日付の形式が不正です。", "YYYY-MM-DD で送ってください。")
    if payload["first_day"] > payload["last_day"]:
        raise _bad("last_day", "集計期間の終わりが始まりより前です。", "期間を直してください。")
    rows = payload["rows"]
    if not isinstance(rows, list) or len(rows) > 10:
        raise _bad("rows", "集計行が不正です。", "証明書の種類ごとに送ってください。")
    for row in rows:
        _check_row(row)
    numbers = payload["copy_numbers"]
    if not isinstance(numbers, list) or len(numbers) > MAX_COPY_NUMBERS:
        raise _bad(
            "copy_numbers", "発行番号の一覧が不正です。", f"{MAX_COPY_NUMBERS}件以内で送ってください。"
        )
    if not all(isinstance(number, str) and 0 < len(number) <= 250 for number in numbers):
        raise _bad("copy_numbers", "発行番号の形式が不正です。", "250文字以内の文字列で送ってください。")
