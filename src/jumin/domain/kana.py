"""フリガナ normalisation, kana search keys and variant-kanji keys (algorithms.md §C).

Stored names are never changed by search: the keys here are derived values,
rebuilt whenever ``KANA_KEY_VERSION`` or ``VARIANT_KEY_VERSION`` changes.
Bulk loads compute these keys for every resident, so the kana key folds
one-byte codes with ``bytes.translate`` tables built once at import, and the
variant key caches its per-character work.
"""

from __future__ import annotations

import codecs
import enum
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import jntajis

from jumin.domain.errors import DomainError

__all__ = [
    "ALL_MJ_SHRINK_SCHEMES",
    "DEFAULT_VARIANT_SUPPLEMENT",
    "KANA_KEY_VERSION",
    "VARIANT_KEY_VERSION",
    "KanaMatchMode",
    "NameKeys",
    "kana_matches",
    "kana_search_key",
    "name_keys",
    "normalize_furigana",
    "variant_kanji_key",
    "variant_key_version",
]

KANA_KEY_VERSION = "kana-key/1"
"""Version of the K1–K8 rules (algorithms.md C.1); bump it on any change so stored keys are rebuilt."""

_VOICED = "\u3099"  # combining voiced sound mark
_SEMI_VOICED = "\u309a"  # combining semi-voiced sound mark
_K3_DASHES = "\u30fc\uff70\u2015\uff0d\u2010-\u2014\u2212"
_SPACES = " \u3000"

# Allowed input (algorithms.md C.1, 2.1.2-e): hiragana, voicing marks, full- and
# half-width katakana letters, the K3 long-vowel and dash variants, spaces.
# Katakana-block punctuation (・, ヽ, ヾ, ヿ) is deliberately not a letter.
_ALPHABET = "".join(
    dict.fromkeys(
        [
            *map(chr, range(0x3041, 0x3097)),
            *map(chr, range(0x3099, 0x309D)),
            *map(chr, range(0x30A1, 0x30FB)),
            *map(chr, range(0xFF66, 0xFFA0)),
            *_K3_DASHES,
            *_SPACES,
        ]
    )
)
if len(_ALPHABET) > 256:  # pragma: no cover - guards the one-byte encoding below
    raise RuntimeError("the kana alphabet no longer fits in one byte")

# The alphabet fits in one byte per character. A charmap codec turns text into
# those bytes in C, rejecting anything outside the alphabet on the way, and
# bytes.translate then folds at C speed. str.translate with a dict is about ten
# times slower, and bulk loads compute millions of keys.
_DECODING_TABLE = _ALPHABET.ljust(256, "\ufffe")
_ENCODING_MAP = codecs.charmap_build(_DECODING_TABLE)


def _codes(chars: str) -> bytes:
    return bytes(_ALPHABET.index(ch) for ch in chars)


def _byte_table(fold: Callable[[str], str]) -> bytes:
    # fold maps each alphabet character to one alphabet character; deletions are separate.
    return bytes(_ALPHABET.index(fold(ch)) for ch in _ALPHABET) + bytes(range(len(_ALPHABET), 256))


def _build_k1_table() -> dict[int, str]:
    table: dict[int, str] = {cp: chr(cp + 0x60) for cp in range(0x3041, 0x3097)}  # hiragana → katakana
    for cp in range(0xFF66, 0xFFA0):
        # NFKC maps each half-width katakana to its full-width form and ﾞ/ﾟ to the combining marks.
        table[cp] = unicodedata.normalize("NFKC", chr(cp))
    # Spacing marks become combining so that NFC can join them to the preceding kana.
    table[0x309B] = _VOICED
    table[0x309C] = _SEMI_VOICED
    return table


_K1_TABLE = _build_k1_table()
_K1_BYTES = _byte_table(lambda ch: _K1_TABLE.get(ord(ch), ch))
_VOICED_CODE, _SEMI_VOICED_CODE = _codes(_VOICED + _SEMI_VOICED)
_K2_K3_DELETE = _codes(_SPACES + _K3_DASHES)

