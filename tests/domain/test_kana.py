"""Kana search keys and variant-kanji keys: algorithms.md §C, one case per test ID, plus properties."""

from __future__ import annotations

import unicodedata

import jaconv
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.domain.kana import (
    DEFAULT_VARIANT_SUPPLEMENT,
    KANA_KEY_VERSION,
    VARIANT_KEY_VERSION,
    KanaMatchMode,
    NameKeys,
    kana_matches,
    kana_search_key,
    name_keys,
    normalize_furigana,
    variant_kanji_key,
    variant_key_version,
)

EXACT = KanaMatchMode.EXACT
PARTIAL = KanaMatchMode.PARTIAL
SURNAME = KanaMatchMode.SURNAME
GIVEN_NAME = KanaMatchMode.GIVEN_NAME

KATAKANA = [chr(cp) for cp in range(0x30A1, 0x30FB)]
SMALL_KANA = set("ァィゥェォッャュョヮヵヶ")
SEPARATORS = [" ", "\u3000", "ー", "ｰ", "―", "－", "‐", "-", "—", "−"]
ALLOWED = [
    *map(chr, range(0x3041, 0x3097)),
    *map(chr, range(0x3099, 0x309D)),
    *KATAKANA,
    *map(chr, range(0xFF66, 0xFFA0)),
    *SEPARATORS,
]

katakana_letters = st.sampled_from(KATAKANA)
katakana_words = st.text(alphabet=katakana_letters, min_size=1, max_size=10)
# Real given names never start with a small kana; that case is the one where K4 acts across the boundary.
given_names = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from([ch for ch in KATAKANA if ch not in SMALL_KANA]),
    st.text(alphabet=katakana_letters, max_size=8),
)


def reference_key(text: str) -> str:
    """K1–K8 written out literally from algorithms.md C.1, one step at a time, for comparison."""
    # K1 with jaconv; jaconv leaves a voicing mark it cannot join (ﾜﾞ) alone, so NFC finishes the job.
    text = jaconv.hira2kata(jaconv.h2z(text, kana=True, ascii=False, digit=False))
    text = text.translate(str.maketrans("ﾞﾟ゛゜", "\u3099\u309a\u3099\u309a"))
    text = unicodedata.normalize("NFC", text)
    text = text.replace(" ", "").replace("\u3000", "")  # K2
    for dash in "ー\uff70―－‐-—−":  # K3
        text = text.replace(dash, "")
    k4: list[str] = []  # K4, left to right; ヷヸヹヺ by the same analogy
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in ("ヴァ", "ヴィ", "ヴェ", "ヴォ"):
            k4.append({"ヴァ": "バ", "ヴィ": "ビ", "ヴェ": "ベ", "ヴォ": "ボ"}[pair])
            i += 2
            continue
        k4.append({"ヴ": "ブ", "ヷ": "バ", "ヸ": "ビ", "ヹ": "ベ", "ヺ": "ボ"}.get(text[i], text[i]))
        i += 1
    text = "".join(k4)
    text = text.translate(str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ"))  # K5
    text = text.translate(str.maketrans("ヂヅヲワ", "ジズオハ"))  # K6
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if ch not in "\u3099\u309a゛゜")  # K7
    out: list[str] = []  # K8, over the output so far
    for ch in text:
        out.append("オ" if ch == "ウ" and out and out[-1] in "オコソトノホモヨロ" else ch)
    return "".join(out)


