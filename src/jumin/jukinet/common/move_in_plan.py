"""転入予定連絡 (引越しワンストップ; standard 7.2.5-a; seed 000 別添1 (1) 6): the MOVE_IN_PLAN payload.

When a 転出 filed as an e-application is committed, the 転出元 tells the 転入先 who plans to move in and
when, so a clerk there can prepare before the visit. The message goes 転出元 → the national e-application
service → 転入先 (the same type both legs; ``to_municipality_code`` names the 転入先). It carries what a
clerk needs to prepare and no more: no 個人番号, no 本籍. Pure Python.
"""

from __future__ import annotations

import re
from typing import Any

from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.e_application import DESTINATION_MAX
from jumin.jukinet.common.fields import check_types, require_keys
from jumin.jukinet.common.queries import validate_resident_code

PLAN_KEYS = frozenset(
    {
        "receipt_number",
        "from_municipality_code",
        "to_municipality_code",
        "planned_date",
        "destination",
        "from_address",
        "movers",
    }
)
MOVER_KEYS = frozenset(
    {
        "resident_code",
        "surname",
        "given_name",
        "surname_kana",
        "given_name_kana",
        "birth_date",
        "sex",
        "relationship",
    }
)
MAX_MOVERS = 50

_CODE = "jukinet.move_in_plan"
_MUNICIPALITY = re.compile(r"^\d{6}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RECEIPT = re.compile(r"^[0-9A-Z-]{6,32}$")


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def _check_mover(mover: Any) -> None:
    mover = require_keys(mover, MOVER_KEYS, _CODE, what="転入予定者", field="movers")
    validate_resident_code(mover["resident_code"], "movers")
    # The 生年月日 as recorded and displayed (it may be partly unknown), not a date to compute with.
    names = ("surname", "given_name", "surname_kana", "given_name_kana", "birth_date", "sex", "relationship")
    check_types(mover, names, _CODE, what="転入予定者", required=("surname", "birth_date"), max_text=100)


def validate_move_in_plan(payload: Any) -> None:
    """MOVE_IN_PLAN: the 転入予定 of the movers of one committed e-application 転出."""
    payload = require_keys(payload, PLAN_KEYS, _CODE, what="転入予定連絡")
    if not isinstance(payload["receipt_number"], str) or not _RECEIPT.match(payload["receipt_number"]):
        raise _bad("receipt_number", "受付番号の形式が不正です。", "電子申請の受付番号を送ってください。")
    for field in ("from_municipality_code", "to_municipality_code"):
        if not isinstance(payload[field], str) or not _MUNICIPALITY.match(payload[field]):
            raise _bad(field, "市町村コードの形式が不正です。", "6桁の市町村コードを送ってください。")
    if not isinstance(payload["planned_date"], str) or not _DATE.match(payload["planned_date"]):
        raise _bad("planned_date", "転入予定日の形式が不正です。", "YYYY-MM-DD で送ってください。")
    check_types(
        payload, ("destination", "from_address"), _CODE, what="転入予定連絡", max_text=DESTINATION_MAX * 3
    )
    movers = payload["movers"]
    if not isinstance(movers, list) or not 1 <= len(movers) <= MAX_MOVERS:
        raise _bad(
            "movers", "転入予定者がいないか多すぎます。", f"1人から{MAX_MOVERS}人までで送ってください。"
        )
    for mover in movers:
        _check_mover(mover)