# K4, applied longest first so that ヴァ becomes バ and not ブァ.
_VU_CODE = _ALPHABET.index("ヴ")
_K4_PAIRS = tuple(
    (_codes(before), _codes(after))
    for before, after in (("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴ", "ブ"))
)
# ヷヸヹヺ are ヴァ..ヴォ written as one letter; folding them by the same analogy keeps
# them on the ハ/ヒ/ヘ/ホ keys instead of stranding ヷ on ワ after K6 has run.
_K4_SINGLE = {"ヷ": "バ", "ヸ": "ビ", "ヹ": "ベ", "ヺ": "ボ"}
_K5 = dict(zip("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ", strict=True))
_K6 = {"ヂ": "ジ", "ヅ": "ズ", "ヲ": "オ", "ワ": "ハ"}


def _k4_single_to_k7(ch: str) -> str:
    # K5, K6 and K7 are character-to-character maps applied in order, so they
    # compose into one table; K4's single-letter cases go first.
    folded = _K4_SINGLE.get(ch, ch)
    folded = _K5.get(folded, folded)
    folded = _K6.get(folded, folded)
    decomposed = unicodedata.normalize("NFD", folded)
    if len(decomposed) == 2 and decomposed[1] in (_VOICED, _SEMI_VOICED):
        return decomposed[0]  # K7
    return folded


_K5_K7_BYTES = _byte_table(_k4_single_to_k7)
_K7_DELETE = _codes(_VOICED + _SEMI_VOICED + "\u309b\u309c")
_K2_K3_K7_DELETE = _K2_K3_DELETE + _K7_DELETE

# K8: after an オ-row kana every following ウ becomes オ, and the new オ is itself an
# オ-row kana, so a whole run of ウ turns into オ (コウウ → コオオ). bytes.replace does
# this at C speed: first the ウ right after the other オ-row kana, then オウ → オオ
# repeated until no run is left. A regex with a callback is three times slower.
_U_CODE = _ALPHABET.index("ウ")
_K8_PAIRS = tuple((_codes(o + "ウ"), _codes(o + "オ")) for o in "コソトノホモヨロ")
_K8_O_U, _K8_O_O = _codes("オウ"), _codes("オオ")

_STORED_DASHES = str.maketrans(dict.fromkeys(_K3_DASHES, "ー"))
_LEFTOVER_MARKS = str.maketrans({_VOICED: "\u309b", _SEMI_VOICED: "\u309c"})
_SPACE_RUN = re.compile("[ \u3000]+")


def _encode(text: str, field: str) -> bytes:
    try:
        return codecs.charmap_encode(text, "strict", _ENCODING_MAP)[0]
    except UnicodeEncodeError:
        # from None: the codec error quotes the rejected character, which is personal data.
        raise DomainError(
            field=field,
            reason="フリガナに使えない文字が含まれています。",
            remedy="カタカナ（またはひらがな）で入力してください。記号・英字・数字は使えません。",
            code="kana.disallowed_character",
        ) from None


def _decode(data: bytes) -> str:
    # typeshed omits the str decoding table that the stdlib's own encodings (cp1252.py) pass.
    return codecs.charmap_decode(data, "strict", _DECODING_TABLE)[0]  # type: ignore[arg-type]


def _k1(data: bytes, field: str) -> bytes:
    data = data.translate(_K1_BYTES)
    if _VOICED_CODE in data or _SEMI_VOICED_CODE in data:
        data = _encode(unicodedata.normalize("NFC", _decode(data)), field)
    return data


