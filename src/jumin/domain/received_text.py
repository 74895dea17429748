"""Garbled text in data received from another system (文字化け; std 4.1.3.1.2-a).

A 転入通知 arrives as text another municipality's system encoded: a character that system could not map
comes as U+FFFD, a byte string decoded with the wrong code page shows as Latin-1 letters (「ã€€」) or C1
controls, and a 外字 in a private-use area has no meaning here. None of these may be stored as a
registered value; the clerk corrects the text from the notice's paper or by asking the 転入先.
"""

from __future__ import annotations

import unicodedata

__all__ = ["format_code_point", "unacceptable_characters"]

REPLACEMENT_CHARACTER = "\ufffd"
# Control, format, surrogate, private-use and unassigned code points (a separator other than the space).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# U+0080–U+00FF: what UTF-8 or Shift_JIS bytes become when read as Latin-1 / cp1252. A Japanese address
# never needs them (full-width forms exist for every symbol it uses).
_MOJIBAKE_RANGE = (0x0080, 0x00FF)


def format_code_point(char: str) -> str:
    """「U+FFFD」: a character named without printing it (the text itself may be personal data)."""
    return f"U+{ord(char):04X}"


def _refused(char: str) -> bool:
    if char == REPLACEMENT_CHARACTER:
        return True
    if _MOJIBAKE_RANGE[0] <= ord(char) <= _MOJIBAKE_RANGE[1]:
        return True
    return unicodedata.category(char) in _REFUSED_CATEGORIES


def unacceptable_characters(text: str) -> tuple[str, ...]:
    """The distinct characters of ``text`` the registry does not store, in order of first appearance:
    the replacement character, Latin-1 / C1 mojibake, controls, format and private-use characters."""
    seen: dict[str, None] = {}
    for char in text:
        if _refused(char):
            seen.setdefault(char)
    return tuple(seen)