# --- C.1 kana keys: worked examples ----------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "key"),
    [
        pytest.param(["ジュウミン　タロウ"], "シユウミンタロオ", id="KF-1"),
        pytest.param(["ｼﾞｭｳﾐﾝ ﾀﾛｳ"], "シユウミンタロオ", id="KF-2"),
        pytest.param(["じゅうみん たろう"], "シユウミンタロオ", id="KF-3"),
        pytest.param(["サトウ タロウ", "サトウ　タロウ", "サトウタロウ"], "サトオタロオ", id="KF-4"),
        pytest.param(["ワタナベ"], "ハタナヘ", id="KF-5"),
        pytest.param(["ヴァレンティ"], "ハレンテイ", id="KF-6"),
        pytest.param(["ヴィクトル"], "ヒクトル", id="KF-7"),
        pytest.param(["ヴォルフ"], "ホルフ", id="KF-8"),
        pytest.param(["ハットリ"], "ハツトリ", id="KF-9"),
        pytest.param(["ジョ\uff0dジ", "ジョ\u2015ジ", "ジョ-ジ", "ジョージ"], "シヨシ", id="KF-10"),
        pytest.param(["ショウ"], "シヨオ", id="KF-11"),
        pytest.param(["リョウ"], "リヨオ", id="KF-12"),
        pytest.param(["リュウ"], "リユウ", id="KF-13"),
        pytest.param(["ウエダ"], "ウエタ", id="KF-14"),
        pytest.param(["コウウ"], "コオオ", id="KF-15"),
        pytest.param(["ファン"], "フアン", id="KF-16"),
    ],
)
def test_kana_search_key_follows_the_worked_examples(inputs: list[str], key: str) -> None:
    for text in inputs:
        assert kana_search_key(text) == key


@pytest.mark.parametrize(
    ("stored", "query", "mode", "matches"),
    [
        pytest.param(("ハナヂ", None), "ハナジ", EXACT, True, id="KM-1"),
        pytest.param(("ミカヅキ", None), "ミカズキ", EXACT, True, id="KM-2"),
        pytest.param(("ワタナベ", None), "ハタナベ", EXACT, True, id="KM-3"),
        pytest.param(("ヴァレンティ", None), "バレンティ", EXACT, True, id="KM-4"),
        pytest.param(("ヴィクトル", None), "ビクトル", EXACT, True, id="KM-5"),
        pytest.param(("ヲノ", None), "オノ", EXACT, True, id="KM-6"),
        pytest.param(("ピロ", None), "ヒロ", EXACT, True, id="KM-7"),
        pytest.param(("ハットリ", None), "ハツトリ", EXACT, True, id="KM-8"),
        pytest.param(("キャク", None), "キヤク", EXACT, True, id="KM-9"),
        pytest.param(("サトウ", None), "サトオ", EXACT, True, id="KM-10"),
        pytest.param(("オウノ", None), "オオノ", EXACT, True, id="KM-11"),
        pytest.param(("ユーコ", None), "ユコ", EXACT, True, id="KM-12"),
        pytest.param(("サトウ", "タロウ"), "サトウタロウ", EXACT, True, id="KM-13"),
        pytest.param(("サト", "ウタ"), "サトウタ", EXACT, True, id="KM-14"),
        pytest.param(("サト", "ウタ"), "ウタ", GIVEN_NAME, True, id="KM-15"),
        pytest.param(("ジュウミン", "タロウ"), "ジュウミン", PARTIAL, True, id="KM-16"),
        pytest.param(("ハナヂ", None), "ハナチ", EXACT, False, id="KN-1"),
        pytest.param(("ツヅキ", None), "ツツキ", EXACT, False, id="KN-2"),
        pytest.param(("ユウコ", None), "ユコ", EXACT, False, id="KN-3"),
        pytest.param(("ヨウコ", None), "ヨーコ", EXACT, False, id="KN-4"),
        pytest.param(("ヴァン", None), "ファン", EXACT, False, id="KN-5"),
        pytest.param(("サトウ", None), "サトウエ", EXACT, False, id="KN-6"),
    ],
)
def test_kana_match_follows_the_worked_examples(
    stored: tuple[str, str | None], query: str, mode: KanaMatchMode, matches: bool
) -> None:
    assert kana_matches(name_keys(*stored), query, mode) is matches


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("（株）サトウ", id="KN-7"),
        pytest.param("㈱サトウ", id="circled-kabu"),
        pytest.param("(有)サトウ", id="ascii-parentheses"),
        pytest.param("SATO", id="latin"),
        pytest.param("ｓａｔｏ", id="full-width-latin"),
        pytest.param("サトウ1", id="digit"),
        pytest.param("佐藤", id="kanji"),
        pytest.param("スミス・ジョン", id="middle-dot"),
        pytest.param("ササキヽ", id="iteration-mark"),
        pytest.param("サトウ\tタロウ", id="tab"),
    ],
)
def test_non_kana_input_is_refused_without_echoing_it(text: str) -> None:
    for function in (kana_search_key, normalize_furigana):
        with pytest.raises(DomainError) as caught:
            function(text)
        assert caught.value.code == "kana.disallowed_character"
        assert caught.value.field == "furigana"
        assert "サトウ" not in str(caught.value)
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__


