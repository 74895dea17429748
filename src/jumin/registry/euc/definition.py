"""An EUC extraction definition (standard 10.1-b): items, nested AND/OR conditions, sort, rows or totals.

A definition travels as plain JSON (saved per user, replayed by the background job); ``parse_definition``
turns it into a checked ``Definition`` or raises a ``DomainError`` whose reason names the item in
Japanese. Values are compared as text after the item's own normalisation: dates as ``YYYY-MM-DD``
(entered as 西暦 or 和暦), flags as ``1``/``0``, so every operator has one meaning on every engine
(the job filters in Python). Conditions form a tree: the top level and each group (``groups``) combine
their conditions and subgroups with AND or OR, up to ``MAX_DEPTH`` levels. A totals output groups by
one or two items and adds functions per group (件数・合計・平均・最小・最大).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from itertools import chain
from typing import Any

from jumin.domain.errors import DomainError
from jumin.domain.uncertain_dates import UncertainDate
from jumin.domain.wareki import parse_date_input
from jumin.registry.euc.catalogue import (
    CARD_EVENT_PREFIX,
    CATALOGUE,
    NEVER_EXTRACTABLE,
    REFERENCE_DATE_SOURCES,
    EucItem,
    ItemType,
)


class Scope(StrEnum):
    """Which records are searched: 住民 only, 住民と除票, 除票 only, every committed history row, the
    除票データベース, or every card event (one row per ``CardEvent``, with the person's current row)."""

    CURRENT = "current"
    CURRENT_AND_REMOVED = "current_and_removed"
    REMOVED = "removed"
    HISTORY = "history"
    ARCHIVE = "archive"
    CARD_EVENTS = "card_events"


SCOPE_LABELS = {
    Scope.CURRENT: "現在の住民",
    Scope.CURRENT_AND_REMOVED: "住民と除票",
    Scope.REMOVED: "除票のみ",
    Scope.HISTORY: "履歴（本登録済みの全履歴）",
    Scope.ARCHIVE: "除票データベース（移された除票）",
    Scope.CARD_EVENTS: "カード交付履歴（カードの記録1件ごと）",
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
    """Output: one row per person (history row), or totals (件数 and functions) grouped by up to two items."""

    ROWS = "rows"
    COUNT = "count"


class Function(StrEnum):
    """Functions over a group's rows (standard 10.1-b "spreadsheet or database functions")."""

    COUNT = "count"
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"


FUNCTION_LABELS = {
    Function.COUNT: "件数（空欄を除く）",
    Function.SUM: "合計",
    Function.AVG: "平均",
    Function.MIN: "最小",
    Function.MAX: "最大",
}

MAX_ITEMS = 40
MAX_CONDITIONS = 20
MAX_DEPTH = 3  # the top level and two levels of groups
MAX_GROUP_ITEMS = 2
MAX_FUNCTIONS = 3
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
        key = ordering(self.item)
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
class ConditionGroup:
    """Conditions and subgroups combined by AND (all) or OR (any); an empty group accepts every row."""

    combine_or: bool
    conditions: tuple[Condition, ...] = ()
    groups: tuple[ConditionGroup, ...] = ()

    def accepts(self, values: dict[str, str]) -> bool:
        """Whether a row's normalised values satisfy this group."""
        if not self.conditions and not self.groups:
            return True
        outcomes = chain(
            (condition.matches(values[condition.item.key]) for condition in self.conditions),
            (group.accepts(values) for group in self.groups),
        )
        return any(outcomes) if self.combine_or else all(outcomes)

    def all_conditions(self) -> tuple[Condition, ...]:
        """Every condition of the tree, depth first (for permission checks and the audit summary)."""
        return (*self.conditions, *(c for group in self.groups for c in group.all_conditions()))


@dataclass(frozen=True)
class Aggregate:
    """One function over a numeric item per group, e.g. 平均 of 年齢."""

    function: Function
    item: EucItem

    @property
    def label(self) -> str:
        """The column heading, e.g. 「平均（年齢（基準日現在））」."""
        return f"{FUNCTION_LABELS[self.function].split('（')[0]}（{self.item.label}）"


@dataclass(frozen=True)
class Definition:
    """A checked extraction definition."""

    scope: Scope
    items: tuple[EucItem, ...]
    where: ConditionGroup
    sort: tuple[SortKey, ...]
    mode: Mode
    group_by: tuple[EucItem, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    reference_date: date | None = None

    @property
    def conditions(self) -> tuple[Condition, ...]:
        """Every condition, at any level."""
        return self.where.all_conditions()

    def accepts(self, values: dict[str, str]) -> bool:
        """Whether a row's normalised values satisfy the condition tree."""
        return self.where.accepts(values)

    def referenced(self) -> tuple[EucItem, ...]:
        """Every item the definition reads: shown, tested, sorted, grouped or totalled (permission checks)."""
        seen: dict[str, EucItem] = {item.key: item for item in self.items}
        others = (
            *(c.item for c in self.conditions),
            *(s.item for s in self.sort),
            *self.group_by,
            *(a.item for a in self.aggregates),
        )
        for item in others:
            seen.setdefault(item.key, item)
        return tuple(seen.values())


def ordering(item: EucItem) -> Callable[[str], tuple[int, str]]:
    """The sort key of an item's values (conditions and 並べ替え): digits compare as numbers (shorter
    is smaller), other items as text (dates are ISO)."""
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


def _iso_day(text: str, field: str, reason: str) -> str:
    """A day entered as 西暦 (2026-04-01) or 和暦 (令和8年4月1日, R8.4.1) as ``YYYY-MM-DD``; a 不詳 date
    is no day to compare with and is refused like any other malformed value."""
    if _DATE.match(text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    else:
        try:
            parsed = parse_date_input(text, field=field)
        except DomainError:
            pass
        else:
            if not isinstance(parsed.value, UncertainDate):
                return parsed.sort_date.isoformat()
    raise _error(
        field, reason, "西暦 2026-04-01 か和暦 令和8年4月1日 のように入力してください。", "date_format"
    )


def normalise_value(item: EucItem, raw: object, field: str) -> str:
    """A condition value in the item's comparable form; a malformed value is refused naming the item."""
    text = str(raw if raw is not None else "").strip()
    if item.item_type is ItemType.DATE and text:
        text = _iso_day(text, field, f"「{item.label}」の値が日付ではありません。")
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


def _condition(raw: dict[str, Any], index: int, prefix: str = "") -> Condition:
    field = f"{prefix}conditions.{index}"
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
        if ordering(item)(values[0]) > ordering(item)(values[1]):
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


def _combine(raw: dict[str, Any], field: str) -> bool:
    """True for OR; refuses anything but ``and`` / ``or``."""
    combine = str(raw.get("combine") or "and")
    if combine not in ("and", "or"):
        raise _error(field, "条件の組合せが正しくありません。", "AND か OR を選んでください。", "combine")
    return combine == "or"


def _group(raw: dict[str, Any], prefix: str, depth: int, counter: list[int]) -> ConditionGroup:
    """One level of the condition tree; ``counter`` counts conditions across the whole tree."""
    raw_conditions = list(raw.get("conditions") or [])
    raw_groups = list(raw.get("groups") or [])
    counter[0] += len(raw_conditions)
    if counter[0] > MAX_CONDITIONS:
        raise _error(
            "conditions",
            f"条件は{MAX_CONDITIONS}個までです。",
            "条件を減らしてください。",
            "too_many_conditions",
        )
    if raw_groups and depth >= MAX_DEPTH:
        raise _error(
            f"{prefix}groups",
            f"条件のグループは{MAX_DEPTH - 1}段までです。",
            "グループの中のグループを減らしてください。",
            "too_deep",
        )
    conditions = tuple(_condition(dict(c), index, prefix) for index, c in enumerate(raw_conditions))
    groups = tuple(
        _group(dict(g), f"{prefix}groups.{index}.", depth + 1, counter) for index, g in enumerate(raw_groups)
    )
    return ConditionGroup(_combine(raw, f"{prefix}combine"), conditions, groups)


def _aggregates(raw: list[Any]) -> tuple[Aggregate, ...]:
    if len(raw) > MAX_FUNCTIONS:
        raise _error(
            "aggregates",
            f"関数は{MAX_FUNCTIONS}個までです。",
            "関数を減らしてください。",
            "too_many_functions",
        )
    found = []
    for index, entry in enumerate(raw):
        field = f"aggregates.{index}"
        item = _item(dict(entry).get("item"), field)
        try:
            function = Function(str(dict(entry).get("function", "")))
        except ValueError:
            raise _error(
                field,
                f"「{item.label}」の関数が選ばれていません。",
                "関数を一覧から選んでください。",
                "function",
            ) from None
        if function is not Function.COUNT and not item.numeric:
            raise _error(
                field,
                f"「{item.label}」は合計・平均・最小・最大を計算できません。",
                "年齢など数量の項目を選ぶか、件数を使ってください。",
                "not_numeric",
            )
        found.append(Aggregate(function, item))
    return tuple(found)


def _reference_date(raw: dict[str, Any], needed: bool) -> date | None:
    text = str(raw.get("reference_date") or "").strip()
    if not text:
        if needed:
            raise _error(
                "reference_date",
                "年齢の基準日が入力されていません。",
                "年齢を計算する基準日（例：令和8年4月1日）を入力してください。",
                "reference_date",
            )
        return None
    return date.fromisoformat(_iso_day(text, "reference_date", "年齢の基準日が日付ではありません。"))


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
            "mode", "出力の種類が正しくありません。", "個人一覧か集計を選んでください。", "mode"
        ) from None
    keys = list(dict.fromkeys(str(key) for key in raw.get("items") or []))
    items = tuple(_item(key, "items") for key in keys)
    group_keys = [raw.get("group_by"), raw.get("group_by2")]
    group_by = tuple(_item(key, "group_by") for key in dict.fromkeys(str(k) for k in group_keys if k))[
        :MAX_GROUP_ITEMS
    ]
    if mode is Mode.ROWS and not items:
        raise _error("items", "抽出項目が選ばれていません。", "1つ以上の項目を選んでください。", "no_items")
    if len(items) > MAX_ITEMS:
        raise _error(
            "items", f"抽出項目は{MAX_ITEMS}個までです。", "項目を減らしてください。", "too_many_items"
        )
    where = _group(raw, "", 1, [0])
    sort = tuple(
        SortKey(_item(s.get("item"), "sort"), bool(s.get("descending"))) for s in raw.get("sort") or []
    )
    aggregates = _aggregates(list(raw.get("aggregates") or [])) if mode is Mode.COUNT else ()
    definition = Definition(scope, items, where, sort, mode, group_by, aggregates)
    _check_card_event_items(definition)
    computed = any(item.source in REFERENCE_DATE_SOURCES for item in definition.referenced())
    return replace(definition, reference_date=_reference_date(raw, computed))


def _check_card_event_items(definition: Definition) -> None:
    """A card event's items exist only on the card-history scope's rows (one row per event)."""
    if definition.scope is Scope.CARD_EVENTS:
        return
    for item in definition.referenced():
        if item.source.startswith(CARD_EVENT_PREFIX):
            raise _error(
                "scope",
                f"「{item.label}」は抽出対象「{SCOPE_LABELS[Scope.CARD_EVENTS]}」でのみ使えます。",
                "抽出対象を変えるか、この項目を外してください。",
                "card_event_scope",
            )


def describe(definition: Definition) -> str:
    """The condition tree in words for the confirmation step, e.g. 「性別」＝ 女 かつ（… または …）."""
    text = _describe_group(definition.where)
    return text or "条件なし（すべて）"


def _describe_group(group: ConditionGroup) -> str:
    parts = [_describe_condition(c) for c in group.conditions]
    parts += [f"（{_describe_group(g)}）" for g in group.groups if g.conditions or g.groups]
    return (" または " if group.combine_or else " かつ ").join(parts)


def _describe_condition(condition: Condition) -> str:
    label = f"「{condition.item.label}」"
    # Codes in words (female → 女), as the catalogue lists them.
    shown = [condition.item.codes.get(value, value) for value in condition.values]
    if condition.operator is Operator.EMPTY:
        return f"{label}が空欄"
    if condition.operator is Operator.BETWEEN:
        return f"{label}が {shown[0]} から {shown[1]} まで"
    if condition.operator is Operator.PREFIX:
        return f"{label}が {shown[0]} で始まる"
    if condition.operator is Operator.IN:
        return f"{label}が {'、'.join(shown)} のいずれか"
    symbol = OPERATOR_LABELS[condition.operator].split("（")[0]
    return f"{label} {symbol} {shown[0]}"