def normalize_furigana(text: str, *, field: str = "furigana") -> str:
    """The stored form of フリガナ input: full-width katakana, one full-width space between parts (2.1.2-a).

    Long vowels and small kana are kept; dash variants become ー; disallowed input raises DomainError (C.1).
    """
    stored = _decode(_k1(_encode(text, field), field)).translate(_STORED_DASHES).translate(_LEFTOVER_MARKS)
    return _SPACE_RUN.sub("\u3000", stored).strip("\u3000")


def kana_search_key(text: str, *, field: str = "furigana") -> str:
    """The kana search key of ``text``: steps K1–K8 in order (algorithms.md C.1).

    Disallowed input such as （株）, ㈱, Latin letters or digits raises DomainError (2.1.2-e).
    """
    data = _k1(_encode(text, field), field)
    if _VU_CODE in data:
        data = data.translate(None, _K2_K3_DELETE)
        for before, after in _K4_PAIRS:
            data = data.replace(before, after)
        data = data.translate(_K5_K7_BYTES, _K7_DELETE)
    else:
        # Without ヴ, K4 is the identity and the K2/K3 deletions can share the K5–K7 pass.
        data = data.translate(_K5_K7_BYTES, _K2_K3_K7_DELETE)
    if _U_CODE in data:
        for before, after in _K8_PAIRS:
            data = data.replace(before, after)
        while _K8_O_U in data:
            data = data.replace(_K8_O_U, _K8_O_O)
    return _decode(data)


@dataclass(frozen=True, slots=True)
class NameKeys:
    """The kana search keys of one name: full name, surname, given name (algorithms.md C.1)."""

    full: str
    surname: str
    given: str | None
    """None when the name has no given-name part."""


def name_keys(surname_kana: str, given_kana: str | None = None) -> NameKeys:
    """The three kana keys of a name; the given-name key is computed on its own (algorithms.md C.1)."""
    surname = kana_search_key(surname_kana, field="surname_kana")
    if given_kana is None or not given_kana.strip(_SPACES):
        return NameKeys(full=surname, surname=surname, given=None)
    given = kana_search_key(given_kana, field="given_name_kana")
    # K4 and K8 can act across the boundary once the parts are joined, so the full key is recomputed.
    return NameKeys(full=kana_search_key(f"{surname_kana} {given_kana}"), surname=surname, given=given)


class KanaMatchMode(enum.StrEnum):
    """Match modes of the kana search (algorithms.md C.1, 2.1.2-c)."""

    EXACT = "exact"
    PARTIAL = "partial"
    SURNAME = "surname"
    GIVEN_NAME = "given_name"


def kana_matches(stored: NameKeys, query: str, mode: KanaMatchMode = KanaMatchMode.EXACT) -> bool:
    """Whether ``query`` finds the name with keys ``stored`` in ``mode`` (algorithms.md C.1 "Match modes").

    A query whose key is empty raises DomainError rather than matching everything.
    """
    key = kana_search_key(query, field="query")
    if not key:
        raise DomainError(
            field="query",
            reason="検索するフリガナが入力されていません。",
            remedy="カタカナ（またはひらがな）を1文字以上入力してください。",
            code="kana.empty_query",
        )
    if mode is KanaMatchMode.EXACT:
        return key == stored.full
    if mode is KanaMatchMode.PARTIAL:
        return key in stored.full
    if mode is KanaMatchMode.SURNAME:
        return key == stored.surname
    # A given-name search compares the given-name key, never a substring of the
    # full key: K8 may have turned the given name's leading ウ into オ there.
    return stored.given is not None and key == stored.given


# --- Variant kanji (C.2) ---------------------------------------------------------------

ALL_MJ_SHRINK_SCHEMES = functools.reduce(lambda a, b: a | b, (int(s) for s in jntajis.MJShrinkSchemeCombo))
"""All four MJ shrink map schemes, the default of setting ``mj_shrink_schemes`` (algorithms.md C.2 VK2)."""

DEFAULT_VARIANT_SUPPLEMENT: Mapping[str, str] = MappingProxyType({"滨": "浜", "籐": "藤"})
"""Initial supplementary variant table (algorithms.md C.2 VK4); municipalities maintain their own."""

