"""An EUC extraction definition (standard 10.1-b): items, conditions, AND/OR, sort, rows or counts.

A definition travels as plain JSON (saved per user, replayed by the background job); ``parse_definition``
turns it into a checked ``Definition`` or raises a ``DomainError`` whose reason names the item in
Japanese. Values are compared as text after the item's own normalisation: dates as ``YYYY-MM-DD``,
flags as ``1``/``0``, so every operator has one meaning on every engine (the job filters in Python).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from jumin.domain.errors import DomainError
from jumin.registry.euc.catalogue import CATALOGUE, NEVER_EXTRACTABLE, EucItem, ItemType


class Scope(StrEnum):
    """Which records are searched: 住民 only, 住民と除票, 除票 only, or every committed history row."""

    CURRENT = "current"
    CURRENT_AND_REMOVED = "current_and_removed"
    REMOVED = "removed"
    HISTORY = "history"


SCOPE_LABELS = {
    Scope.CURRENT: "現在の住民",
    Scope.CURRENT_AND_REMOVED: "住民と除票",
    Scope.REMOVED: "除票のみ",
    Scope.HISTORY: "履歴（本登録済みの全履歴）",
}


class Operator(StrEnum):
    """The common operators of standard 10.1-b."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    GT = "gt"
    BETWEEN = "between"
    PREFIX = "prefix"
    IN = "in"
    EMPTY = "empty"


OPERATOR_LABELS = {
    Operator.EQ: "＝（等しい）",
    Operator.NE: "≠（等しくない）",
    Operator.LT: "＜（より小さい）",
    Operator.GT: "＞（より大きい）",
    Operator.BETWEEN: "範囲（から・まで）",
    Operator.PREFIX: "前方一致",
    Operator.IN: "いずれか（読点区切り）",
    Operator.EMPTY: "空欄",
}


class Mode(StrEnum):
    """Output: one row per person (history row), or counts grouped by one item."""

    ROWS = "rows"
    COUNT = "count"


MAX_ITEMS = 40
MAX_CONDITIONS = 20
_ORDERED = {ItemType.DATE, ItemType.DIGITS, ItemType.TEXT, ItemType.CODE}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Condition:
    """One checked condition; ``values`` holds one value, two for between, several for in, none for empty."""

    item: EucItem
    operator: Operator
    values: tuple[str, ...]

    def matches(self, value: str) -> bool:
        """Whether one normalised value satisfies the condition."""
        op, values = self.operator, self.values
        if op is Operator.EMPTY:
            return value == ""
        if op is Operator.EQ:
            return value == values[0]
        if op is Operator.NE:
            return value != values[0]
        if op is Operator.PREFIX:
            return value.startswith(values[0])
        if op is Operator.IN:
            return value in values
        if value == "":
            return False  # an empty item is neither smaller, larger nor inside a range
        key = _ordering(self.item)
        if op is Operator.LT:
            return key(value) < key(values[0])
        if op is Operator.GT:
            return key(value) > key(values[0])
        return key(values[0]) <= key(value) <= key(values[1])


@dataclass(frozen=True)
class SortKey:
    """One sort item, ascending unless ``descending``."""

    item: EucItem
    descending: bool = False


@dataclass(frozen=True)
class Definition:
    """A checked extraction definition."""

    scope: Scope
    items: tuple[EucItem, ...]
    conditions: tuple[Condition, ...]
    combine_or: bool
    sort: tuple[SortKey, ...]
    mode: Mode
    group_by: EucItem | None

    def accepts(self, values: dict[str, str]) -> bool:
        """Whether a row's normalised values satisfy the conditions (all for AND, one for OR)."""
        if not self.conditions:
            return True
        results = (condition.matches(values[condition.item.key]) for condition in self.conditions)
        return any(results) if self.combine_or else all(results)

    def referenced(self) -> tuple[EucItem, ...]:
        """Every item the definition reads: shown, tested, sorted or grouped (for permission checks)."""
        seen: dict[str, EucItem] = {item.key: item for item in self.items}
        for item in (*(c.item for c in self.conditions), *(s.item for s in self.sort)):
            seen.setdefault(item.key, item)
        if self.group_by is not None:
            seen.setdefault(self.group_by.key, self.group_by)
        return tuple(seen.values())


def _ordering(item: EucItem) -> Callable[[str], tuple[int, str]]:
    """Digits compare as numbers (shorter is smaller); other items as text (dates are ISO)."""
    if item.item_type is ItemType.DIGITS:
        return lambda text: (len(text), text)
    return lambda text: (0, text)


def _error(field: str, reason: str, remedy: str, code: str) -> DomainError:
    return DomainError(field=field, reason=reason, remedy=remedy, code=f"euc.{code}")


def _item(key: object, field: str) -> EucItem:
    text = str(key or "")
    if text in NEVER_EXTRACTABLE:
        raise _error(
            field,
            f"{NEVER_EXTRACTABLE[text]}はEUCで抽出できません。",
            "この項目を外してください。",
            "never_extractable",
        )
    item = CATALOGUE.get(text)
    if item is None:
        raise _error(
            field, "抽出項目が項目一覧にありません。", "項目一覧から選んでください。", "unknown_item"
        )
    return item