@pytest.mark.parametrize(
    "group",
    [
        pytest.param(["ワ", "ハ", "バ", "パ"], id="wa-ha-ba-pa"),
        pytest.param(["ヴ", "ブ", "フ", "プ"], id="vu-bu-fu-pu"),
        pytest.param(["ヂ", "ジ", "シ"], id="di-ji-shi"),
        pytest.param(["ヅ", "ズ", "ス"], id="du-zu-su"),
    ],
)
def test_kana_that_the_spec_folds_together_share_one_key(group: list[str]) -> None:
    assert len({kana_search_key(kana) for kana in group}) == 1


def test_chi_and_tsu_stay_distinct_from_shi_and_su() -> None:
    assert len({kana_search_key(kana) for kana in ["チ", "ツ", "シ", "ス"]}) == 4


def test_long_vowels_are_deleted_not_expanded() -> None:
    assert kana_search_key("ヨーコ") == "ヨコ"


def test_spacing_and_combining_voicing_marks_join_the_preceding_kana() -> None:
    assert kana_search_key("ウ゛ァン") == kana_search_key("ヴァン") == "ハン"
    assert kana_search_key("か\u3099") == "カ"
    assert kana_search_key("ﾜﾞ") == kana_search_key("ヷ") == kana_search_key("バ")


# --- C.1 name keys and match modes ------------------------------------------------------------


def test_name_keys_hold_full_surname_and_given_name_keys() -> None:
    assert name_keys("サト", "ウタ") == NameKeys(full="サトオタ", surname="サト", given="ウタ")


@pytest.mark.parametrize("given_kana", [None, "", "　"])
def test_a_name_without_a_given_name_part_has_no_given_name_key(given_kana: str | None) -> None:
    keys = name_keys("サトウ", given_kana)
    assert keys == NameKeys(full="サトオ", surname="サトオ", given=None)
    assert not kana_matches(keys, "サトウ", GIVEN_NAME)


def test_given_name_search_uses_the_given_name_key_not_a_substring_of_the_full_key() -> None:
    keys = name_keys("サト", "ウタ")
    assert not kana_matches(keys, "ウタ", PARTIAL)
    assert kana_matches(keys, "ウタ", GIVEN_NAME)


def test_surname_search_compares_the_surname_key() -> None:
    keys = name_keys("サトウ", "タロウ")
    assert kana_matches(keys, "さとう", SURNAME)
    assert not kana_matches(keys, "サト", SURNAME)


def test_name_key_errors_name_the_offending_part() -> None:
    with pytest.raises(DomainError) as caught:
        name_keys("サトウ", "Taro")
    assert caught.value.field == "given_name_kana"


@pytest.mark.parametrize("query", ["", "　", "ー"])
def test_a_query_with_an_empty_key_is_refused(query: str) -> None:
    with pytest.raises(DomainError) as caught:
        kana_matches(name_keys("サトウ"), query, PARTIAL)
    assert caught.value.code == "kana.empty_query"


