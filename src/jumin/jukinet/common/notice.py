"""The 本人確認情報 notice: the 8 items of 住基法30条の6/30条の7 plus the fields the prefecture keeps.

records.md §4 lists the 8 items (住民票コード, 氏名, 生年月日, 性別, 住所, 個人番号, 異動事由,
異動年月日); §2 lists what the prefecture stores besides them (外字数, ふりがな, 清音化かな, 市町村コード,
大字・字コード, 操作者ID, 操作端末ID, タイムスタンプ, 外字フラグ, 更新順番号, 旧氏). The CS builds one
``IdentityNotice`` per update; the prefecture checks it and forwards the same object to the national
node. ``from_payload`` refuses anything else: unknown keys included (総務省告示第334号: a node accepts
only the items it is defined to receive).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from jumin.domain.checkdigits import (
    JuminhyoCodeRule,
    validate_juminhyo_code,
    validate_lgcode,
    validate_mynumber,
)
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import check_birth_date, check_operator, check_types, require_keys

#: The federation's check-digit rule for 住民票コード. The statutory formula is not public (algorithms.md
#: A.5), so every Jumin node issues and checks codes with the same documented candidate rule.
RESIDENT_CODE_RULE = JuminhyoCodeRule.M11W27_CANDIDATE

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
_AZA = re.compile(r"^\d{0,12}$")


class NoticeReason(StrEnum):
    """異動事由 as sent on the network (records.md §7). J-LIS's code values are not public; these names are
    the federation's codes. CS-only reasons (世帯変更 etc.) never leave the CS."""

    DOMESTIC_MOVE_IN = "国内転入"
    MOVE_IN_FROM_ABROAD = "国外転入等"
    BIRTH = "出生"
    EX_OFFICIO_RECORDING = "職権記載"
    CANCELLATION_ENTRY = "異動の取消し(増)"
    DOMESTIC_MOVE_OUT = "国内転出"
    MOVE_OUT_ABROAD = "国外転出"
    DEATH = "死亡"
    EX_OFFICIO_REMOVAL = "職権消除"
    CANCELLATION_REMOVAL = "異動の取消し(減)"
    MOVE_WITHIN = "転居"
    MINOR_CORRECTION = "軽微な修正"
    EX_OFFICIO_AMENDMENT = "職権修正"
    ERROR_CORRECTION = "誤記修正"
    INDIVIDUAL_NUMBER_CHANGE = "個人番号の変更"
    RESIDENT_CODE_CHANGE = "住民票コードの変更"
    FORMER_SURNAME = "旧氏の記載等"
    CANCELLATION_AMENDMENT = "異動の取消し(修正)"
    #: A person first announced by a CS's initial load (初期ロード): a recording for the receivers,
    #: since they never held the record; never used for a change of the registry.
    INITIAL_LOAD = "初期登録"

    @property
    def records(self) -> bool:
        """A reason that creates a current record (a 転入-like change: the logic check (a) applies)."""
        return self in _RECORDING

    @property
    def removes(self) -> bool:
        """A reason that ends the person's current record."""
        return self in _REMOVAL


_RECORDING = {
    NoticeReason.DOMESTIC_MOVE_IN,
    NoticeReason.MOVE_IN_FROM_ABROAD,
    NoticeReason.BIRTH,
    NoticeReason.EX_OFFICIO_RECORDING,
    NoticeReason.CANCELLATION_ENTRY,
    NoticeReason.INITIAL_LOAD,
}
_REMOVAL = {
    NoticeReason.DOMESTIC_MOVE_OUT,
    NoticeReason.MOVE_OUT_ABROAD,
    NoticeReason.DEATH,
    NoticeReason.EX_OFFICIO_REMOVAL,
    NoticeReason.CANCELLATION_REMOVAL,
}

#: The items a 転居 may change (logic check (b), system.md F13 step 4).
ADDRESS_ITEMS = ("municipality_code", "aza_code", "address", "address_gaiji_count")


