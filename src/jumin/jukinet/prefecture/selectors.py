"""Reads of the 都道府県知事保存本人確認情報 for the prefecture's own terminals and queries.

The provision app (``jukinet.prefecture.provision``, system.md F19–F20) reads the store only through
these functions:

* ``find_by_resident_code(code)``, ``find_by_individual_number(number)``: one record or None;
* ``search_four_items(name=…, name_kana=…, birth_date=…, sex=…, address=…)``: records and a
  truncation flag, after the 4情報 guard (two items other than sex);
* ``notice_payload(record)``: the IdentityNotice payload (the 8 items and the rest) of a record.

Records are returned as ``IdentityItems`` (the 28 items of records.md §2). These functions do not
audit: the caller records the provision, transfer or disclosure with its purpose in its own
transaction (architecture.md §3 rule 5). The 個人番号 is decrypted only with
``with_individual_number=True``; the caller must hold the permission and set
``individual_number_used`` in its audit entry.

The provision app's set-based reads return ``IdentityView`` (the 8 items, the reading, the record id
for audit subject ids and the still-encrypted 個人番号): ``views_by_resident_codes``,
``views_by_number_indexes``, ``views_by_column`` (birth dates, name keys, kana keys; one IN query per
chunk of keys), ``search_four_item_views`` and ``version_views``. ``four_items_match`` is the same 4情報
rule as ``records_by_four_items``, applied in memory to a set read; ``reveal`` decrypts the 個人番号
of the persons actually provided.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import QuerySet

from jumin.crypto.individual_number import blind_index, decrypt_individual_number
from jumin.crypto.keys import get_keyring
from jumin.domain.checkdigits import validate_juminhyo_code
from jumin.jukinet.common.keys import kana_key, name_key
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.common.queries import MAX_QUERY_RECORDS, check_four_items
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion


@dataclass(frozen=True)
class IdentityItems:
    """The 28 items of the 都道府県知事保存本人確認情報 (records.md §2), in the table's order."""

    resident_code: str  # 1
    name: str  # 2
    name_gaiji_count: int  # 3
    name_kana: str  # 4
    birth_date: str  # 5 YYYYMMDD
    sex: str  # 6
    address: str  # 7
    address_gaiji_count: int  # 8
    individual_number: str  # 9 ("" unless asked for, or when none is recorded)
    change_reason: str  # 10
    change_date: str  # 11
    retention_flag: bool  # 12 保存期間フラグ
    name_kana_seion: str  # 13
    municipality_code: str  # 14
    aza_code: str  # 15
    operator_id: str  # 16
    terminal_id: str  # 17
    timestamp: str  # 18
    received_on: str  # 19 通知を受けた年月日 (YYYY-MM-DD)
    gaiji_flag: bool  # 20
    removed: bool  # 21 削除フラグ
    update_seq: int  # 22
    name_gaiji_seq: int  # 23
    address_gaiji_seq: int  # 24
    former_surname: str  # 25
    former_surname_gaiji_count: int  # 26
    former_surname_kana: str  # 27
    former_surname_gaiji_seq: int  # 28
    record_id: int  # internal id (for audit subject ids), not one of the 28 items


def to_items(record: IdentityRecord, *, with_individual_number: bool = False) -> IdentityItems:
    """The 28 items of one stored record."""
    notice = record.notice
    return IdentityItems(
        resident_code=record.resident_code,
        name=notice["name"],
        name_gaiji_count=notice["name_gaiji_count"],
        name_kana=notice["name_kana"],
        birth_date=notice["birth_date"],
        sex=notice["sex"],
        address=notice["address"],
        address_gaiji_count=notice["address_gaiji_count"],
        individual_number=(record.get_individual_number() or "") if with_individual_number else "",
        change_reason=notice["change_reason"],
        change_date=notice["change_date"],
        retention_flag=record.retention_flag,
        name_kana_seion=notice["name_kana_seion"],
        municipality_code=notice["municipality_code"],
        aza_code=notice["aza_code"],
        operator_id=notice["operator_id"],
        terminal_id=notice["terminal_id"],
        timestamp=notice["timestamp"],
        received_on=record.received_on.isoformat(),
        gaiji_flag=notice["gaiji_flag"],
        removed=record.removed,
        update_seq=record.update_seq,
        name_gaiji_seq=record.name_gaiji_seq,
        address_gaiji_seq=record.address_gaiji_seq,
        former_surname=notice["former_surname"],
        former_surname_gaiji_count=notice["former_surname_gaiji_count"],
        former_surname_kana=notice["former_surname_kana"],
        former_surname_gaiji_seq=record.former_surname_gaiji_seq,
        record_id=record.pk,
    )


