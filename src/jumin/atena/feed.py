"""The 宛名 items and the 宛名連携 CSV (standard 7.2.3-a; docs/atena.md "Feed").

Items are kept exactly as registered: a character outside JIS X 0213 (an MJ character, a base with
its IVS selector) is written as it is in UTF-8, never replaced, and the row's last column names the
items and 1-based positions that a receiver on JIS X 0213 cannot take (``外字位置``), so it can handle
them, e.g. with its own MJ font. No 個人番号 in the file: in-house systems key on the 統合宛名番号
or the 宛名番号 (system.md M5 §9).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from jumin.domain.unified_characters import unrepresentable_positions
from jumin.registry.atena_source import CommittedRow

#: The items held per person, in feed order, with their CSV column names.
ITEM_COLUMNS: dict[str, str] = {
    "status": "住民状態",
    "kind": "住民種別",
    "surname": "氏",
    "given_name": "名",
    "surname_kana": "氏フリガナ",
    "given_name_kana": "名フリガナ",
    "alias": "通称",
    "birth_date": "生年月日",
    "birth_sort_date": "生年月日（西暦）",
    "sex": "性別",
    "postal_code": "郵便番号",
    "address_code": "住所コード",
    "address": "住所",
    "katagaki": "方書",
    "household_number": "世帯番号",
    "is_head": "世帯主",
    "relationship": "続柄",
    "head_name": "世帯主氏名",
    "removal_reason": "消除事由",
    "removal_date": "消除日",
}
#: Items whose characters may lie outside JIS X 0213 (names and addresses).
TEXT_ITEMS = ("surname", "given_name", "alias", "address", "katagaki", "relationship", "head_name")

HEADER = (
    "更新番号",
    "イベント種別",
    "統合宛名番号",
    "宛名番号",
    "更新順番号",
    *ITEM_COLUMNS.values(),
    "抑止",
    "支援措置",
    "外字位置",
)


def items_of(row: CommittedRow) -> dict[str, Any]:
    """The 宛名 items of a committed registry row, as stored (JSON: dates as ISO text)."""
    values = asdict(row)
    return {
        key: (value.isoformat() if hasattr(value, "isoformat") else value)
        for key, value in values.items()
        if key in ITEM_COLUMNS
    }


def outside_jis_x_0213(items: Mapping[str, Any]) -> str:
    """``氏:2;住所:5,7``: the items and positions a JIS X 0213 receiver cannot take ("" when none)."""
    parts = []
    for key in TEXT_ITEMS:
        positions = unrepresentable_positions(str(items.get(key) or ""))
        if positions:
            parts.append(f"{ITEM_COLUMNS[key]}:{','.join(map(str, positions))}")
    return ";".join(parts)


@dataclass(frozen=True)
class FeedRow:
    """One person's 宛名 values after one applied event (a row of ``AtenaHistory``)."""

    feed_seq: int
    event_type: str
    integrated_number: str
    atena_number: str
    subject_seq: int
    items: Mapping[str, Any]
    restrictions: tuple[str, ...]

    @property
    def suppressed(self) -> bool:
        return any(r.startswith("suppression:") for r in self.restrictions)

    @property
    def support_measure(self) -> bool:
        return any(r.startswith("support_measure:") for r in self.restrictions)

    def cells(self) -> list[str]:
        def text(value: Any) -> str:
            if isinstance(value, bool):
                return "1" if value else "0"
            return "" if value is None else str(value)

        return [
            str(self.feed_seq),
            self.event_type,
            self.integrated_number,
            self.atena_number,
            str(self.subject_seq),
            *(text(self.items.get(key)) for key in ITEM_COLUMNS),
            text(self.suppressed),
            text(self.support_measure),
            outside_jis_x_0213(self.items),
        ]


def write_csv(rows: Iterable[FeedRow]) -> bytes:
    """The feed as CSV, UTF-8 without substitution (a receiver reads the 外字位置 column)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row.cells())
    return buffer.getvalue().encode("utf-8")
