"""The 附票本人確認情報 notice (records.md §3): 18 items, 本籍 and 筆頭者 excluded.

Sent by the 本籍地 municipality's CS to its 附票都道府県サーバ (住基法30条の41) as
``jukinet.fuhyo_update`` and forwarded unchanged to the 附票全国サーバ. ``fuhyo_from_payload`` refuses
any other key (a node accepts only the items it is defined to receive), so a 本籍 or a 個人番号 can
never enter the 附票 file by this route.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from jumin.domain.checkdigits import validate_juminhyo_code, validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import check_birth_date, check_operator, check_types, require_keys
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE, keyed_digest

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = "jukinet.fuhyo"
_WHAT = "附票本人確認情報"


class FuhyoNoticeType(StrEnum):
    """通知区分 (records.md §3 item 18)."""

    NEW = "new"
    CHANGE = "change"
    DELETE = "delete"


class FuhyoState(StrEnum):
    """附票本人確認情報状態区分 (records.md §3 item 15)."""

    CURRENT = "current"
    DELETED = "deleted"


@dataclass(frozen=True)
class FuhyoNotice:
    """One 附票本人確認情報 update (the 18 items, then the operator bookkeeping)."""

    resident_code: str  # 1 住民票コード
    name: str  # 2 氏名漢字
    name_gaiji_count: int  # 3 氏名外字数
    name_kana: str  # 4 氏名ふりがな
    birth_date: str  # 5 生年月日 YYYYMMDD
    sex: str  # 6 性別 male | female
    municipality_code: str  # 7 住所市町村コード ("" for a 国外転出者)
    address: str  # 8 住所漢字
    address_gaiji_count: int  # 9 住所外字数
    last_address: str  # 10 最終住所漢字 (国外転出者), "" otherwise
    last_address_gaiji_count: int  # 11 最終住所外字数
    change_date: str  # 12 異動年月日 YYYY-MM-DD
    former_resident_code: str  # 13 旧住民票コード, "" when none
    fuhyo_municipality_code: str  # 14 附票管理市町村コード (the 本籍地)
    state: str  # 15 附票本人確認情報状態区分 (FuhyoState)
    gaiji_flag: bool  # 16 外字フラグ
    gaiji_pattern: str  # 17 外字パターン, "" when none
    notice_type: str  # 18 通知区分 (FuhyoNoticeType)
    operator_id: str  # 操作者ID at the CS
    terminal_id: str  # 操作端末ID at the CS

    def as_payload(self) -> dict[str, Any]:
        """The JSON payload of a ``jukinet.fuhyo_update`` message."""
        return asdict(self)


FUHYO_FIELDS = tuple(f.name for f in fields(FuhyoNotice))
#: The 18 items without the CS's operator bookkeeping: what a 附票 query answers (records.md §3).
FUHYO_ITEMS = tuple(name for name in FUHYO_FIELDS if name not in ("operator_id", "terminal_id"))
#: What 附票の整合性確認 compares (004 2-⑥): the 18 items but the 通知区分, which says how the last update
#: was sent (記載/修正/消除), not what the file holds.
FUHYO_COMPARED = tuple(name for name in FUHYO_ITEMS if name != "notice_type")
_FUHYO_DIGEST_LABEL = b"jumin-fuhyo-consistency/1\n"
_INT_FIELDS = {"name_gaiji_count", "address_gaiji_count", "last_address_gaiji_count"}
_REQUIRED_TEXT = {"resident_code", "name", "fuhyo_municipality_code"}


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def _check_formats(payload: dict[str, Any]) -> None:
    validate_juminhyo_code(payload["resident_code"], rule=RESIDENT_CODE_RULE, field="resident_code")
    if payload["former_resident_code"]:
        validate_juminhyo_code(
            payload["former_resident_code"], rule=RESIDENT_CODE_RULE, field="former_resident_code"
        )
    validate_lgcode(payload["fuhyo_municipality_code"], field="fuhyo_municipality_code")
    if payload["municipality_code"]:
        validate_lgcode(payload["municipality_code"], field="municipality_code")
    check_birth_date(payload["birth_date"], allow_empty=False, field_code=_CODE)
    if payload["sex"] not in ("male", "female"):
        raise _bad("sex", "性別の値が不正です。", "male または female を送ってください。")
    if not _DATE.match(payload["change_date"]):
        raise _bad("change_date", "異動年月日の形式が不正です。", "YYYY-MM-DD で送ってください。")
    if payload["state"] not in FuhyoState._value2member_map_:
        raise _bad("state", "状態区分が不正です。", "current または deleted を送ってください。")
    if payload["notice_type"] not in FuhyoNoticeType._value2member_map_:
        raise _bad("notice_type", "通知区分が不正です。", "new、change、delete のいずれかを送ってください。")
    if (payload["notice_type"] == FuhyoNoticeType.DELETE) != (payload["state"] == FuhyoState.DELETED):
        raise _bad(
            "state", "通知区分と状態区分が矛盾しています。", "削除の通知だけを状態「deleted」にしてください。"
        )


def _checked_items(payload: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Exactly ``names`` as keys, each of the right type, and the items' formats."""
    checked = require_keys(payload, names, _CODE, what=_WHAT)
    check_types(
        checked, names, _CODE, what=_WHAT, ints=_INT_FIELDS, bools={"gaiji_flag"}, required=_REQUIRED_TEXT
    )
    _check_formats(checked)
    return checked


def fuhyo_from_payload(payload: dict[str, Any]) -> FuhyoNotice:
    """Validate a received payload (exactly the defined items, right types and formats) → FuhyoNotice."""
    payload = _checked_items(payload, FUHYO_FIELDS)
    check_operator(payload, _CODE)
    return FuhyoNotice(**payload)


def fuhyo_items_from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Validate one record of a 附票 query answer: exactly the 18 items, right types and formats."""
    return _checked_items(payload, FUHYO_ITEMS)


def fuhyo_items(stored: dict[str, Any]) -> dict[str, Any]:
    """The 18 items of a stored 附票 notice payload (the CS's operator and terminal left out)."""
    return {name: stored[name] for name in FUHYO_ITEMS}


def validate_fuhyo_payload(payload: dict[str, Any]) -> None:
    """The validator registered for ``jukinet.fuhyo_update``."""
    fuhyo_from_payload(payload)


def former_code_to_rekey(notice: FuhyoNotice) -> str:
    """The 旧住民票コード under which a node should look for this person, or "".

    A 住民票コードの変更 reaches the 附票 as a ``change`` under the new code with item 13 set to the
    old one (records.md §3). A node that holds no 附票 under the new code moves the person's record of
    the old code to it (docs/jukinet.md Flow 9, "住民票コードの変更"); any other notice keys as it is.
    """
    if FuhyoNoticeType(notice.notice_type) is not FuhyoNoticeType.CHANGE:
        return ""
    if notice.former_resident_code in ("", notice.resident_code):
        return ""
    return notice.former_resident_code


def fuhyo_consistency_digest(items: Mapping[str, Any], *, key: bytes) -> str:
    """The 附票 整合性確認 digest of one stored record's items (``FuhyoNotice.as_payload()`` as the CS and
    the prefecture keep it): equal records give equal digests on both nodes. Keyed like the 本人確認情報
    digest (``notice.consistency_digest``), with a label of its own."""
    return keyed_digest([items.get(name) for name in FUHYO_COMPARED], key=key, label=_FUHYO_DIGEST_LABEL)
