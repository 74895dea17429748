"""Entry of characters a keyboard cannot type (外字入力補助, standard 2.1.3-e).

Two aids, both pure: a code-point entry (「U+9AD9」, 「9AD9」, with an optional variation selector
「U+8FBB U+E0100」) read into the one glyph it names, and the variants of a character, i.e. every
character the variant-kanji search key (MJ shrink map + supplementary table, algorithms.md C.2) folds
together with it, so a clerk who can type 高 can pick 髙. Messages never repeat the entry itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict

from jumin.domain.errors import refusal
from jumin.domain.kana import variant_kanji_key

__all__ = [
    "CJK_IDEOGRAPH_RANGES",
    "format_code_points",
    "is_code_point_entry",
    "is_variation_selector",
    "parse_code_point_entry",
    "variants_of",
]

CJK_IDEOGRAPH_RANGES = (
    (0x3400, 0x4DBF),  # Extension A
    (0x4E00, 0x9FFF),  # URO
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0x20000, 0x2A6DF),  # Extension B
    (0x2A700, 0x2EBEF),  # Extensions C–F
    (0x2F800, 0x2FA1F),  # compatibility supplement
    (0x30000, 0x3134F),  # Extension G
)
"""The ideographs searched for variants: every block the MJ shrink map can map from or to."""

_FIELD = "glyph_entry"
_TOKEN_SEPARATORS = re.compile(r"[\s,、]+")
_TOKEN = re.compile(r"(?:U\+)?([0-9A-F]{1,6})")
# A base character must be something that is written: not a control, format, private-use, unassigned
# or separator code point (a 住民票 name is exchanged with other systems that cannot show 私用領域 外字).
_UNWRITTEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Zs"})
_FIELD_REMEDY = "「U+9AD9」や「9AD9」のように16進数で入力してください（異体字セレクタは「U+8FBB U+E0100」）。"


def is_variation_selector(char: str) -> bool:
    """Whether ``char`` is a variation selector: VS1–VS16 (U+FE00…) or an IVS selector (U+E0100…)."""
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _is_noncharacter(code: int) -> bool:
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def is_code_point_entry(text: str) -> bool:
    """Whether an entry is meant as code points: it is all ASCII once full-width letters are folded
    (a kanji typed into the aid asks for its variants instead)."""
    folded = unicodedata.normalize("NFKC", text).strip()
    return bool(folded) and folded.isascii()


def _code_point(token: str) -> int:
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise refusal(_FIELD, "符号位置の形式が正しくありません。", _FIELD_REMEDY, "glyph_entry.malformed")
    code = int(match.group(1), 16)
    if code > 0x10FFFF:
        raise refusal(
            _FIELD,
            "符号位置がUnicodeの範囲（U+10FFFFまで）を超えています。",
            _FIELD_REMEDY,
            "glyph_entry.out_of_range",
        )
    if 0xD800 <= code <= 0xDFFF:
        raise refusal(
            _FIELD,
            "サロゲート（U+D800～U+DFFF）は文字ではありません。",
            "UTF-16の2つの値ではなく、文字の符号位置（例: U+20BB7）を1つで入力してください。",
            "glyph_entry.surrogate",
        )
    if _is_noncharacter(code):
        raise refusal(
            _FIELD,
            "指定した符号位置は文字として使えない値（非文字）です。",
            "文字情報基盤（MJ）やUnicodeの符号表で符号位置を確かめてください。",
            "glyph_entry.noncharacter",
        )
    return code


def parse_code_point_entry(text: str) -> str:
    """The glyph named by a code-point entry: one character, optionally followed by one variation selector.

    Accepts 「U+9AD9」, 「u+9ad9」, 「9AD9」 and full-width forms; a selector follows after a space or comma
    (「U+8FBB U+E0100」). Raises DomainError (field ``glyph_entry``) for malformed or out-of-range values,
    surrogates, non-characters, unassigned or unwritten code points, a selector without a base character,
    and more than one character.
    """
    folded = unicodedata.normalize("NFKC", text).strip().upper()
    tokens = [token for token in _TOKEN_SEPARATORS.split(folded) if token]
    if not tokens:
        raise refusal(_FIELD, "符号位置が入力されていません。", _FIELD_REMEDY, "glyph_entry.empty")
    chars = [chr(_code_point(token)) for token in tokens]
    base, *rest = chars
    if is_variation_selector(base):
        raise refusal(
            _FIELD,
            "異体字セレクタだけでは文字になりません。",
            "基底の文字の符号位置に続けて異体字セレクタを入力してください（例: U+8FBB U+E0100）。",
            "glyph_entry.selector_without_base",
        )
    if unicodedata.category(base) in _UNWRITTEN_CATEGORIES:
        raise refusal(
            _FIELD,
            "指定した符号位置には氏名に使える文字が割り当てられていません（未割当・制御文字・私用領域など）。",
            "文字情報基盤（MJ）やUnicodeの符号表で符号位置を確かめてください。",
            "glyph_entry.unassigned",
        )
    if len(rest) > 1 or (rest and not is_variation_selector(rest[0])):
        raise refusal(
            _FIELD,
            "一度に入力できるのは1文字（と異体字セレクタ1つ）です。",
            "1文字ずつ入力してください。2つ目に書けるのは異体字セレクタ（U+FE00～、U+E0100～）だけです。",
            "glyph_entry.too_many",
        )
    return "".join(chars)


def format_code_points(text: str) -> tuple[str, ...]:
    """The code points of ``text`` as ``U+XXXX`` strings (at least four hex digits, upper case)."""
    return tuple(f"U+{ord(char):04X}" for char in text)


@functools.cache
def _variant_groups() -> dict[str, tuple[str, ...]]:
    # The MJ shrink map only maps a character to its targets; the variants of a target are the
    # characters whose key is the same, so the inverse is built once by keying every ideograph.
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for first, last in CJK_IDEOGRAPH_RANGES:
        for code in range(first, last + 1):
            char = chr(code)
            if unicodedata.category(char) != "Cn":
                groups[variant_kanji_key(char)].append(char)
    return {key: tuple(chars) for key, chars in groups.items() if len(chars) > 1}


def variants_of(char: str) -> tuple[str, ...]:
    """The other characters the variant-kanji search key treats as ``char`` (高 → 髙, 𠆪), in code-point
    order; a trailing variation selector is ignored, and a character without variants has none."""
    base = char[:1]
    if not base:
        return ()
    return tuple(other for other in _variant_groups().get(variant_kanji_key(base), ()) if other != base)