def notice_payload(record: IdentityRecord) -> dict[str, Any]:
    """The IdentityNotice payload of a stored record (the 個人番号 decrypted: audit it as used)."""
    return {**record.notice, "individual_number": record.get_individual_number() or ""}


def _current(rows: QuerySet[IdentityRecord], include_removed: bool) -> QuerySet[IdentityRecord]:
    return rows if include_removed else rows.filter(removed=False)


def record_by_resident_code(code: str, *, include_removed: bool = True) -> IdentityRecord | None:
    """The stored record of a 住民票コード (validated; DomainError if malformed), or None."""
    code = validate_juminhyo_code(code, rule=RESIDENT_CODE_RULE, field="resident_code")
    return _current(IdentityRecord.objects.filter(resident_code=code), include_removed).first()


def record_by_individual_number(number: str, *, include_removed: bool = True) -> IdentityRecord | None:
    """The stored record holding a 個人番号, found by its blind index, or None."""
    rows = IdentityRecord.objects.filter(individual_number_index=blind_index(number))
    return _current(rows, include_removed).order_by("removed", "-received_at").first()


def _four_item_rows(
    rows: QuerySet[IdentityRecord], *, name: str, name_kana: str, birth_date: str, sex: str, address: str
) -> QuerySet[IdentityRecord]:
    """The 4情報 matching rule on the stored key columns (``four_items_match`` is the same in memory)."""
    if name.strip():
        rows = rows.filter(name_key=name_key(name))
    elif name_kana.strip():
        rows = rows.filter(kana_key=kana_key(name_kana) or "\x00")
    if birth_date:
        rows = rows.filter(birth_date=birth_date)
    if sex:
        rows = rows.filter(sex=sex)
    if address:
        rows = rows.filter(address__startswith=address)
    return rows


def records_by_four_items(
    *,
    name: str = "",
    name_kana: str = "",
    birth_date: str = "",
    sex: str = "",
    address: str = "",
    include_removed: bool = False,
    limit: int = MAX_QUERY_RECORDS,
) -> tuple[list[IdentityRecord], bool]:
    """Records matching the 4情報 (name exact after NFC without spaces, or the 清音化 reading key;
    birth date and sex exact; address by prefix), at most ``limit``, and whether more matched.

    Refuses (DomainError) a search with fewer than two items other than sex (controls.md C-32).
    """
    check_four_items(
        {"name": name, "name_kana": name_kana, "birth_date": birth_date, "sex": sex, "address": address}
    )
    rows = _four_item_rows(
        _current(IdentityRecord.objects.all(), include_removed),
        name=name,
        name_kana=name_kana,
        birth_date=birth_date,
        sex=sex,
        address=address,
    )
    found = list(rows.order_by("resident_code")[: limit + 1])
    return found[:limit], len(found) > limit


def find_by_resident_code(
    code: str, *, include_removed: bool = True, with_individual_number: bool = False
) -> IdentityItems | None:
    """The 28 items of a 住民票コード, or None (for the provision terminals; the caller audits)."""
    record = record_by_resident_code(code, include_removed=include_removed)
    return None if record is None else to_items(record, with_individual_number=with_individual_number)


def find_by_individual_number(
    number: str, *, include_removed: bool = True, with_individual_number: bool = False
) -> IdentityItems | None:
    """The 28 items of the person holding a 個人番号, or None (the caller audits the number search)."""
    record = record_by_individual_number(number, include_removed=include_removed)
    return None if record is None else to_items(record, with_individual_number=with_individual_number)


