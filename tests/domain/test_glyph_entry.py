"""外字 input aid (standard 2.1.3-e): code-point entry and the variants of a character."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.domain.glyph_entry import (
    format_code_points,
    is_code_point_entry,
    is_variation_selector,
    parse_code_point_entry,
    variants_of,
)
from jumin.domain.kana import variant_kanji_key

IVS_17 = "\U000e0100"


@pytest.mark.parametrize(
    ("typed", "glyph"),
    [
        ("U+9AD9", "髙"),
        ("u+9ad9", "髙"),
        ("9AD9", "髙"),
        ("Ｕ＋９ＡＤ９", "髙"),
        (" U+20BB7 ", "𠮷"),
        ("U+8FBB U+E0100", "辻" + IVS_17),
        ("8FBB,E0100", "辻" + IVS_17),
        ("U+845B　U+E0101", "葛\U000e0101"),
        ("U+7950 U+FE00", "祐\ufe00"),
    ],
)
def test_a_code_point_entry_names_one_glyph(typed: str, glyph: str) -> None:
    assert parse_code_point_entry(typed) == glyph


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "glyph_entry.empty"),
        ("  ", "glyph_entry.empty"),
        ("U+", "glyph_entry.malformed"),
        ("U+9AG9", "glyph_entry.malformed"),
        ("U+1234567", "glyph_entry.malformed"),
        ("U+110000", "glyph_entry.out_of_range"),
        ("U+D842", "glyph_entry.surrogate"),
        ("D842 DFB7", "glyph_entry.surrogate"),
        ("U+FFFE", "glyph_entry.noncharacter"),
        ("U+FDD0", "glyph_entry.noncharacter"),
        ("U+10FFFF", "glyph_entry.noncharacter"),
        ("U+E0100", "glyph_entry.selector_without_base"),
        ("U+FE0F U+9AD9", "glyph_entry.selector_without_base"),
        ("U+0378", "glyph_entry.unassigned"),
        ("U+E000", "glyph_entry.unassigned"),  # 私用領域
        ("U+0007", "glyph_entry.unassigned"),
        ("U+9AD9 U+9AD8", "glyph_entry.too_many"),
        ("U+8FBB U+E0100 U+E0101", "glyph_entry.too_many"),
    ],
)
def test_a_bad_code_point_entry_is_refused_with_field_and_remedy(typed: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_code_point_entry(typed)
    assert (caught.value.field, caught.value.code) == ("glyph_entry", code)
    assert caught.value.reason
    assert caught.value.remedy
    if typed.strip():
        assert typed.strip() not in caught.value.reason  # the entry is never repeated


def _assigned_base(code: int) -> bool:
    char = chr(code)
    category = unicodedata.category(char)
    return category[0] in "LMNPS" and not is_variation_selector(char) and (code & 0xFFFE) != 0xFFFE


assigned_bases = st.integers(0, 0x10FFFF).filter(_assigned_base).map(chr)


@given(assigned_bases)
def test_any_assigned_code_point_round_trips(char: str) -> None:
    (written,) = format_code_points(char)
    assert parse_code_point_entry(written) == char
    assert parse_code_point_entry(written.removeprefix("U+").lower()) == char


@given(assigned_bases, st.integers(0xE0100, 0xE01EF).map(chr))
def test_a_glyph_with_its_ivs_selector_round_trips(base: str, selector: str) -> None:
    glyph = base + selector
    assert parse_code_point_entry(" ".join(format_code_points(glyph))) == glyph


def test_code_points_are_written_with_at_least_four_digits() -> None:
    assert format_code_points("A髙𠮷" + IVS_17) == ("U+0041", "U+9AD9", "U+20BB7", "U+E0100")


def test_ascii_entries_are_code_points_and_kanji_ask_for_variants() -> None:
    assert all(map(is_code_point_entry, ["U+9AD9", "Ｕ＋９ＡＤ９", "9ad9"]))
    assert not is_code_point_entry("高")
    assert not is_code_point_entry("  ")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("高", {"髙"}), ("髙", {"高"}), ("吉", {"𠮷"}), ("浜", {"濱", "濵", "滨"}), ("藤", {"籐", "籘"})],
)
def test_the_variants_of_a_character_come_from_the_shrink_map(typed: str, expected: set[str]) -> None:
    variants = variants_of(typed)
    assert expected <= set(variants)
    assert typed not in variants
    assert list(variants) == sorted(variants)
    assert all(variant_kanji_key(v) == variant_kanji_key(typed) for v in variants)


def test_a_selector_is_ignored_and_a_plain_character_has_no_variants() -> None:
    assert variants_of("辻" + IVS_17) == variants_of("辻")
    assert variants_of("A") == ()
    assert variants_of("") == ()
