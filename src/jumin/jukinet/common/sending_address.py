"""送付先情報 (records.md §5, system.md F15): the 67-item record, its derived items and its validator.

The registry (M1) builds a ``SendingAddress`` with ``make_sending_address`` from the source items
only; the derived items (項目長, 外字数, 外字フラグ, 外字パターン and the 代替文字 items 53–59) are
computed here, never taken as independent truth (records.md §8 rule 3). The CS stores and sends the
record (SENDING_ADDRESS), the national node (N4) checks and keeps it; both validate the payload with
``validate_sending_address_payload``, which also recomputes the derived items.

Item number → field::

     1  control_number                     35  operator_id
     2  mail_postal_code                   36  terminal_id
     3  mail_address_length                37  print_category
     4  mail_address                       38  resident_code
     5  mail_address_gaiji_count           39  name_length
     6  mail_name_length                   40  name
     7  mail_name                          41  name_gaiji_count
     8  mail_name_gaiji_count              42  name_kana_length
     9  municipality_code                  43  name_kana
    10  municipality_name_length           44  postal_code
    11  municipality_name                  45  address_length
    12  municipality_postal_code           46  address
    13  municipality_address_length        47  address_gaiji_count
    14  municipality_address               48  birth_date
    15  municipality_address_gaiji_count   49  sex
    16  municipality_phone                 50  individual_number
    17  issuing_place_name_length          51  foreign_category
    18  issuing_place_name                 52  stay_expiry_date
    19  issuing_place_name_gaiji_count     53  substitute_result
    20  issuing_place_postal_code          54  substitute_name_length
    21  issuing_place_address_length       55  substitute_name
    22  issuing_place_address              56  substitute_address_length
    23  issuing_place_address_gaiji_count  57  substitute_address
    24  issuing_place_phone                58  substitute_name_positions
    25  card_delivery_name_length          59  substitute_address_positions
    26  card_delivery_name                 60  gaiji_flag
    27  card_delivery_name_gaiji_count     61  gaiji_pattern
    28  card_delivery_postal_code          62  former_surname
    29  card_delivery_address_length       63  former_surname_gaiji_count
    30  card_delivery_address              64  former_surname_kana
    31  card_delivery_address_gaiji_count  65  former_surname_gaiji_seq
    32  card_delivery_phone                66  romanised_name
    33  batch_count                        67  romanised_former_surname
    34  processing_date

外字 rule (for now, until the 住基ネット統一文字 table is loaded): a character is a 外字 when it carries
an ideographic variation selector (IVS, U+E0100–E01EF, or U+FE00–FE0F) or when it is outside JIS X
0208 (it cannot be encoded in Shift_JIS; ASCII never counts). A character followed by its selector
counts as one character everywhere (項目長, 外字数 and positions).

代替文字 rule: a 外字 with a selector is replaced by its base character when that base is in JIS X
0208; any other 外字 is replaced by 〓 (ゲタ, the conventional mark for an unprintable character).
Positions (items 58–59) are 1-based character positions joined by ``,``. 代替文字変換結果 (item 53):
"0" no 外字, "1" every 外字 replaced by its base character, "2" at least one replaced by 〓.
外字パターン (item 61; the real format is set by J-LIS): the distinct 外字 of items 4, 7, 40, 46 and
62 as ``U+XXXX`` code point sequences (``_`` between the base and its selector), space-separated.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Any

from jumin.domain.checkdigits import validate_juminhyo_code, validate_lgcode, validate_mynumber
from jumin.domain.errors import DomainError, refusal
from jumin.domain.holidays import is_closed_day
from jumin.domain.unified_characters import printed_characters
from jumin.jukinet.common.fields import check_birth_date, check_operator, check_types, require_keys
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE

#: 印刷区分 (item 37) [derived]: which documents N4 prints.
PRINT_NEW_NUMBER = "1"  # 個人番号通知書 and 交付申請書 for a newly assigned number (出生, first registration)
PRINT_CHANGED_NUMBER = "2"  # the same after a 個人番号 change (F22 step 4)
PRINT_CATEGORIES = (PRINT_NEW_NUMBER, PRINT_CHANGED_NUMBER)
#: 代替文字変換結果 (item 53).
SUBSTITUTE_NONE, SUBSTITUTE_BASE, SUBSTITUTE_GETA = "0", "1", "2"
GETA = "〓"
#: Results of SENDING_ADDRESS_RESULT.
ACCEPTED, REFUSED = "accepted", "refused"

MAX_TEXT = 200
_CONTROL = re.compile(r"^[0-9a-f]{32}$")
_POSTAL = re.compile(r"^(\d{7})?$")
_PHONE = re.compile(r"^[0-9-]{0,20}$")
_DAY = re.compile(r"^\d{8}$")
_ISO_OR_EMPTY = re.compile(r"^(\d{4}-\d{2}-\d{2})?$")
_CODE = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
_SEXES = ("male", "female")
_KINDS = ("text", "length", "gaiji")


def _is_selector(char: str) -> bool:
    code = ord(char)
    return 0xE0100 <= code <= 0xE01EF or 0xFE00 <= code <= 0xFE0F


def _in_jis_x_0208(char: str) -> bool:
    if char.isascii():
        return True
    try:
        char.encode("shift_jis")
    except UnicodeEncodeError:
        return False
    return True


def characters(text: str) -> list[str]:
    """The text as printed characters: a base character and its variation selector stay together."""
    return list(printed_characters(text))


def is_gaiji(character: str) -> bool:
    """Whether one printed character (base + optional selector) is a 外字 under the rule above."""
    return len(character) > 1 or not _in_jis_x_0208(character)


def item_length(text: str) -> int:
    """項目長: the number of printed characters."""
    return len(characters(text))


def gaiji_count(text: str) -> int:
    """外字数 of one text item."""
    return sum(1 for character in characters(text) if is_gaiji(character))


def substitute(text: str) -> tuple[str, str, str]:
    """(text with 代替文字, 1-based positions joined by ",", "1" or "2" when a 〓 was needed, else "0")."""
    out: list[str] = []
    positions: list[str] = []
    result = SUBSTITUTE_NONE
    for index, character in enumerate(characters(text), start=1):
        if not is_gaiji(character):
            out.append(character)
            continue
        positions.append(str(index))
        base = character[0]
        if _in_jis_x_0208(base) and not _is_selector(base):
            out.append(base)
            result = max(result, SUBSTITUTE_BASE)
        else:
            out.append(GETA)
            result = SUBSTITUTE_GETA
    return "".join(out), ",".join(positions), result


def _pattern(*texts: str) -> str:
    seen: dict[str, None] = {}
    for text in texts:
        for character in characters(text):
            if is_gaiji(character):
                seen["_".join(f"U+{ord(c):04X}" for c in character)] = None
    return " ".join(seen)


#: Text items and their (項目長 field, 外字数 field); "" where the layout has none.
TEXT_ITEMS: dict[str, tuple[str, str]] = {
    "mail_address": ("mail_address_length", "mail_address_gaiji_count"),
    "mail_name": ("mail_name_length", "mail_name_gaiji_count"),
    "municipality_name": ("municipality_name_length", ""),
    "municipality_address": ("municipality_address_length", "municipality_address_gaiji_count"),
    "issuing_place_name": ("issuing_place_name_length", "issuing_place_name_gaiji_count"),
    "issuing_place_address": ("issuing_place_address_length", "issuing_place_address_gaiji_count"),
    "card_delivery_name": ("card_delivery_name_length", "card_delivery_name_gaiji_count"),
    "card_delivery_address": ("card_delivery_address_length", "card_delivery_address_gaiji_count"),
    "name": ("name_length", "name_gaiji_count"),
    "name_kana": ("name_kana_length", ""),
    "address": ("address_length", "address_gaiji_count"),
    "former_surname": ("", "former_surname_gaiji_count"),
}


@dataclass(frozen=True)
class SendingAddress:
    """The 67 items of one 送付先情報 record, in layout order (item numbers in the module docstring)."""

    control_number: str
    mail_postal_code: str
    mail_address_length: int
    mail_address: str
    mail_address_gaiji_count: int
    mail_name_length: int
    mail_name: str
    mail_name_gaiji_count: int
    municipality_code: str
    municipality_name_length: int
    municipality_name: str
    municipality_postal_code: str
    municipality_address_length: int
    municipality_address: str
    municipality_address_gaiji_count: int
    municipality_phone: str
    issuing_place_name_length: int
    issuing_place_name: str
    issuing_place_name_gaiji_count: int
    issuing_place_postal_code: str
    issuing_place_address_length: int
    issuing_place_address: str
    issuing_place_address_gaiji_count: int
    issuing_place_phone: str
    card_delivery_name_length: int
    card_delivery_name: str
    card_delivery_name_gaiji_count: int
    card_delivery_postal_code: str
    card_delivery_address_length: int
    card_delivery_address: str
    card_delivery_address_gaiji_count: int
    card_delivery_phone: str
    batch_count: int
    processing_date: str
    operator_id: str
    terminal_id: str
    print_category: str
    resident_code: str
    name_length: int
    name: str
    name_gaiji_count: int
    name_kana_length: int
    name_kana: str
    postal_code: str
    address_length: int
    address: str
    address_gaiji_count: int
    birth_date: str
    sex: str
    individual_number: str
    foreign_category: str
    stay_expiry_date: str
    substitute_result: str
    substitute_name_length: int
    substitute_name: str
    substitute_address_length: int
    substitute_address: str
    substitute_name_positions: str
    substitute_address_positions: str
    gaiji_flag: bool
    gaiji_pattern: str
    former_surname: str
    former_surname_gaiji_count: int
    former_surname_kana: str
    former_surname_gaiji_seq: int
    romanised_name: str
    romanised_former_surname: str

    def as_payload(self) -> dict[str, Any]:
        """The record as the SENDING_ADDRESS payload (all 67 items, JSON types)."""
        return asdict(self)


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SendingAddress))
assert len(FIELD_NAMES) == 67
_DERIVED = frozenset(
    [name for pair in TEXT_ITEMS.values() for name in pair if name]
    + [
        "substitute_result",
        "substitute_name_length",
        "substitute_name",
        "substitute_address_length",
        "substitute_address",
        "substitute_name_positions",
        "substitute_address_positions",
        "gaiji_flag",
        "gaiji_pattern",
    ]
)
#: The items the builder supplies; everything else is computed.
SOURCE_FIELDS: tuple[str, ...] = tuple(name for name in FIELD_NAMES if name not in _DERIVED)
_INT_SOURCE = frozenset({"batch_count", "former_surname_gaiji_seq"})


def derived_items(source: dict[str, Any]) -> dict[str, Any]:
    """The derived items (項目長, 外字数, 外字フラグ, 外字パターン, 代替文字) of the source items."""
    out: dict[str, Any] = {}
    for text_field, (length_field, count_field) in TEXT_ITEMS.items():
        text = source[text_field]
        if length_field:
            out[length_field] = item_length(text)
        if count_field:
            out[count_field] = gaiji_count(text)
    name, name_positions, name_result = substitute(source["name"])
    address, address_positions, address_result = substitute(source["address"])
    out.update(
        substitute_result=max(name_result, address_result),
        substitute_name_length=item_length(name),
        substitute_name=name,
        substitute_address_length=item_length(address),
        substitute_address=address,
        substitute_name_positions=name_positions,
        substitute_address_positions=address_positions,
    )
    flagged = ("mail_address", "mail_name", "name", "address", "former_surname")
    out["gaiji_flag"] = any(gaiji_count(source[item]) for item in flagged)
    out["gaiji_pattern"] = _pattern(*(source[item] for item in flagged))
    return out


_CODE_SENDING = "jukinet.sending_address"
_WHAT = "送付先情報"
_POSTAL_CODES = (
    "mail_postal_code",
    "municipality_postal_code",
    "issuing_place_postal_code",
    "card_delivery_postal_code",
    "postal_code",
)


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE_SENDING)


def _check_source(source: dict[str, Any]) -> None:
    check_types(source, SOURCE_FIELDS, _CODE_SENDING, what=_WHAT, ints=_INT_SOURCE, max_text=MAX_TEXT)
    if not _CONTROL.match(source["control_number"]):
        raise _bad("control_number", "送付先管理番号の形式が不正です。", "32桁の16進数で送ってください。")
    for name in _POSTAL_CODES:
        if not _POSTAL.match(source[name]):
            raise _bad(name, "郵便番号の形式が不正です。", "7桁の数字または空で送ってください。")
    for name in ("municipality_phone", "issuing_place_phone", "card_delivery_phone"):
        if not _PHONE.match(source[name]):
            raise _bad(name, "電話番号の形式が不正です。", "数字とハイフンで送ってください。")
    for name in ("mail_address", "mail_name", "municipality_name", "issuing_place_name", "name", "address"):
        if not source[name].strip():
            raise _bad(name, "必須の項目が空です。", "値を送ってください。")
    # The checkers normalise (full-width digits, spaces); a payload must already be in normal form.
    normal = {
        "municipality_code": validate_lgcode(source["municipality_code"], field="municipality_code"),
        "resident_code": validate_juminhyo_code(
            source["resident_code"], rule=RESIDENT_CODE_RULE, field="resident_code"
        ),
        "individual_number": validate_mynumber(source["individual_number"], field="individual_number"),
    }
    for name, value in normal.items():
        if value != source[name]:
            raise _bad(name, "番号の形式が不正です。", "半角数字だけで送ってください。")
    if source["batch_count"] < 1:
        raise _bad("batch_count", "対象となる人数が不正です。", "1以上で送ってください。")
    if not _DAY.match(source["processing_date"]):
        raise _bad("processing_date", "処理年月日の形式が不正です。", "YYYYMMDD で送ってください。")
    check_operator(source, _CODE_SENDING)
    if source["print_category"] not in PRINT_CATEGORIES:
        raise _bad("print_category", "印刷区分が不正です。", "定義された印刷区分を送ってください。")
    check_birth_date(source["birth_date"], allow_empty=False, field_code=_CODE_SENDING)
    if source["sex"] not in _SEXES:
        raise _bad("sex", "性別が不正です。", "male または female で送ってください。")
    if not _ISO_OR_EMPTY.match(source["stay_expiry_date"]):
        raise _bad(
            "stay_expiry_date",
            "在留期間の満了の日の形式が不正です。",
            "YYYY-MM-DD または空で送ってください。",
        )


def make_sending_address(**source: Any) -> SendingAddress:
    """A checked record from the source items (exactly ``SOURCE_FIELDS``); DomainError when invalid."""
    require_keys(
        source, SOURCE_FIELDS, _CODE_SENDING, what=_WHAT, remedy="定義された項目だけを渡してください。"
    )
    _check_source(source)
    return SendingAddress(**source, **derived_items(source))


def validate_sending_address_payload(payload: Any) -> None:
    """SENDING_ADDRESS: exact 67 keys, formats, and derived items equal to their recomputation."""
    payload = require_keys(
        payload, FIELD_NAMES, _CODE_SENDING, what=_WHAT, remedy="67項目だけを送ってください。"
    )
    source = {name: payload[name] for name in SOURCE_FIELDS}
    _check_source(source)
    expected = derived_items(source)
    for name, value in expected.items():
        if payload[name] != value or type(payload[name]) is not type(value):
            raise _bad(
                name,
                "項目長・外字数・代替文字の項目が内容と一致しません。",
                "内容から計算し直して送ってください。",
            )


def sending_address_from_payload(payload: dict[str, Any]) -> SendingAddress:
    """The record of a validated payload."""
    validate_sending_address_payload(payload)
    return SendingAddress(**payload)


def validate_result_payload(payload: Any) -> None:
    """SENDING_ADDRESS_RESULT: {"control_number", "result", "code", "reason"}."""
    payload = require_keys(
        payload, ("control_number", "result", "code", "reason"), _CODE_SENDING, what="送付先情報の結果"
    )
    if not isinstance(payload["control_number"], str) or not _CONTROL.match(payload["control_number"]):
        raise _bad("control_number", "送付先管理番号の形式が不正です。", "32桁の16進数で送ってください。")
    if payload["result"] not in (ACCEPTED, REFUSED):
        raise _bad("result", "結果が不正です。", "accepted または refused で送ってください。")
    code, reason = payload["code"], payload["reason"]
    if not isinstance(code, str) or not isinstance(reason, str) or len(reason) > 400:
        raise _bad("code", "拒否コード・理由の形式が不正です。", "400文字以内の文字列で送ってください。")
    if payload["result"] == REFUSED and not _CODE.match(code):
        raise _bad("code", "拒否コードがありません。", "拒否の理由コードを送ってください。")
    if payload["result"] == ACCEPTED and (code or reason):
        raise _bad("code", "受理に拒否コードは付けられません。", "空で送ってください。")


def next_business_day(day: date) -> date:
    """The first business day after ``day`` (weekends, holidays and 12/29–1/3 skipped)."""
    following = day + timedelta(days=1)
    while is_closed_day(following):
        following += timedelta(days=1)
    return following


def deletion_day(linked_on: date) -> date:
    """The day the CS deletes a record linked on ``linked_on``: 1 business day later (F15 step 6)."""
    return next_business_day(linked_on)