def normalise_value(item: EucItem, raw: object, field: str) -> str:
    """A condition value in the item's comparable form; a malformed value is refused naming the item."""
    text = str(raw if raw is not None else "").strip()
    if item.item_type is ItemType.DATE:
        try:
            if not _DATE.match(text):
                raise ValueError(text)
            date.fromisoformat(text)
        except ValueError:
            raise _error(
                field,
                f"「{item.label}」の値が日付ではありません。",
                "西暦で 2026-04-01 のように入力してください。",
                "date_format",
            ) from None
    elif item.item_type is ItemType.DIGITS and not text.isdigit():
        raise _error(
            field, f"「{item.label}」の値は数字で入力してください。", "半角数字で入力してください。", "digits"
        )
    elif item.item_type is ItemType.FLAG:
        if text not in ("0", "1"):
            raise _error(
                field,
                f"「{item.label}」の値は 1（あり）か 0（なし）です。",
                "1 か 0 を入力してください。",
                "flag",
            )
    elif item.item_type is ItemType.CODE and item.codes and text not in item.codes:
        raise _error(
            field,
            f"「{item.label}」のコードが一覧にありません。",
            "項目一覧のコードから選んでください。",
            "code",
        )
    if not text:
        raise _error(
            field,
            f"「{item.label}」の値が空です。",
            "値を入力するか、演算子「空欄」を選んでください。",
            "value_missing",
        )
    return text


def _condition(raw: dict[str, Any], index: int) -> Condition:
    field = f"conditions.{index}"
    item = _item(raw.get("item"), field)
    try:
        operator = Operator(str(raw.get("op", "")))
    except ValueError:
        raise _error(
            field,
            f"「{item.label}」の演算子が選ばれていません。",
            "演算子を一覧から選んでください。",
            "operator",
        ) from None
    if operator in (Operator.LT, Operator.GT, Operator.BETWEEN) and item.item_type not in _ORDERED:
        raise _error(
            field, f"「{item.label}」は大小で比べられません。", "＝ か ≠ を使ってください。", "not_ordered"
        )
    if operator is Operator.PREFIX and item.item_type not in (ItemType.TEXT, ItemType.DIGITS):
        raise _error(field, f"「{item.label}」に前方一致は使えません。", "＝ を使ってください。", "no_prefix")
    if operator is Operator.EMPTY:
        return Condition(item, operator, ())
    if operator is Operator.BETWEEN:
        values = (
            normalise_value(item, raw.get("value"), field),
            normalise_value(item, raw.get("value2"), field),
        )
        if _ordering(item)(values[0]) > _ordering(item)(values[1]):
            raise _error(
                field, f"「{item.label}」の範囲が逆です。", "小さい値を先に入力してください。", "range"
            )
        return Condition(item, operator, values)
    if operator is Operator.IN:
        parts = [part for part in re.split(r"[,、，]", str(raw.get("value", ""))) if part.strip()]
        if not parts:
            raise _error(
                field,
                f"「{item.label}」の値が空です。",
                "読点で区切って値を入力してください。",
                "value_missing",
            )
        return Condition(item, operator, tuple(normalise_value(item, part, field) for part in parts))
    return Condition(item, operator, (normalise_value(item, raw.get("value"), field),))


def parse_definition(raw: dict[str, Any]) -> Definition:
    """Check a definition as entered or saved; raises ``DomainError`` naming the item and the remedy."""
    try:
        scope = Scope(str(raw.get("scope", Scope.CURRENT)))
    except ValueError:
        raise _error("scope", "抽出対象が正しくありません。", "一覧から選んでください。", "scope") from None
    try:
        mode = Mode(str(raw.get("mode", Mode.ROWS)))
    except ValueError:
        raise _error(
            "mode", "出力の種類が正しくありません。", "個人一覧か件数を選んでください。", "mode"
        ) from None
    keys = list(dict.fromkeys(str(key) for key in raw.get("items") or []))
    items = tuple(_item(key, "items") for key in keys)
    group_by = _item(raw["group_by"], "group_by") if raw.get("group_by") else None
    if mode is Mode.ROWS and not items:
        raise _error("items", "抽出項目が選ばれていません。", "1つ以上の項目を選んでください。", "no_items")
    if len(items) > MAX_ITEMS:
        raise _error(
            "items", f"抽出項目は{MAX_ITEMS}個までです。", "項目を減らしてください。", "too_many_items"
        )
    raw_conditions = raw.get("conditions") or []
    if len(raw_conditions) > MAX_CONDITIONS:
        raise _error(
            "conditions",
            f"条件は{MAX_CONDITIONS}個までです。",
            "条件を減らしてください。",
            "too_many_conditions",
        )
    conditions = tuple(_condition(dict(c), index) for index, c in enumerate(raw_conditions))
    sort = tuple(
        SortKey(_item(s.get("item"), "sort"), bool(s.get("descending"))) for s in raw.get("sort") or []
    )
    combine = str(raw.get("combine", "and"))
    if combine not in ("and", "or"):
        raise _error("combine", "条件の組合せが正しくありません。", "AND か OR を選んでください。", "combine")
    return Definition(scope, items, conditions, combine == "or", sort, mode, group_by)