# --- C.1 normalisation of the stored フリガナ -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("じゅうみん　たろう", "ジュウミン　タロウ"),
        ("ｼﾞｭｳﾐﾝ ﾀﾛｳ", "ジュウミン　タロウ"),
        ("  サトウ \u3000 タロウ ", "サトウ　タロウ"),
        ("キャリー", "キャリー"),
        ("ジョ-ジ", "ジョージ"),
        ("ｳﾞｨｸﾄﾙ", "ヴィクトル"),
        ("", ""),
    ],
)
def test_furigana_is_stored_as_full_width_katakana_with_one_full_width_space(text: str, stored: str) -> None:
    assert normalize_furigana(text) == stored


# --- C.1 properties ----------------------------------------------------------------------------


@given(st.text(alphabet=st.sampled_from(ALLOWED), max_size=16))
def test_kana_search_key_equals_the_literal_step_by_step_rules(text: str) -> None:
    assert kana_search_key(text) == reference_key(text)


@given(st.text(alphabet=st.sampled_from(ALLOWED), max_size=16))
def test_kana_search_key_is_idempotent(text: str) -> None:
    key = kana_search_key(text)
    assert kana_search_key(key) == key


@given(katakana_words)
def test_kana_search_key_ignores_hiragana_and_half_width_spellings(word: str) -> None:
    key = kana_search_key(word)
    assert kana_search_key(jaconv.kata2hira(word)) == key
    assert kana_search_key(jaconv.z2h(word, kana=True, ascii=False, digit=False)) == key


@given(st.lists(st.tuples(katakana_letters, st.lists(st.sampled_from(SEPARATORS), max_size=2)), min_size=1))
def test_kana_search_key_ignores_inserted_spaces_and_long_vowel_marks(
    parts: list[tuple[str, list[str]]],
) -> None:
    plain = "".join(letter for letter, _ in parts)
    decorated = "".join(letter + "".join(separators) for letter, separators in parts)
    assert kana_search_key(decorated) == kana_search_key(plain)


@given(st.text(alphabet=st.sampled_from(ALLOWED), max_size=16))
def test_stored_furigana_keeps_its_search_key_and_is_stable(text: str) -> None:
    stored = normalize_furigana(text)
    assert kana_search_key(stored) == kana_search_key(text)
    assert normalize_furigana(stored) == stored


@given(katakana_words)
def test_stored_furigana_agrees_with_jaconv_conversions(word: str) -> None:
    assert normalize_furigana(jaconv.kata2hira(word)) == jaconv.hira2kata(jaconv.kata2hira(word))
    half_width = jaconv.z2h(word, kana=True, ascii=False, digit=False)
    assert normalize_furigana(half_width) == jaconv.h2z(half_width, kana=True, ascii=False, digit=False)


@given(katakana_words, given_names, st.sampled_from(["", " ", "\u3000"]))
def test_a_name_is_found_by_its_full_name_surname_and_given_name(
    surname: str, given: str, space: str
) -> None:
    keys = name_keys(surname, given)
    assert kana_matches(keys, surname + space + given, EXACT)
    assert kana_matches(keys, surname, SURNAME)
    assert kana_matches(keys, given, GIVEN_NAME)
    assert kana_matches(keys, surname, PARTIAL)


@given(katakana_words, given_names, st.data())
def test_every_part_of_the_stored_full_key_is_a_partial_match(
    surname: str, given: str, data: st.DataObject
) -> None:
    keys = name_keys(surname, given)
    assume(keys.full)
    start = data.draw(st.integers(0, len(keys.full) - 1))
    end = data.draw(st.integers(start + 1, len(keys.full)))
    assert kana_matches(keys, keys.full[start:end], PARTIAL)


@given(katakana_words, given_names, katakana_words)
def test_partial_match_means_the_query_key_is_inside_the_full_key(
    surname: str, given: str, query: str
) -> None:
    keys = name_keys(surname, given)
    query_key = kana_search_key(query)
    assume(query_key)
    assert kana_matches(keys, query, PARTIAL) is (query_key in keys.full)
    if kana_matches(keys, query, EXACT):
        assert kana_matches(keys, query, PARTIAL)


