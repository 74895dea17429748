"""Conversion to 住基ネット統一文字 (std 7.1.1.1-e): nothing in the set changes, nothing outside is lost."""

from __future__ import annotations

import jntajis
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.domain.unified_characters import (
    NOT_UNIFIED_CODE,
    in_target_set,
    printed_characters,
    to_unified,
    unrepresentable_positions,
)


def _jis_row_characters(plane_bytes: range, cells: range) -> list[str]:
    """Every character jntajis decodes from the given JIS rows (a fixed, reproducible sample)."""
    out = []
    for row in plane_bytes:
        for cell in cells:
            try:
                text = jntajis.jnta_decode("jis", bytes([row, cell]))
            except (UnicodeDecodeError, ValueError, TypeError):  # unassigned cell (jntajis raises TypeError)
                continue
            if len(text) == 1:
                out.append(text)
    return out


JIS_X_0208_SAMPLE = _jis_row_characters(range(0x21, 0x75, 3), range(0x21, 0x7F))  # kana, symbols, kanji
JIS_X_0213_SAMPLE = ["鷗", "剝", "𠀋", "㐂", "𡈽", "﨑", "丂", "乚"]  # plane 1 additions and plane 2
MS_MAPPED = set("～－∥￠￡￢")  # jntajis decodes these JIS X 0208 code points to Microsoft's mapping
PLANE_2 = {"𠀋", "丂", "乚"}
TARGET_SAMPLE = sorted({*JIS_X_0208_SAMPLE, *JIS_X_0213_SAMPLE} - MS_MAPPED)


def test_the_sample_is_large_and_covers_kanji_and_kana() -> None:
    assert len(JIS_X_0208_SAMPLE) > 2000
    assert {"あ", "ア", "亜", "　", "－"} <= set(_jis_row_characters(range(0x21, 0x31), range(0x21, 0x7F)))


@pytest.mark.parametrize("character", TARGET_SAMPLE[::7] + JIS_X_0213_SAMPLE)
def test_jis_characters_round_trip_unchanged(character: str) -> None:
    assert in_target_set(character)
    assert to_unified(character, field="name") == character
    # jntajis 0.1 cannot decode plane 2 (its decoder raises TypeError).
    if character not in PLANE_2 and character not in MS_MAPPED:
        encoded = jntajis.jnta_encode("jis", to_unified(character, field="name"), jntajis.ConversionMode.MEN1)
        assert jntajis.jnta_decode("jis", encoded) == character


@given(st.text(alphabet=st.sampled_from(TARGET_SAMPLE + [chr(c) for c in range(0x20, 0x7F)]), max_size=40))
def test_text_already_in_the_target_set_is_never_changed(text: str) -> None:
    assert to_unified(text, field="address") == text
    assert unrepresentable_positions(text) == []


@given(
    st.text(alphabet=st.sampled_from(TARGET_SAMPLE), max_size=20),
    st.sampled_from(["髙", "𠮷", "辻\U000e0100", "葛\U000e0101", "\u2f00"]),
    st.text(alphabet=st.sampled_from(TARGET_SAMPLE), max_size=20),
)
def test_a_character_outside_the_set_is_refused_never_dropped_or_changed(
    before: str, outsider: str, after: str
) -> None:
    with pytest.raises(DomainError) as raised:
        to_unified(before + outsider + after, field="name")
    assert raised.value.code == NOT_UNIFIED_CODE
    assert f"{len(before) + 1}文字目" in raised.value.reason
    assert outsider not in raised.value.reason  # a name's character is personal data


@given(st.text(alphabet=st.sampled_from(TARGET_SAMPLE), max_size=20))
def test_a_registered_gaiji_is_kept_as_it_is(text: str) -> None:
    registered = {"𠮷", "辻\U000e0100"}
    assert to_unified("𠮷" + text + "辻\U000e0100", field="name", registered=registered) == (
        "𠮷" + text + "辻\U000e0100"
    )


@pytest.mark.parametrize(
    ("entered", "unified"),
    [
        ("\uf900", "\u8c48"),  # CJK compatibility ideograph 豈 → its canonical equivalent
        ("\uff5e", "\u301c"),  # Microsoft's 1-1-33 → WAVE DASH
        ("\uff0d", "\u2212"),  # Microsoft's 1-1-61 → MINUS SIGN
    ],
)
def test_a_character_with_the_same_jis_code_point_is_converted(entered: str, unified: str) -> None:
    assert not in_target_set(entered)
    assert in_target_set(unified)
    assert to_unified(f"一丁目{entered}二", field="address") == f"一丁目{unified}二"


def test_mj_variants_are_not_folded_to_a_standard_character() -> None:
    # The MJ shrink map joins 髙 with 高, but the network must not receive a changed name.
    jis_rule = int(jntajis.MJShrinkSchemeCombo.JIS_INCORPORATION_UCS_UNIFICATION_RULE)
    assert "高" in jntajis.mj_shrink_candidates("髙", jis_rule)
    assert unrepresentable_positions("髙橋") == [1]
    assert unrepresentable_positions("山田\u3000辻\U000e0100子") == [4]


def test_a_base_and_its_selector_are_one_printed_character() -> None:
    assert list(printed_characters("葛\U000e0100城")) == ["葛\U000e0100", "城"]
