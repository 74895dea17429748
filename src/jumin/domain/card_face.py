"""Card-face printing (券面印字, standard 7.1.1.3-b): which card, where its 追記 area is, what a line says.

Pure rules, no Django. The card-face printer writes a 異動 on the card in the holder's hand: the
個人番号カード and the 住基カード in their 追記欄 (届出日 and 異動事由, the new value, the official seal), the
在留カード and the 特別永住者証明書 in their 住居地記載欄 (届出年月日, the new 住居地, the 記載者印). The
seeds and standard.md name the four items but not J-LIS's or the Immigration Services Agency's
millimetre layouts, so the areas below are Jumin's assumption, corrected on site by the per-terminal or
per-office ``PrintAdjustment`` (docs/workflows/card-forms.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from jumin.domain.errors import refusal
from jumin.domain.wareki import to_wareki

PT_MM = Decimal("0.3528")
"""One typographic point in millimetres (1/72 inch)."""
CARD_WIDTH_MM = Decimal("85.6")
CARD_HEIGHT_MM = Decimal("54.0")
"""ID-1 (ISO/IEC 7810), the size of all four cards."""


class CardFaceKind(StrEnum):
    """The cards whose face the municipality writes on."""

    INDIVIDUAL_NUMBER = "individual_number"
    JUKI = "juki"
    RESIDENCE = "residence"
    SPECIAL_PERMANENT = "special_permanent"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def residence_only(self) -> bool:
        """在留カード and 特別永住者証明書: only the 住居地 is written, dated in 西暦."""
        return self in (CardFaceKind.RESIDENCE, CardFaceKind.SPECIAL_PERMANENT)


_LABELS = {
    CardFaceKind.INDIVIDUAL_NUMBER: "個人番号カード",
    CardFaceKind.JUKI: "住基カード",
    CardFaceKind.RESIDENCE: "在留カード",
    CardFaceKind.SPECIAL_PERMANENT: "特別永住者証明書",
}


@dataclass(frozen=True)
class CardArea:
    """The 追記 area of a card: its top-left corner on the card, its width and how many lines it has."""

    top_mm: Decimal
    left_mm: Decimal
    width_mm: Decimal
    lines: int


# Assumed areas (no official millimetre layout in the sources): the back of each card, below its
# printed heading. Adjusted on site by ``PrintAdjustment``.
CARD_AREAS = {
    CardFaceKind.INDIVIDUAL_NUMBER: CardArea(Decimal(8), Decimal(5), Decimal("75.6"), 9),
    CardFaceKind.JUKI: CardArea(Decimal(8), Decimal(5), Decimal("75.6"), 9),
    CardFaceKind.RESIDENCE: CardArea(Decimal(12), Decimal(4), Decimal("77.6"), 6),
    CardFaceKind.SPECIAL_PERMANENT: CardArea(Decimal(12), Decimal(4), Decimal("77.6"), 6),
}


@dataclass(frozen=True)
class PrintAdjustment:
    """印字位置・サイズの調整 of one terminal or office: type size, line pitch, offsets and seal size."""

    font_size_pt: Decimal = Decimal(7)
    line_pitch_mm: Decimal = Decimal("4.0")
    offset_top_mm: Decimal = Decimal(0)
    offset_left_mm: Decimal = Decimal(0)
    seal_size_mm: Decimal = Decimal(7)

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> PrintAdjustment:
        """The adjustment from a form's or a request's values (other keys are ignored)."""
        return cls(**{name: Decimal(values[name]) for name in cls.__dataclass_fields__ if name in values})


# (field, label, lowest, highest): printers differ by a few millimetres, not by centimetres.
ADJUSTMENT_RANGES = (
    ("font_size_pt", "文字の大きさ（ポイント）", Decimal(5), Decimal(12)),
    ("line_pitch_mm", "行の間隔（mm）", Decimal(2), Decimal(8)),
    ("offset_top_mm", "上下の位置調整（mm）", Decimal(-10), Decimal(10)),
    ("offset_left_mm", "左右の位置調整（mm）", Decimal(-10), Decimal(10)),
    ("seal_size_mm", "公印の大きさ（mm）", Decimal(4), Decimal(12)),
)


def check_adjustment(adjustment: PrintAdjustment) -> None:
    """Refuse a setting outside what a card printer can need (each field with its range)."""
    for field, label, lowest, highest in ADJUSTMENT_RANGES:
        value = getattr(adjustment, field)
        if not lowest <= value <= highest:
            raise refusal(
                field,
                f"{label}が範囲外です（{lowest}〜{highest}）。",
                f"{label}を{lowest}から{highest}の間で入力してください。",
                "certificates.card_face_setting_range",
            )


@dataclass(frozen=True)
class CardFaceLine:
    """One printed line: its text, its position on the card (mm) and whether the seal ends it."""

    text: str
    top_mm: Decimal
    left_mm: Decimal
    seal: bool = False


def _date_text(day: date, kind: CardFaceKind) -> str:
    # A 在留カード / 特別永住者証明書 is dated in 西暦 (algorithms.md B.2 rule 4), the others in 和暦.
    if kind.residence_only:
        return f"{day.year}年{day.month}月{day.day}日"
    return to_wareki(day).display()


def characters_per_line(area: CardArea, adjustment: PrintAdjustment) -> int:
    """How many full-width characters fit on one line beside the seal (a conservative count)."""
    usable = area.width_mm - adjustment.seal_size_mm - 1
    return max(1, math.floor(usable / (adjustment.font_size_pt * PT_MM)))


def _wrapped(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def card_face_texts(
    kind: CardFaceKind, *, reason: str, notified_on: date, items: tuple[tuple[str, str], ...]
) -> list[str]:
    """The lines a 追記 says, before wrapping: the 届出日 with the 異動事由, then each new value.

    A 在留カード / 特別永住者証明書 line is the 届出年月日 and the new 住居地 (its form has no 事由 column).
    An item the change deleted (通称, 旧氏) is written 「（削除）」.
    """
    day = _date_text(notified_on, kind)
    if kind.residence_only:
        return [f"{day}　{value}" for label, value in items if label == "住所"]
    return [f"{day}届出　{reason}", *(f"{label}　{value or '（削除）'}" for label, value in items)]


def layout_lines(
    kind: CardFaceKind, texts: list[str], *, start_line: int, adjustment: PrintAdjustment
) -> list[CardFaceLine]:
    """Place the texts from line ``start_line`` of the card's area (the lines above are already used),
    wrapping long values; the seal ends the last line. Refused when the area has no room left."""
    area = CARD_AREAS[kind]
    width = characters_per_line(area, adjustment)
    wrapped = [part for text in texts for part in _wrapped(text, width)]
    if start_line < 1 or start_line - 1 + len(wrapped) > area.lines:
        free = max(0, area.lines - start_line + 1)
        raise refusal(
            "start_line",
            f"{kind.label}の記載欄に余白が足りません（{len(wrapped)}行必要、{start_line}行目から{free}行）。",
            "印字開始行を確認してください。余白がなければカードの再交付（または裏面への手書き）を案内してください。",
            "certificates.card_face_full",
        )
    top = area.top_mm + adjustment.offset_top_mm
    left = area.left_mm + adjustment.offset_left_mm
    return [
        CardFaceLine(
            text=text,
            top_mm=top + (start_line - 1 + index) * adjustment.line_pitch_mm,
            left_mm=left,
            seal=index == len(wrapped) - 1,
        )
        for index, text in enumerate(wrapped)
    ]