# --- C.2 variant kanji ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "key"),
    [
        pytest.param(["渡邊"], "渡辺", id="VK-1"),
        pytest.param(["渡邉\U000e0100"], "渡辺", id="VK-2"),
        pytest.param(["渡边"], "渡辺", id="VK-3"),
        pytest.param(["濱田", "濵田"], "浜田", id="VK-4"),
        pytest.param(["滨田"], "浜田", id="VK-5"),
        pytest.param(["䕨原"], "藤原", id="VK-6"),
        pytest.param(["籘原"], "藤原", id="VK-7"),
        pytest.param(["髙橋"], "高橋", id="VK-8"),
        pytest.param(["山﨑"], "山崎", id="VK-9"),
        pytest.param(["齋藤"], "斎藤", id="VK-10"),
        pytest.param(["齊藤"], "斉藤", id="VK-11"),
        pytest.param(["德永", "徳永"], "徳永", id="VK-12"),
    ],
)
def test_variant_kanji_key_follows_the_worked_examples(names: list[str], key: str) -> None:
    for name in names:
        assert variant_kanji_key(name) == key


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("斎藤", "斉藤", id="VK-N1"),
        pytest.param("渡辺", "渡部", id="VK-N2"),
    ],
)
def test_different_characters_that_are_not_variants_do_not_match(first: str, second: str) -> None:
    assert variant_kanji_key(first) != variant_kanji_key(second)


def test_the_de_cycle_resolves_to_the_lower_code_point() -> None:
    assert variant_kanji_key("德") == variant_kanji_key("徳") == "\u5fb3"


def test_the_supplementary_table_is_a_parameter_with_the_spec_default() -> None:
    assert dict(DEFAULT_VARIANT_SUPPLEMENT) == {"滨": "浜", "籐": "藤"}
    assert variant_kanji_key("滨田", supplement={}) == "滨田"
    assert variant_kanji_key("籘原", supplement={}) == "籐原"
    assert variant_kanji_key("\ue000田", supplement={"\ue000": "濱"}) == "浜田"


def test_a_cycle_in_the_supplementary_table_resolves_to_the_lowest_code_point() -> None:
    assert variant_kanji_key("甲", supplement={"甲": "乙", "乙": "甲"}) == "乙"


def test_a_supplementary_entry_must_map_to_one_character() -> None:
    with pytest.raises(DomainError) as caught:
        variant_kanji_key("滨", supplement={"滨": "浜浜"})
    assert caught.value.code == "variant.supplement_entry"


def test_the_mj_shrink_schemes_can_be_restricted() -> None:
    assert variant_kanji_key("渡邊", schemes=1) == "渡邊"
    with pytest.raises(DomainError) as caught:
        variant_kanji_key("渡邊", schemes=0)
    assert caught.value.code == "variant.schemes"


def test_key_versions_change_with_the_map_schemes_and_table() -> None:
    assert variant_key_version() == VARIANT_KEY_VERSION
    assert variant_key_version(supplement={"滨": "浜"}) != VARIANT_KEY_VERSION
    assert variant_key_version(schemes=8) != VARIANT_KEY_VERSION
    assert variant_key_version(supplement=dict(DEFAULT_VARIANT_SUPPLEMENT)) == VARIANT_KEY_VERSION
    assert KANA_KEY_VERSION


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.characters(
    min_codepoint=0xF900, max_codepoint=0xFAFF
)


@given(st.text(alphabet=cjk, min_size=1, max_size=6))
def test_variant_kanji_key_is_idempotent(name: str) -> None:
    key = variant_kanji_key(name)
    assert variant_kanji_key(key) == key


@given(
    st.lists(
        st.tuples(cjk, st.sampled_from(["", "\ufe00", "\ufe0f", "\U000e0100", "\U000e01ef"])),
        min_size=1,
        max_size=6,
    )
)
def test_variant_kanji_key_ignores_variation_selectors(parts: list[tuple[str, str]]) -> None:
    plain = "".join(ch for ch, _ in parts)
    with_selectors = "".join(ch + selector for ch, selector in parts)
    assert variant_kanji_key(with_selectors) == variant_kanji_key(plain)