def search_four_items(
    *,
    name: str = "",
    name_kana: str = "",
    birth_date: str = "",
    sex: str = "",
    address: str = "",
    include_removed: bool = False,
    with_individual_number: bool = False,
    limit: int = MAX_QUERY_RECORDS,
) -> tuple[list[IdentityItems], bool]:
    """The 28 items of the 4情報 matches and the truncation flag (the caller audits)."""
    records, truncated = records_by_four_items(
        name=name,
        name_kana=name_kana,
        birth_date=birth_date,
        sex=sex,
        address=address,
        include_removed=include_removed,
        limit=limit,
    )
    return [to_items(r, with_individual_number=with_individual_number) for r in records], truncated


# --- Set-based reads for provision (system.md F19–F20) --------------------------------------------

SEX_LABELS = {"male": "男", "female": "女"}
#: Keys per IN (...) query: below every engine's bound-parameter limit.
CHUNK = 900
_RECORD_PURPOSE = "jukinet_prefecture.identity"
_VERSION_PURPOSE = "jukinet_prefecture.version"
_VIEW_COLUMNS = (
    "pk",
    "resident_code",
    "name_key",
    "kana_key",
    "birth_date",
    "sex",
    "address",
    "removed",
    "notice",
    "individual_number",
)


@dataclass(frozen=True)
class IdentityView:
    """One person's 本人確認情報 as provision sees it (current state, one history row, or a national
    answer): the 8 items of records.md §4 and the reading. ``record_id`` is the IdentityRecord id for
    audit subject ids (0 for a national answer); ``sealed_number`` the still-encrypted 個人番号, so
    that only the persons provided are decrypted (``reveal``)."""

    resident_code: str
    name: str
    name_kana: str
    birth_date: str  # YYYYMMDD
    sex: str  # "male" | "female"
    address: str
    individual_number: str  # "" when none, or not decrypted
    change_reason: str
    change_date: str  # YYYY-MM-DD
    removed: bool = False
    record_id: int = 0
    name_key: str = field(default="", repr=False, compare=False)
    kana_key: str = field(default="", repr=False, compare=False)
    sealed_number: str = field(default="", repr=False, compare=False)

    def __repr__(self) -> str:
        return "IdentityView(…)"  # personal data: never in a log or a traceback

    def item(self, code: str) -> str:
        """The value of one of the 8 items as text for a screen, form or result file."""
        if code == "sex":
            return SEX_LABELS.get(self.sex, self.sex)
        return str(getattr(self, code))

    def items(self, codes: list[str]) -> dict[str, str]:
        """The given item codes and their text, in the order given."""
        return {code: self.item(code) for code in codes}


def _sealed(encrypted: Any) -> str:
    if encrypted is None:
        return ""
    return encrypted if isinstance(encrypted, str) else str(encrypted.token)


def _view(row: Mapping[str, Any], purpose: str, keyring: Any) -> IdentityView:
    notice = row["notice"] or {}
    sealed = _sealed(row["individual_number"])
    return IdentityView(
        resident_code=row["resident_code"],
        name=str(notice.get("name", "")),
        name_kana=str(notice.get("name_kana", "")),
        birth_date=str(notice.get("birth_date", row.get("birth_date", ""))),
        sex=str(notice.get("sex", row.get("sex", ""))),
        address=str(notice.get("address", row.get("address", ""))),
        individual_number=(
            decrypt_individual_number(sealed, purpose=purpose, keyring=keyring) if keyring and sealed else ""
        ),
        change_reason=str(notice.get("change_reason", "")),
        change_date=str(notice.get("change_date", "")),
        removed=bool(row.get("removed", notice.get("removed", False))),
        record_id=int(row.get("pk") or row.get("record_id") or 0),
        name_key=str(row.get("name_key", "")),
        kana_key=str(row.get("kana_key", "")),
        sealed_number=sealed,
    )


