"""The 8 items of 本人確認情報 (records.md §4) as provision sees them: codes and labels.

The record view, ``IdentityView``, is the type of the prefecture store's reads
(jumin.jukinet.prefecture.selectors); it is re-exported here for the provision modules.
"""

from __future__ import annotations

from jumin.jukinet.prefecture.selectors import SEX_LABELS, IdentityView

__all__ = ["ITEMS", "SEX_LABELS", "TRANSITIONAL_ITEMS", "IdentityView", "clean_items"]

#: Item codes in the order of records.md §4, with their Japanese labels.
ITEMS: dict[str, str] = {
    "resident_code": "住民票コード",
    "name": "氏名",
    "birth_date": "生年月日",
    "sex": "性別",
    "address": "住所",
    "individual_number": "個人番号",
    "change_reason": "異動事由",
    "change_date": "異動年月日",
}
#: The 住民票コード is provided only as a transitional measure (番号整備法22条7項).
TRANSITIONAL_ITEMS = frozenset({"resident_code"})


def clean_items(codes: list[str]) -> list[str]:
    """Known item codes, in the order of ``ITEMS``, without repeats."""
    return [code for code in ITEMS if code in set(codes)]
