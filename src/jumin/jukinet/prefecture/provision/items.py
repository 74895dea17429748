"""The 8 items of 本人確認情報 (records.md §4) as provision sees them: codes, labels, and the record view.

``IdentityView`` is the provision side's reading of one prefecture record (the 28-item record of
records.md §2, reduced to what may ever leave the prefecture); ``source.py`` builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
SEX_LABELS = {"male": "男", "female": "女"}


@dataclass(frozen=True)
class IdentityView:
    """One person's 本人確認情報 at this prefecture (current state, or one history row)."""

    resident_code: str
    name: str
    name_kana: str
    birth_date: str  # YYYYMMDD
    sex: str  # "male" | "female"
    address: str
    individual_number: str  # "" when none
    change_reason: str
    change_date: str  # YYYY-MM-DD
    removed: bool = False
    # The stored (encrypted) 個人番号, so a bulk run decrypts only the persons it provides.
    sealed_number: str = field(default="", repr=False, compare=False)

    def __repr__(self) -> str:
        return "IdentityView(…)"  # personal data: never in a log or a traceback

    def item(self, code: str) -> str:
        """The value of one of the 8 items as text for a screen, form or result file."""
        if code == "sex":
            return SEX_LABELS.get(self.sex, self.sex)
        return str(getattr(self, code))

    def items(self, codes: list[str]) -> dict[str, str]:
        """The allowed items only, in the order of ``ITEMS``."""
        return {code: self.item(code) for code in ITEMS if code in codes}


def clean_items(codes: list[str]) -> list[str]:
    """Known item codes, in the order of ``ITEMS``, without repeats."""
    return [code for code in ITEMS if code in set(codes)]
