"""What the registry (M1) sends the CS for one person, and the CS's own derived items.

``CsUpdateRequest`` holds exactly the items M1 is defined to send (総務省告示第334号 第6-7; system.md
§1.5 rule 3). The CS computes the rest itself: 清音化かな, 外字数 and 外字フラグ, 更新順番号 and the
タイムスタンプ (records.md §1, §8 rule 3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.domain.kana import kana_search_key
from jumin.jukinet.common.notice import NoticeReason

#: 異動事由 that change only CS items (records.md §7 "CS only"); they never leave the CS.
CS_ONLY_REASONS = frozenset(
    {"世帯変更", "世帯分離", "世帯合併", "世帯主変更", "通称の記載", "通称の削除", "改製", "再製", "転出確定"}
)
CS_REASONS = frozenset(NoticeReason._value2member_map_) | CS_ONLY_REASONS

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OPTIONAL_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})?$")
_POSTAL = re.compile(r"^(\d{7})?$")
_REQUEST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.-]{0,63}$")
_MAX_TEXT = 200


@dataclass(frozen=True)
class CsUpdateRequest:
    """One 本人確認情報 update request M1 → M3 (system.md F13 step 1), all values plain text."""

    request_number: str  # 依頼管理番号: the registry's opaque id of the request (no personal data)
    resident_code: str  # 住民票コード
    name: str  # 漢字氏名 as registered (IVS kept)
    name_kana: str  # ふりがな氏名 (full-width katakana), "" when not confirmed
    birth_date: str  # YYYYMMDD, 00 for unknown parts (std 1.1.8)
    sex: str  # "male" | "female"
    municipality_code: str  # 市町村コード of the address
    aza_code: str  # 大字・字コード, "" when none
    postal_code: str  # 郵便番号, 7 digits or ""
    address: str  # 住所
    individual_number: str  # 個人番号, "" when not yet assigned
    became_resident_date: str  # 住民となった日, YYYY-MM-DD or ""
    address_set_date: str  # 住所を定めた日, YYYY-MM-DD or ""
    notification_date: str  # 届出の年月日, YYYY-MM-DD or ""
    previous_municipality_code: str  # 市町村コード(転入前) or ""
    previous_address: str  # 転入前住所 or ""
    relationship: str  # 続柄
    change_reason: str  # 異動事由 as the CS codes it (NoticeReason value or a CS-only reason)
    change_date: str  # 異動年月日, YYYY-MM-DD
    change_reason_detail: str  # 異動事由詳細 (the registry's own reason text)
    former_resident_code: str  # 旧住民票コード or ""
    code_in_use_date: str  # 住民票コード使用年月日 or ""
    former_surname: str  # 旧氏 漢字 or ""
    former_surname_kana: str  # 旧氏 ふりがな or ""
    removed: bool  # the person is no longer a resident (消除 or 転出予定)
    prospective: bool  # 予定者フラグ: 転出予定 (removed as of a future date)
    operator_id: str  # 操作者ID
    terminal_id: str  # 操作端末ID


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, "jukinet.cs.update")


def check_request(request: CsUpdateRequest) -> None:
    """The CS-only items' formats; the 8 items are checked as the notice the prefecture will check."""
    if not _REQUEST.match(request.request_number):
        raise _bad("request_number", "依頼管理番号の形式が不正です。", "英数字64文字以内で送ってください。")
    if request.change_reason not in CS_REASONS:
        raise _bad("change_reason", "CSで扱わない異動事由です。", "定義された異動事由を送ってください。")
    for name in ("became_resident_date", "address_set_date", "notification_date", "code_in_use_date"):
        if not _OPTIONAL_DATE.match(getattr(request, name)):
            raise _bad(name, "日付の形式が不正です。", "YYYY-MM-DD または空で送ってください。")
    if not _ISO_DATE.match(request.change_date):
        raise _bad("change_date", "異動年月日の形式が不正です。", "YYYY-MM-DD で送ってください。")
    try:
        date.fromisoformat(request.change_date)
    except ValueError:
        raise _bad("change_date", "異動年月日が暦にない日付です。", "正しい日付を送ってください。") from None
    if not _POSTAL.match(request.postal_code):
        raise _bad("postal_code", "郵便番号の形式が不正です。", "7桁の数字または空で送ってください。")
    if request.previous_municipality_code:
        validate_lgcode(request.previous_municipality_code, field="previous_municipality_code")
    if request.former_resident_code and not re.fullmatch(r"\d{11}", request.former_resident_code):
        raise _bad("former_resident_code", "旧住民票コードの形式が不正です。", "11桁の数字で送ってください。")
    for name in (
        "previous_address",
        "relationship",
        "change_reason_detail",
        "name_kana",
        "former_surname_kana",
    ):
        value = getattr(request, name)
        if not isinstance(value, str) or len(value) > _MAX_TEXT:
            raise _bad(name, "文字列の項目が長すぎます。", f"{_MAX_TEXT}文字以内で送ってください。")


def seion_kana(name_kana: str) -> str:
    """清音化かな氏名 (CS item 5): the reading folded for search (voicing marks, small kana; C.1)."""
    if not name_kana.strip():
        return ""
    try:
        return kana_search_key(name_kana, field="name_kana")
    except DomainError:
        # A reading the folding rules refuse stays unsearchable by kana rather than blocking the update.
        return ""


def _is_gaiji(char: str) -> bool:
    if char.isascii():
        return False
    try:
        char.encode("shift_jis")
    except UnicodeEncodeError:
        return True
    return False


def gaiji_count(text: str) -> int:
    """外字数 (records.md §8): characters outside JIS X 0208, a variation-selector sequence counting once."""
    count = 0
    previous_counted = False
    for char in text:
        if 0xE0100 <= ord(char) <= 0xE01EF or 0xFE00 <= ord(char) <= 0xFE0F:
            # An IVS makes the base character a 外字 (a glyph the unified character set must define).
            if not previous_counted:
                count += 1
            previous_counted = True
            continue
        previous_counted = _is_gaiji(char)
        count += previous_counted
    return count