@dataclass(frozen=True)
class IdentityNotice:
    """One 本人確認情報 update as it travels CS → prefecture → national (all values JSON scalars)."""

    resident_code: str  # 住民票コード, 11 digits (RESIDENT_CODE_RULE)
    name: str  # 漢字氏名 as registered, IVS kept (foreign residents: the registered name)
    name_gaiji_count: int  # 外字数(氏名)
    name_kana: str  # ふりがな氏名 (full-width katakana), "" when not confirmed
    name_kana_seion: str  # 清音化かな氏名 (search key)
    birth_date: str  # YYYYMMDD; 00 for an unknown month/day, 00000000 when wholly unknown (std 1.1.8)
    sex: str  # "male" | "female" (domain.resident.Sex)
    municipality_code: str  # 市町村コード of the address, 6 digits with check digit
    aza_code: str  # 大字・字コード, up to 12 digits, "" when none
    address: str  # 住所
    address_gaiji_count: int  # 外字数(住所)
    individual_number: str  # 個人番号, 12 digits, "" when not yet assigned
    change_reason: str  # 異動事由 (NoticeReason value)
    change_date: str  # 異動年月日, YYYY-MM-DD
    former_surname: str  # 旧氏 漢字, "" when none
    former_surname_gaiji_count: int
    former_surname_kana: str
    gaiji_flag: bool  # 外字フラグ
    operator_id: str  # 操作者ID (a staff login name, never a person's name)
    terminal_id: str  # 操作端末ID
    timestamp: str  # タイムスタンプ of the CS update, UTC ISO 8601 with Z
    update_seq: int  # 更新順番号 of this person at the CS (≥ 1, increasing)
    removed: bool  # the person is no longer a resident after this update (除票)
    # 旧住民票コード: only on a 住民票コードの変更, so the prefecture and the national node re-key the
    # person (history kept, the old code still findable); "" otherwise. Optional in a payload.
    former_resident_code: str = ""

    def as_payload(self) -> dict[str, Any]:
        """The JSON payload of a ``jukinet.identity_update`` message.

        Every value is a JSON scalar, so a flat copy equals ``dataclasses.asdict`` without its deep copy
        of each value (a cost paid several times per message at the prefecture, performance.md P5).
        """
        return {name: getattr(self, name) for name in _FIELDS}

    @property
    def reason(self) -> NoticeReason:
        """The 異動事由 as an enum (validated on construction through ``from_payload``)."""
        return NoticeReason(self.change_reason)

    def address_only_changes(self, before: IdentityNotice) -> bool:
        """True when everything but the address items (and bookkeeping) is the same as ``before``."""
        ignored = set(ADDRESS_ITEMS) | {
            "change_reason",
            "change_date",
            "operator_id",
            "terminal_id",
            "timestamp",
            "update_seq",
            "former_resident_code",  # belongs to the notice of a code change, not to the person
        }
        return all(
            getattr(self, f.name) == getattr(before, f.name) for f in fields(self) if f.name not in ignored
        )


_FIELDS = {f.name: f for f in fields(IdentityNotice)}
_INT_FIELDS = {"name_gaiji_count", "address_gaiji_count", "former_surname_gaiji_count", "update_seq"}
_BOOL_FIELDS = {"gaiji_flag", "removed"}
_REQUIRED_TEXT = {"name", "address", "resident_code"}


_CODE = "jukinet.notice"


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def _check_formats(payload: dict[str, Any]) -> None:
    validate_juminhyo_code(payload["resident_code"], rule=RESIDENT_CODE_RULE, field="resident_code")
    validate_lgcode(payload["municipality_code"], field="municipality_code")
    if payload["individual_number"]:
        validate_mynumber(payload["individual_number"], field="individual_number")
    check_birth_date(payload["birth_date"], allow_empty=False, field_code=_CODE)
    if payload["sex"] not in ("male", "female"):
        raise _bad("sex", "性別の値が不正です。", "male または female を送ってください。")
    if payload["change_reason"] not in NoticeReason._value2member_map_:
        raise _bad(
            "change_reason",
            "異動事由が本人確認情報の通知対象ではありません。",
            "通知対象の異動事由を送ってください。",
        )
    if not _DATE.match(payload["change_date"]):
        raise _bad("change_date", "異動年月日の形式が不正です。", "YYYY-MM-DD で送ってください。")
    if not _TIMESTAMP.match(payload["timestamp"]):
        raise _bad(
            "timestamp", "タイムスタンプの形式が不正です。", "UTCのISO 8601（末尾Z）で送ってください。"
        )
    if not _AZA.match(payload["aza_code"]):
        raise _bad("aza_code", "大字・字コードの形式が不正です。", "12桁以内の数字を送ってください。")
    check_operator(payload, _CODE)
    _check_former_code(payload)