_VARIATION_SELECTORS = str.maketrans(
    dict.fromkeys([*map(chr, range(0xFE00, 0xFE10)), *map(chr, range(0xE0100, 0xE01F0))])
)


def _require_schemes(schemes: int) -> None:
    if not 0 < schemes <= ALL_MJ_SHRINK_SCHEMES:
        raise DomainError(
            field="mj_shrink_schemes",
            reason="MJ縮退マップの方式の指定が正しくありません。",
            remedy="1から15までの値（方式のビットの組み合わせ）を設定してください。",
            code="variant.schemes",
        )


@functools.lru_cache(maxsize=1 << 16)
def _primary_target(ch: str, schemes: int) -> str:
    # VK2: the candidate list starts with the JIS X 0213 target and may include ch itself.
    candidates = jntajis.mj_shrink_candidates(ch, schemes, 1)
    return candidates[0] if candidates and len(candidates[0]) == 1 else ch


def _lowest_in_cycle(path: list[str], repeated: str) -> str:
    return min(path[path.index(repeated) :])


@functools.lru_cache(maxsize=1 << 16)
def _map_fixed_point(ch: str, schemes: int) -> str:
    # VK3: follow the primary target only, never the transitive closure of all candidates.
    path: list[str] = []
    while ch not in path:
        path.append(ch)
        ch = _primary_target(ch, schemes)
    return _lowest_in_cycle(path, ch)


def _char_key(ch: str, schemes: int, supplement: Mapping[str, str]) -> str:
    current = _map_fixed_point(ch, schemes)
    path = [current]
    # VK4: the map is re-applied after the table, so 籘 → 籐 (map) → 藤 (table) → 藤 (map).
    while (representative := supplement.get(current)) is not None and representative != current:
        if len(representative) != 1:
            raise DomainError(
                field="variant_supplement",
                reason="異体字補助表の代表字は1文字でなければなりません。",
                remedy="異体字補助表の設定を見直してください。",
                code="variant.supplement_entry",
            )
        current = _map_fixed_point(representative, schemes)
        if current in path:
            return _lowest_in_cycle(path, current)
        path.append(current)
    return current


@functools.lru_cache(maxsize=1 << 16)
def _default_char_key(ch: str, schemes: int) -> str:
    return _char_key(ch, schemes, DEFAULT_VARIANT_SUPPLEMENT)


def variant_kanji_key(
    name: str, *, supplement: Mapping[str, str] | None = None, schemes: int = ALL_MJ_SHRINK_SCHEMES
) -> str:
    """The variant-kanji search key of a name in kanji: steps VK1–VK5 (algorithms.md C.2).

    ``supplement`` replaces DEFAULT_VARIANT_SUPPLEMENT; ``schemes`` is a MJShrinkSchemeCombo bitmask.
    """
    _require_schemes(schemes)
    name = name.translate(_VARIATION_SELECTORS)
    if supplement is None:
        return "".join([_default_char_key(ch, schemes) for ch in name])
    return "".join([_char_key(ch, schemes, supplement) for ch in name])


def variant_key_version(
    *, supplement: Mapping[str, str] | None = None, schemes: int = ALL_MJ_SHRINK_SCHEMES
) -> str:
    """A version string of the variant key for the map, schemes and table in use (algorithms.md C.2).

    Rebuild the variant index whenever it changes.
    """
    table = DEFAULT_VARIANT_SUPPLEMENT if supplement is None else supplement
    digest = hashlib.sha256(json.dumps(sorted(table.items()), ensure_ascii=False).encode()).hexdigest()
    return f"variant-key/1;jntajis={jntajis.__version__};schemes={schemes};supplement={digest[:12]}"


VARIANT_KEY_VERSION = variant_key_version()
"""Version of the default variant key (algorithms.md C.2): rebuild the index when it changes."""
