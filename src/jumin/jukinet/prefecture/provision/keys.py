"""Search keys of a provision request: 住民票コード, 個人番号 or 4情報, checked before any read.

The 4情報 guard is the CS one (jumin.domain.search_guard): at least two items other than sex; the name
or its reading counts once. As at the national node, no item is required in particular.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jumin.domain.checkdigits import validate_juminhyo_code, validate_mynumber
from jumin.domain.errors import DomainError, refusal
from jumin.domain.search_guard import IdentitySearchCriteria, check_identity_search
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE

BY_RESIDENT_CODE = "resident_code"
BY_INDIVIDUAL_NUMBER = "individual_number"
BY_FOUR_ITEMS = "four_items"
SEARCH_BY = (BY_RESIDENT_CODE, BY_INDIVIDUAL_NUMBER, BY_FOUR_ITEMS)
_BIRTH = re.compile(r"^\d{4}(0[0-9]|1[0-2])(0[0-9]|[12][0-9]|3[01])$")
_MAX_TEXT = 200


@dataclass(frozen=True)
class SearchKey:
    """What the operator (or one condition row) gave; unused fields are ""."""

    by: str
    resident_code: str = ""
    individual_number: str = ""
    name: str = ""
    name_kana: str = ""
    birth_date: str = ""  # YYYYMMDD
    sex: str = ""  # "" | "male" | "female"
    address: str = ""

    def __repr__(self) -> str:
        # The key holds personal data: never let it reach a log through repr().
        return f"SearchKey(by={self.by!r})"


def check_key(key: SearchKey) -> SearchKey:
    """The key with its identifier normalised, or DomainError naming what to fix (nothing is read)."""
    if key.by == BY_RESIDENT_CODE:
        code = validate_juminhyo_code(key.resident_code, rule=RESIDENT_CODE_RULE, field="resident_code")
        return SearchKey(by=key.by, resident_code=code)
    if key.by == BY_INDIVIDUAL_NUMBER:
        return SearchKey(by=key.by, individual_number=validate_mynumber(key.individual_number))
    if key.by != BY_FOUR_ITEMS:
        raise refusal(
            "by",
            "検索区分が不正です。",
            "住民票コード、個人番号、4情報のいずれかを選んでください。",
            "provision.search_kind",
        )
    for field, value in (("name", key.name), ("name_kana", key.name_kana), ("address", key.address)):
        if len(value) > _MAX_TEXT:
            raise refusal(
                field, "入力が長すぎます。", f"{_MAX_TEXT}文字以内で入力してください。", "provision.too_long"
            )
    birth = key.birth_date.strip()
    if birth and (not _BIRTH.match(birth) or (birth[4:6] == "00" and birth[6:] != "00")):
        raise refusal(
            "birth_date",
            "生年月日の形式が不正です。",
            "西暦の年月日8桁（例: 19800401）で入力してください。",
            "provision.birth_date",
        )
    sex = key.sex.strip()
    if sex not in ("", "male", "female"):
        raise refusal("sex", "性別の値が不正です。", "男・女を選ぶか、空欄にしてください。", "provision.sex")
    name = key.name.strip() or key.name_kana.strip()
    criteria = IdentitySearchCriteria(
        surname=name or None,
        birth_year=int(birth[:4]) if birth else None,
        address=key.address.strip() or None,
        sex=sex or None,
    )
    try:
        check_identity_search(criteria, require_name=False)
    except DomainError as error:
        raise refusal(error.field, error.reason, error.remedy, "provision.too_few_items") from None
    return SearchKey(
        by=key.by,
        name=key.name.strip(),
        name_kana=key.name_kana.strip(),
        birth_date=birth,
        sex=sex,
        address=key.address.strip(),
    )