def _check_former_code(payload: dict[str, Any]) -> None:
    former = payload["former_resident_code"]
    if not former:
        return
    validate_juminhyo_code(former, rule=RESIDENT_CODE_RULE, field="former_resident_code")
    if payload["change_reason"] != NoticeReason.RESIDENT_CODE_CHANGE or former == payload["resident_code"]:
        raise _bad(
            "former_resident_code",
            "旧住民票コードは住民票コードの変更の通知にだけ付けます。",
            "異動事由を「住民票コードの変更」とし、変更前のコードを付けてください。",
        )


def notice_from_payload(payload: dict[str, Any]) -> IdentityNotice:
    """Validate a received payload (every item present, nothing else, right types) → IdentityNotice.

    The 旧住民票コード may be left out (a sender that predates it, or no code change): read as "".
    """
    if isinstance(payload, dict) and "former_resident_code" not in payload:
        payload = {**payload, "former_resident_code": ""}
    payload = require_keys(payload, _FIELDS, _CODE, what="本人確認情報")
    check_types(
        payload,
        _FIELDS,
        _CODE,
        what="本人確認情報",
        ints=_INT_FIELDS,
        bools=_BOOL_FIELDS,
        required=_REQUIRED_TEXT,
    )
    if payload["update_seq"] < 1:
        raise _bad("update_seq", "更新順番号が不正です。", "1以上の整数を送ってください。")
    _check_formats(payload)
    return IdentityNotice(**payload)


def validate_notice_payload(payload: dict[str, Any]) -> None:
    """The validator registered with ``jumin.messaging.handlers`` for ``jukinet.identity_update``."""
    notice_from_payload(payload)


#: The items compared by 整合性確認 (records.md §4): the 8 items, with the name's reading and 旧氏.
CONSISTENCY_ITEMS = (
    "resident_code",
    "name",
    "name_kana",
    "former_surname",
    "birth_date",
    "sex",
    "municipality_code",
    "aza_code",
    "address",
    "individual_number",
    "change_reason",
    "change_date",
    "removed",
)


#: Length of a 整合性確認 key in bytes (the federation's ``consistency-key`` file).
CONSISTENCY_KEY_BYTES = 32
_DIGEST_LABEL = b"jumin-consistency/1\n"


def consistency_digest(notice: IdentityNotice, *, key: bytes) -> str:
    """A 22-character digest of the compared items: equal records have equal digests on every node.

    Stored beside each record when it is written, so that 整合性確認 compares digests in code order
    instead of re-reading a million records (performance.md P6). The items include the 個人番号, so
    the digest is an HMAC-SHA256 under the federation-wide 整合性確認 key (``consistency-key`` in every
    node directory, never in the database): without the key a stored digest cannot be used to try the
    10^11 possible 個人番号 of a record from a database dump.
    """
    return keyed_digest([getattr(notice, name) for name in CONSISTENCY_ITEMS], key=key, label=_DIGEST_LABEL)


def keyed_digest(values: list[Any], *, key: bytes, label: bytes) -> str:
    """The 22-character HMAC-SHA256 digest of ``values`` (canonical JSON) under the 整合性確認 key.

    ``label`` separates the files compared (本人確認情報, 附票本人確認情報), so equal values of two
    different files never give the same digest.
    """
    if not isinstance(key, bytes) or len(key) < CONSISTENCY_KEY_BYTES:
        raise ValueError("the 整合性確認 key must be at least 32 bytes")
    canonical = json.dumps(values, ensure_ascii=False)
    mac = hmac.new(key, label + canonical.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode()[:22]
