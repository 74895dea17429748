"""Where provision reads 本人確認情報: the prefecture store (jukinet_prefecture.IdentityRecord), read-only.

Provision never writes the store. The reads are set-based (one query per chunk of keys), so a bulk run
of 100,000 condition rows costs a few hundred queries, not one per row. Four-item matching compares
normalised text: whitespace removed, NFKC, hiragana folded to katakana.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any, cast

from django.db import connection
from django.db.models import Field

from jumin.crypto.individual_number import decrypt_individual_number
from jumin.crypto.keyring import Keyring
from jumin.crypto.keys import get_keyring
from jumin.jukinet.prefecture.keys import kana_key, name_key
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion
from jumin.jukinet.prefecture.provision.items import IdentityView

CHUNK = 900  # keys per IN (...) query: below every engine's bound-parameter limit
_COLUMNS = ("resident_code", "birth_date", "sex", "address", "removed", "notice", "individual_number")


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Comparison form of a name, reading or address: NFKC, no whitespace, katakana for hiragana."""
    folded = unicodedata.normalize("NFKC", text or "")
    folded = "".join(folded.split())
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in folded)


def _token(encrypted: Any) -> str:
    if encrypted is None:
        return ""
    return encrypted if isinstance(encrypted, str) else str(encrypted.token)


def reveal(views: list[IdentityView]) -> list[IdentityView]:
    """The views with their 個人番号 decrypted (only for a caller allowed to provide it, C-9)."""
    keyring = get_keyring()
    return [
        replace(view, individual_number=_number(view.sealed_number or None, _RECORD_PURPOSE, keyring))
        for view in views
    ]


def _number(encrypted: Any, purpose: str, keyring: Keyring | None) -> str:
    if encrypted is None or keyring is None:
        return ""
    return decrypt_individual_number(encrypted, purpose=purpose, keyring=keyring)


def _view(row: Mapping[str, Any], *, purpose: str, keyring: Keyring | None) -> IdentityView:
    """``keyring`` None leaves the 個人番号 out (decrypted only for a caller allowed to provide it)."""
    notice = row["notice"] or {}
    return IdentityView(
        resident_code=row["resident_code"],
        name=str(notice.get("name", "")),
        name_kana=str(notice.get("name_kana", "")),
        birth_date=str(notice.get("birth_date", row.get("birth_date", ""))),
        sex=str(notice.get("sex", row.get("sex", ""))),
        address=str(notice.get("address", row.get("address", ""))),
        individual_number=_number(row["individual_number"], purpose, keyring),
        change_reason=str(notice.get("change_reason", "")),
        change_date=str(notice.get("change_date", "")),
        removed=bool(row.get("removed", notice.get("removed", False))),
        sealed_number=_token(row["individual_number"]),
    )


_RECORD_PURPOSE = "jukinet_prefecture.identity"
_VERSION_PURPOSE = "jukinet_prefecture.version"


def _chunks(keys: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _views(queryset: Any, with_number: bool) -> Iterator[IdentityView]:
    # One keyring lookup per query, not per row (a bulk run decrypts up to 100,000 numbers).
    keyring = get_keyring() if with_number else None
    for row in queryset.values(*_COLUMNS):
        yield _view(row, purpose=_RECORD_PURPOSE, keyring=keyring)


def _fetch(column: str, keys: Collection[str], *, with_number: bool) -> Iterator[tuple[str, IdentityView]]:
    """(key, view) for every current record whose ``column`` is one of ``keys``.

    Plain SQL, chunk by chunk: the bulk path reads up to 100,000 records, and the ORM's per-row
    converters would cost more than the reads themselves. The notice JSON and the encrypted 個人番号
    are decoded here the way their fields do.
    """
    meta = IdentityRecord._meta
    names = (*_COLUMNS, column)
    quote = connection.ops.quote_name
    selected = ", ".join(quote(str(cast("Field[Any, Any]", meta.get_field(name)).column)) for name in names)
    keyring = get_keyring() if with_number else None
    with connection.cursor() as cursor:
        for chunk in _chunks(keys):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {selected} FROM {quote(meta.db_table)} WHERE {quote(column)} IN ({marks})",  # noqa: S608
                chunk,
            )
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                notice = row["notice"]
                row["notice"] = json.loads(notice) if isinstance(notice, str | bytes) else notice
                row["removed"] = bool(row["removed"])
                yield row[column], _view(row, purpose=_RECORD_PURPOSE, keyring=keyring)


def by_resident_codes(codes: Collection[str], *, with_number: bool = False) -> dict[str, IdentityView]:
    """Current records of these 住民票コード (removed persons included), keyed by code.

    ``with_number`` decrypts the 個人番号: only for a caller allowed to provide it (C-9).
    """
    return dict(_fetch("resident_code", codes, with_number=with_number))


def by_number_indexes(
    indexes: Collection[str], *, with_number: bool = False
) -> dict[str, list[IdentityView]]:
    """Records whose 個人番号 has one of these blind indexes, keyed by index."""
    found: dict[str, list[IdentityView]] = {}
    for index, view in _fetch("individual_number_index", indexes, with_number=with_number):
        found.setdefault(index, []).append(view)
    return found


def born_on(dates: Collection[str], *, with_number: bool = False) -> dict[str, list[IdentityView]]:
    """Records with one of these birth dates (YYYYMMDD), keyed by date: candidates for 4情報 rows."""
    found: dict[str, list[IdentityView]] = {}
    for birth_date, view in _fetch("birth_date", dates, with_number=with_number):
        found.setdefault(birth_date, []).append(view)
    return found


def four_item_matches(
    view: IdentityView, *, name: str, name_kana: str, birth_date: str, sex: str, address: str
) -> bool:
    """Whether the record fits every 4情報 item given (blank items are not compared)."""
    if name and normalise(name) != normalise(view.name):
        return False
    if name_kana and normalise(name_kana) != normalise(view.name_kana):
        return False
    if birth_date and birth_date != view.birth_date:
        return False
    if sex and sex != view.sex:
        return False
    return not (address and not normalise(view.address).startswith(normalise(address)))


def search_four_items(
    *,
    name: str,
    name_kana: str,
    birth_date: str,
    sex: str,
    address: str,
    limit: int = 51,
    with_number: bool = False,
) -> list[IdentityView]:
    """Records fitting the given 4情報 (the caller has applied the two-item guard)."""
    # Narrow with the store's indexed keys (jukinet.prefecture.keys), then compare every item given.
    queryset = IdentityRecord.objects.all()
    if name.strip():
        queryset = queryset.filter(name_key=name_key(name))
    elif name_kana.strip():
        queryset = queryset.filter(kana_key=kana_key(name_kana) or "\x00")
    if birth_date:
        queryset = queryset.filter(birth_date=birth_date)
    if sex:
        queryset = queryset.filter(sex=sex)
    matches = [
        view
        for view in _views(queryset.order_by("resident_code"), with_number)
        if four_item_matches(
            view, name=name, name_kana=name_kana, birth_date=birth_date, sex=sex, address=address
        )
    ]
    return matches[:limit]


def history(resident_code: str, *, with_number: bool = False) -> list[IdentityView]:
    """Every accepted version of the person's record at this prefecture, oldest first."""
    rows = (
        IdentityVersion.objects.filter(resident_code=resident_code)
        .order_by("received_at", "id")
        .values("resident_code", "notice", "individual_number")
    )
    keyring = get_keyring() if with_number else None
    return [_view(row, purpose=_VERSION_PURPOSE, keyring=keyring) for row in rows]
