"""Conversion to 住基ネット統一文字 (the network's unified characters; std 7.1.1.1-e, records.md §8 rule 2).

The registry stores names and addresses as entered (Unicode, with IVS); the CS converts them when it
builds a telegram for the network. J-LIS's 統一文字 table is not available (standard-coverage known
gap 2), so the target set is, until it is loaded:

* JIS X 0208 as Shift_JIS encodes it, and JIS X 0213:2012, both planes, as jntajis encodes **and
  decodes back to the same code point** (plane 2: encodes, and is its own canonical form); plus
  printable ASCII, which the network's layouts already carry as is;
* the 外字 the municipality has identified in the 統一文字 table and registered (``registered``):
  a base character, or a base with its variation selector, sent unchanged and counted as 外字.

A character outside the set is converted only when the result is the *same* character:

* a canonical equivalent (NFC; e.g. a CJK compatibility ideograph such as U+F91D → U+6B04);
* Microsoft's Unicode mapping of a JIS X 0208 code point → the JIS standard's (e.g. U+FF5E → WAVE
  DASH U+301C), the form Shift_JIS and the 外字数 rule (``jukinet.cs.updates.gaiji_count``) know.

Nothing else is changed: a variant (髙 for 高, an IVS sequence) that is not registered is *not*
folded to a standard character, because that changes how a person's name is written. Such a
character makes ``to_unified`` refuse, and the caller holds the telegram for the clerk (外字の同定
or 登録, docs/jukinet.md "住基ネット統一文字").
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Iterator

import jntajis

from jumin.domain.errors import DomainError, refusal

__all__ = [
    "NOT_UNIFIED_CODE",
    "NOT_UNIFIED_RECEIVED_CODE",
    "in_target_set",
    "printed_characters",
    "received_refusal",
    "to_unified",
    "to_unified_known",
    "unrepresentable_positions",
]

NOT_UNIFIED_CODE = "jukinet.not_unified_character"
#: A received text holds a character this CS cannot represent (a 外字 registered at the sender only).
NOT_UNIFIED_RECEIVED_CODE = "jukinet.not_unified_character_received"

#: Microsoft's mapping of a JIS X 0208 code point → the JIS standard's (which Shift_JIS and the 外字数
#: rule use): the same character, so it is converted, and only the standard form is in the set.
_SAME_JIS_CODE_POINT: dict[str, str] = {
    "\uff5e": "\u301c",  # ～ → 〜 WAVE DASH (1-1-33)
    "\uff0d": "\u2212",  # － → − MINUS SIGN (1-1-61)
    "\u2225": "\u2016",  # ∥ → ‖ DOUBLE VERTICAL LINE (1-1-34)
    "\uffe0": "\u00a2",  # ￠ → ¢ (1-1-81)
    "\uffe1": "\u00a3",  # ￡ → £ (1-1-82)
    "\uffe2": "\u00ac",  # ￢ → ¬ (1-2-44)
}

_FIELD_NAMES = {
    "name": "氏名",
    "address": "住所",
    "former_surname": "旧氏",
    "last_address": "最終住所",
    "honseki": "本籍",
    "hittousha": "筆頭者",
    "household_head": "世帯主の氏名",
    "destination": "転出先",
    "new_address": "転入先の住所",
    "foreign.alias": "通称",
}


def _is_selector(char: str) -> bool:
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def printed_characters(text: str) -> Iterator[str]:
    """The text as printed characters: a base character and its variation selector stay together."""
    pending = ""
    for char in text:
        if _is_selector(char) and pending:
            pending += char
            continue
        if pending:
            yield pending
        pending = char
    if pending:
        yield pending


@functools.cache
def in_target_set(character: str) -> bool:
    """Whether one printed character is in JIS X 0213 (round trip through jntajis) or printable ASCII."""
    if len(character) != 1:
        return False  # a base with a selector is a 外字 unless registered
    if " " <= character <= "~":
        return True
    if character in _SAME_JIS_CODE_POINT:
        return False
    try:
        character.encode("shift_jis")  # JIS X 0208 in the standard's own mapping
        return True
    except UnicodeEncodeError:
        pass
    try:
        encoded = jntajis.jnta_encode("jis", character, jntajis.ConversionMode.MEN1)
    except UnicodeEncodeError:
        # Plane 2 (kanji only): jntajis 0.1 cannot decode its own plane-2 output, so the round trip is
        # replaced by the canonical check (a compatibility ideograph is mapped, not contained).
        try:
            jntajis.jnta_encode("jis", character, jntajis.ConversionMode.SISO)
        except UnicodeEncodeError:
            return False
        return unicodedata.normalize("NFC", character) == character
    try:
        return str(jntajis.jnta_decode("jis", encoded)) == character
    except (UnicodeDecodeError, ValueError, TypeError):  # TypeError: a jntajis 0.1 bug on bad input
        return False


def _converted(character: str, registered: frozenset[str]) -> str | None:
    """The character in the target set, or None when it cannot be represented without changing it."""
    if character in registered or in_target_set(character):
        return character
    if character in _SAME_JIS_CODE_POINT:
        return _SAME_JIS_CODE_POINT[character]
    canonical = unicodedata.normalize("NFC", character)
    if canonical != character and (canonical in registered or in_target_set(canonical)):
        return canonical
    return None


def unrepresentable_positions(text: str, registered: Iterable[str] = frozenset()) -> list[int]:
    """1-based printed-character positions of ``text`` that cannot be represented (empty: all can)."""
    known = frozenset(registered)
    return [
        index
        for index, character in enumerate(printed_characters(text), start=1)
        if _converted(character, known) is None
    ]


def to_unified_known(text: str, registered: Iterable[str] = frozenset()) -> tuple[str, list[int]]:
    """``text`` with every convertible character in 統一文字, the others kept as they are, and the
    1-based positions of those others (empty: the whole text is in 統一文字)."""
    known = frozenset(registered)
    out: list[str] = []
    missing: list[int] = []
    for index, character in enumerate(printed_characters(text), start=1):
        converted = _converted(character, known)
        if converted is None:
            missing.append(index)
            out.append(character)
        else:
            out.append(converted)
    return "".join(out), missing


def _places(field: str, missing: list[int]) -> str:
    label = _FIELD_NAMES.get(field, field)
    return f"{label}の" + "、".join(f"{index}文字目" for index in missing[:5])


def to_unified(text: str, *, field: str, registered: Iterable[str] = frozenset()) -> str:
    """``text`` in 住基ネット統一文字; refuses (DomainError on ``field``) a character that has none.

    Characters already in the target set are never changed. The message names the field and the
    positions only, never the characters (they are personal data).
    """
    converted, missing = to_unified_known(text, registered)
    if missing:
        raise refusal(
            field,
            f"{_places(field, missing)}は住基ネット統一文字で表せないため、通知を保留しました。",
            "文字を同定して統一文字で記載を修正するか、統一文字表で確認した外字を登録してから再送してください"
            "（docs/jukinet.md「住基ネット統一文字」）。",
            NOT_UNIFIED_CODE,
        )
    return converted


def received_refusal(field: str, missing: list[int]) -> DomainError:
    """Why a received text cannot be taken in as it is: the positions this CS cannot represent (a
    外字 the sender registered and this CS has not). Names the field and positions, never the text."""
    return refusal(
        field,
        f"受信した{_places(field, missing)}は、"
        "このCSで住基ネット統一文字として扱えない文字（未登録の外字）です。",
        "統一文字表で文字を確認して外字を登録する（jumin cs register-character）か、"
        "本人に確認して正しい文字で記載してください（docs/jukinet.md「住基ネット統一文字」）。",
        NOT_UNIFIED_RECEIVED_CODE,
    )
