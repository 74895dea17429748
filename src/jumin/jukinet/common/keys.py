"""Search keys shared by the prefecture and national stores (pure Python); ``years_before`` re-exported.

One definition of the 4情報 matching keys (QUERY_IDENTITY matching rule) so that every reader of
a store compares against the keys its writer stored.
"""

from __future__ import annotations

import unicodedata

from jumin.domain.errors import DomainError
from jumin.domain.kana import kana_search_key
from jumin.domain.retention import years_before

__all__ = ["kana_key", "name_key", "years_before"]

_SPACES = str.maketrans("", "", " \u3000\t")


def name_key(name: str) -> str:
    """The exact-match key of a name: NFC, without spaces (QUERY_IDENTITY matching rule)."""
    return unicodedata.normalize("NFC", name).translate(_SPACES)


def kana_key(name_kana: str) -> str:
    """The 清音化 key of a reading (jumin.domain.kana), or "" when empty or not valid kana."""
    if not name_kana.strip():
        return ""
    try:
        return kana_search_key(name_kana, field="name_kana")
    except DomainError:
        return ""
