"""戸籍附票記載事項通知 (住基法19条1項; std 7.1.1.1-e): the payload the 住所地 sends to the 本籍地.

``jukinet.fuhyo_entry_notice`` travels 住所地 CS → 本籍地 CS, directly between the two CS like the
転入通知 (docs/jukinet.md Flow 13). It carries the 戸籍の附票 items of 住基法17条 (氏名, 住所, 住所を定めた
年月日, 出生の年月日, 男女の別, 住民票コード; for a 国外転出 the fact and its date instead of a new
住所) with the 戸籍の表示 (本籍, 筆頭者) the 本籍地 files it under, the 異動事由 and 異動日, and the
sending municipality. Never the 個人番号: ``require_keys`` refuses any extra item. Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import (
    check_birth_date,
    check_resident_code,
    check_types,
    require_keys,
)
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE

_CODE = "jukinet.fuhyo_entry_notice"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FuhyoEntryNotice:
    """One person's 戸籍附票記載事項通知 (no 個人番号)."""

    resident_code: str  # 住民票コード
    name: str  # 氏名 (氏　名)
    birth_date: str  # 出生の年月日, YYYYMMDD (00 for an unknown month or day)
    sex: str  # 男女の別
    address: str  # 住所 (for a 国外転出: the last address in Japan)
    address_set_date: str  # 住所を定めた年月日, YYYY-MM-DD ("" when unknown)
    moved_abroad: bool  # 国外転出: the 附票 records the 転出 abroad instead of a new 住所
    moved_abroad_on: str  # 国外転出の年月日, YYYY-MM-DD ("" unless ``moved_abroad``)
    honseki: str  # 本籍 (戸籍の表示)
    hittousha: str  # 筆頭者 (戸籍の表示)
    honseki_municipality_code: str  # the 本籍地 the sender resolved from ``honseki``
    change_reason: str  # 異動事由 of the 住民票
    change_date: str  # 異動日, YYYY-MM-DD
    municipality_code: str  # the sending 住所地 (must be the message's sender)

    def as_payload(self) -> dict[str, Any]:
        """The JSON payload of a ``jukinet.fuhyo_entry_notice`` message."""
        return asdict(self)


KEYS = tuple(FuhyoEntryNotice.__dataclass_fields__)


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def _iso_date(value: Any, field: str, *, allow_empty: bool = False) -> None:
    if allow_empty and value == "":
        return
    try:
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise _bad(field, "日付の形式が不正です。", "YYYY-MM-DD で送ってください。") from None


def fuhyo_notice_from_payload(payload: dict[str, Any]) -> FuhyoEntryNotice:
    """Validate a 戸籍附票記載事項通知 payload → FuhyoEntryNotice (a ``individual_number`` key: refused)."""
    payload = require_keys(payload, KEYS, _CODE, what="戸籍附票記載事項通知")
    check_types(
        payload,
        KEYS,
        _CODE,
        what="戸籍附票記載事項通知",
        bools={"moved_abroad"},
        required={"name", "sex", "address", "honseki", "change_reason"},
    )
    check_resident_code(payload["resident_code"], RESIDENT_CODE_RULE, _CODE)
    check_birth_date(payload["birth_date"], allow_empty=False, field_code=_CODE)
    _iso_date(payload["address_set_date"], "address_set_date", allow_empty=True)
    _iso_date(payload["change_date"], "change_date")
    if payload["moved_abroad"]:
        _iso_date(payload["moved_abroad_on"], "moved_abroad_on")
    elif payload["moved_abroad_on"]:
        raise _bad(
            "moved_abroad_on",
            "国外転出でない通知に国外転出の年月日があります。",
            "国外転出のときだけ国外転出の年月日を送ってください。",
        )
    for name in ("honseki_municipality_code", "municipality_code"):
        validate_lgcode(payload[name], field=name)
    return FuhyoEntryNotice(**payload)


def validate_fuhyo_notice_payload(payload: dict[str, Any]) -> None:
    """The validator registered for ``jukinet.fuhyo_entry_notice``."""
    fuhyo_notice_from_payload(payload)