def _chunks(keys: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def views_by_column(
    column: str, keys: Collection[str], *, with_number: bool = False
) -> dict[str, list[IdentityView]]:
    """Current records (removed included) whose ``column`` is one of ``keys``, keyed by that value.

    ``column`` is one of the indexed search columns: resident_code, individual_number_index,
    birth_date, name_key, kana_key. One query per chunk of keys; ``with_number`` decrypts the
    個人番号 (only for a caller allowed to provide it, C-9).
    """
    if column not in ("resident_code", "individual_number_index", "birth_date", "name_key", "kana_key"):
        raise ValueError(column)
    keyring = get_keyring() if with_number else None
    found: dict[str, list[IdentityView]] = {}
    for chunk in _chunks(keys):
        rows = IdentityRecord.objects.filter(**{f"{column}__in": chunk}).order_by("resident_code")
        for row in rows.values(*_VIEW_COLUMNS, *(() if column in _VIEW_COLUMNS else (column,))):
            found.setdefault(row[column], []).append(_view(row, _RECORD_PURPOSE, keyring))
    return found


def views_by_resident_codes(codes: Collection[str], *, with_number: bool = False) -> dict[str, IdentityView]:
    """Current records of these 住民票コード (removed persons included), keyed by code."""
    return {
        code: views[0]
        for code, views in views_by_column("resident_code", codes, with_number=with_number).items()
    }


def views_by_number_indexes(
    indexes: Collection[str], *, with_number: bool = False
) -> dict[str, list[IdentityView]]:
    """Records whose 個人番号 has one of these blind indexes, keyed by index."""
    return views_by_column("individual_number_index", indexes, with_number=with_number)


def four_items_match(
    view: IdentityView, *, name: str, name_kana: str, birth_date: str, sex: str, address: str
) -> bool:
    """``records_by_four_items``'s rule on a record already read: the stored name or kana key,
    birth date and sex exact, address by prefix (blank items are not compared)."""
    if name.strip():
        if view.name_key != name_key(name):
            return False
    elif name_kana.strip() and view.kana_key != (kana_key(name_kana) or "\x00"):
        return False
    if birth_date and view.birth_date != birth_date:
        return False
    if sex and view.sex != sex:
        return False
    return not address or view.address.startswith(address)


def search_four_item_views(
    *,
    name: str,
    name_kana: str,
    birth_date: str,
    sex: str,
    address: str,
    limit: int = MAX_QUERY_RECORDS + 1,
    with_number: bool = False,
) -> list[IdentityView]:
    """Current records (removed included) fitting the 4情報 by ``records_by_four_items``'s rule, at
    most ``limit`` (the caller has applied the two-item guard)."""
    rows = _four_item_rows(
        IdentityRecord.objects.all(),
        name=name,
        name_kana=name_kana,
        birth_date=birth_date,
        sex=sex,
        address=address,
    )
    keyring = get_keyring() if with_number else None
    return [
        _view(row, _RECORD_PURPOSE, keyring)
        for row in rows.order_by("resident_code").values(*_VIEW_COLUMNS)[:limit]
    ]


def reveal(views: list[IdentityView]) -> list[IdentityView]:
    """The views with their 個人番号 decrypted (only for a caller allowed to provide it, C-9)."""
    keyring = get_keyring()
    return [
        replace(
            view,
            individual_number=(
                decrypt_individual_number(view.sealed_number, purpose=_RECORD_PURPOSE, keyring=keyring)
                if view.sealed_number
                else ""
            ),
        )
        for view in views
    ]


def version_views(resident_code: str, *, with_number: bool = False) -> list[IdentityView]:
    """Every accepted version of the person's record at this prefecture, oldest first."""
    rows = (
        IdentityVersion.objects.filter(resident_code=resident_code)
        .order_by("received_at", "id")
        .values("record_id", "resident_code", "notice", "individual_number")
    )
    keyring = get_keyring() if with_number else None
    return [_view(row, _VERSION_PURPOSE, keyring) for row in rows]
