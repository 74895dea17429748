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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from jumin.crypto.individual_number import blind_index
from jumin.domain.checkdigits import validate_juminhyo_code
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.common.queries import MAX_QUERY_RECORDS, check_four_items
from jumin.jukinet.prefecture.keys import kana_key, name_key
from jumin.jukinet.prefecture.models import IdentityRecord


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
    rows = _current(IdentityRecord.objects.all(), include_removed)
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
