"""Reads of master data: the node's municipality, the address dictionary and countries (standard 1.3)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import jaconv
from django.conf import settings
from django.db.models import Q, QuerySet

from jumin import fixed_sql
from jumin.masters.models import AddressArea, Country, Municipality, Prefecture

MAX_CANDIDATES = 500
"""Upper bound on the candidates one lookup returns; a screen narrows further rather than page."""

_POSTAL_SEPARATORS = re.compile(r"[\s〒\-‐－ー−]")
_KANA_SEPARATORS = re.compile(r"[\s　]")


@dataclass(frozen=True)
class AddressCandidate:
    """One address a lookup offers: a prefecture, a municipality or a 大字 (standard 1.3.3-d)."""

    prefecture: Prefecture
    municipality: Municipality | None = None
    area: AddressArea | None = None

    @property
    def name(self) -> str:
        """The address as written, e.g. 長崎県佐世保市相生町."""
        parts = [self.prefecture.name]
        if self.municipality is not None:
            parts.append(self.municipality.address_name)
        if self.area is not None:
            parts.append(self.area.name)
        return "".join(parts)

    @property
    def kana(self) -> str:
        parts = [self.prefecture.kana]
        if self.municipality is not None:
            parts.append(self.municipality.county_kana + self.municipality.kana)
        if self.area is not None:
            parts.append(self.area.kana)
        return "".join(parts)

    @property
    def postal_code(self) -> str:
        """The postal code this candidate fills in, or "" at prefecture level."""
        if self.area is not None:
            return self.area.postal_code
        return self.municipality.postal_code if self.municipality is not None else ""

    @property
    def address_code(self) -> str:
        """The 11-digit 住所コード of a 大字 candidate, else "" (standard 1.3.3-c)."""
        return self.area.address_code if self.area is not None else ""


def normalize_kana(text: str) -> str:
    """Full-width katakana without spaces: hiragana and half-width kana typed by clerks are accepted."""
    text = jaconv.h2z(_KANA_SEPARATORS.sub("", text), kana=True, ascii=True, digit=True)
    return jaconv.hira2kata(text)


def normalize_postal_code(text: str) -> str:
    """The 7 ASCII digits of a postal code typed as 〒857-0044, ８５７００４４ …, or "" if it is not one."""
    digits = jaconv.z2h(_POSTAL_SEPARATORS.sub("", text), kana=False, ascii=False, digit=True)
    return digits if len(digits) == 7 and digits.isascii() and digits.isdigit() else ""


def node_municipality_name() -> str:
    """The name of the municipality this node serves (settings.JUMIN_NODE_CODE), or "" if not loaded."""
    municipality = municipality_by_code(settings.JUMIN_NODE_CODE)
    return municipality.name if municipality is not None else ""


def masters_loaded() -> bool:
    """Whether `load_masters` has run on this node (the demo loads them on first start only)."""
    return Municipality.objects.exists() and AddressArea.objects.exists()


def municipality_by_code(code: str) -> Municipality | None:
    """The municipality with this 6-digit 全国地方公共団体コード, or None."""
    return Municipality.objects.select_related("prefecture", "parent").filter(code=code).first()


def current_areas() -> QuerySet[AddressArea]:
    """Current 大字 entries with their municipality and prefecture, in dictionary order."""
    return AddressArea.objects.filter(is_current=True).select_related("municipality__prefecture")


def addresses_by_postal_code(postal_code: str) -> list[AddressCandidate]:
    """Addresses a postal code stands for: its 大字 entries, else its municipality (standard 1.3.3-d)."""
    code = normalize_postal_code(postal_code)
    if not code:
        return []
    candidates = [
        AddressCandidate(area.municipality.prefecture, area.municipality, area)
        for area in current_areas().filter(postal_code=code)[:MAX_CANDIDATES]
    ]
    # Codes like 8570000 (「以下に掲載がない場合」) cover a whole municipality, not one 大字.
    municipalities = Municipality.objects.filter(postal_code=code, is_current=True).select_related(
        "prefecture"
    )
    candidates.extend(AddressCandidate(m.prefecture, m) for m in municipalities)
    return candidates


def addresses_by_kana_prefixes(prefixes: list[str]) -> list[AddressCandidate]:
    """Drill-down by the first kana of each level: prefecture → municipality → 大字 (standard 1.3.3-d).

    ``["ナガサキ", "サセボ"]`` offers 長崎県佐世保市; ``["ト", "ヒ", "シ"]`` offers 東京都日野市神明 among
    others. A municipality matches by its own reading or by its 郡 reading. Designated cities
    themselves are not offered: addresses there lie in a ward.
    """
    keys = [normalize_kana(prefix) for prefix in prefixes]
    if not keys or not all(keys):
        return []
    if len(keys) > 3:
        raise ValueError("住所の読みは都道府県・市区町村・町字の3段階までです。")
    prefectures = Prefecture.objects.filter(kana__startswith=keys[0])
    if len(keys) == 1:
        return [AddressCandidate(pref) for pref in prefectures[:MAX_CANDIDATES]]
    municipalities = Municipality.objects.filter(
        Q(kana__startswith=keys[1]) | Q(county_kana__startswith=keys[1]),
        prefecture__in=prefectures,
        is_current=True,
        is_designated_city=False,
    ).order_by("prefecture_id", "kana")
    if len(keys) == 2:
        return [
            AddressCandidate(m.prefecture, m)
            for m in municipalities.select_related("prefecture")[:MAX_CANDIDATES]
        ]
    areas = current_areas().filter(municipality__in=municipalities, kana__startswith=keys[2])
    return [
        AddressCandidate(area.municipality.prefecture, area.municipality, area)
        for area in areas.order_by("municipality_id", "kana", "name", "postal_code")[:MAX_CANDIDATES]
    ]


def countries() -> QuerySet[Country]:
    """Countries and regions for 国籍・地域, ISO entries first, each group in code order."""
    return Country.objects.order_by("-is_iso", "code")


_PREFECTURE_NAME = re.compile(r"^(北海道|東京都|京都府|大阪府|[^\s　]{2,3}県)")


def municipality_codes_of_addresses(addresses: Iterable[str]) -> dict[str, str]:
    """The 6-digit 市町村コード each address (e.g. a 本籍) names by its leading 都道府県+市区町村; one query.

    The longest matching name wins, so 「神奈川県横浜市中区…」 gives the ward and 「神奈川県横浜市」 the
    city; the name is matched with or without its 郡, and a merged (no longer current) municipality
    still matches, because old 本籍 stay written as they were (standard 1.3.3-a). An address whose
    prefecture or municipality is not in the masters is left out of the result.
    """
    parts: dict[str, tuple[str, str]] = {}
    for address in set(addresses):
        text = _KANA_SEPARATORS.sub("", address)
        match = _PREFECTURE_NAME.match(text)
        if match is not None:
            parts[address] = (match.group(1), text[match.end() :])
    if not parts:
        return {}
    candidates: dict[str, list[tuple[str, str, bool]]] = {}
    prefectures = sorted({pref for pref, _ in parts.values()})
    # A commit's 附票 notice asks this every time: the text is compiled once (fixed_sql, P3).
    rows = fixed_sql.read(
        ("masters.municipalities_of_prefectures", len(prefectures)),
        prefectures,
        fixed_sql.reading(
            lambda: Municipality.objects.filter(prefecture__name__in=prefectures).values_list(
                "code", "prefecture__name", "county", "name", "is_current"
            ),
            caller_converts=True,  # is_current: 0/1 on SQLite, made a bool below
        ),
    )
    for code, prefecture, county, name, current in rows:
        is_current = bool(current)
        for written in {county + name, name}:
            candidates.setdefault(prefecture, []).append((written, code, is_current))
    found: dict[str, str] = {}
    for address, (prefecture, rest) in parts.items():
        matches = [
            (len(written), current, code)
            for written, code, current in candidates.get(prefecture, [])
            if rest.startswith(written)
        ]
        if matches:
            found[address] = max(matches)[2]
    return found


def postal_code_of_address(address: str) -> str:
    """The postal code the address dictionary gives an address (standard 4.1.3.1.2-a), or "".

    See ``address_codes_of_address``.
    """
    return address_codes_of_address(address).postal_code


class DictionaryCodes(NamedTuple):
    """What the address dictionary gives an address: each code "" when it is not unique."""

    postal_code: str = ""
    address_code: str = ""
    # The municipality is in the dictionary and the address goes on past it (a 町字 is expected).
    beyond_municipality: bool = False


def address_codes_of_address(address: str) -> DictionaryCodes:
    """The 郵便番号 and 住所コード the address dictionary gives an address (standard 1.1.17-a).

    The address is matched by its leading 都道府県, 市区町村 (with or without its 郡) and 町字; the
    longest 町字 name wins (「江戸町」 before 「江」). Both are "" when the municipality or the 町字 is
    not in the dictionary; the postal code alone is "" when the 町字 spans several postal codes (split
    by 番地): then the clerk fills it in (4.1.3.1.2-a).
    """
    text = _KANA_SEPARATORS.sub("", address)
    code = municipality_codes_of_addresses([text]).get(text)
    if code is None:
        return DictionaryCodes()
    municipality = Municipality.objects.select_related("prefecture").get(code=code)
    rest = text[len(municipality.prefecture.name) :]
    for written in sorted({municipality.address_name, municipality.name}, key=len, reverse=True):
        if rest.startswith(written):
            rest = rest[len(written) :]
            break
    prefixes = [rest[:end] for end in range(1, min(len(rest), 100) + 1)]
    areas = list(
        AddressArea.objects.filter(municipality_id=code, is_current=True, name__in=prefixes).values_list(
            "name", "postal_code", "address_code"
        )
    )
    if not areas:
        return DictionaryCodes(beyond_municipality=bool(rest))
    longest = max(len(name) for name, _, _ in areas)
    postal_codes = {postal for name, postal, _ in areas if len(name) == longest}
    address_codes = {area_code for name, _, area_code in areas if len(name) == longest}
    return DictionaryCodes(
        postal_code=postal_codes.pop() if len(postal_codes) == 1 else "",
        address_code=address_codes.pop() if len(address_codes) == 1 else "",
        beyond_municipality=True,
    )


def prefectures() -> QuerySet[Prefecture]:
    """The prefectures in code order (北海道 first), for the 都道府県 step of an address picker."""
    return Prefecture.objects.order_by("code")


def current_municipalities_of(prefecture_code: str) -> QuerySet[Municipality]:
    """The prefecture's current municipalities (wards included) in code order, for an address picker."""
    return Municipality.objects.filter(prefecture_id=prefecture_code, is_current=True).order_by("code")


def current_areas_of(municipality_code: str) -> QuerySet[AddressArea]:
    """The municipality's current 町字, one per postal code, in dictionary (kana) order, for a picker."""
    return AddressArea.objects.filter(municipality_id=municipality_code, is_current=True).order_by(
        "kana", "name", "postal_code"
    )


def merged_municipality_addresses(addresses: Iterable[str]) -> set[str]:
    """The addresses (e.g. 本籍) that name a municipality no longer in existence after a merger.

    An address whose municipality is not in the masters is not in the result (nothing is known of it).
    """
    codes = municipality_codes_of_addresses(addresses)
    merged = set(
        Municipality.objects.filter(code__in=set(codes.values()), is_current=False).values_list(
            "code", flat=True
        )
    )
    return {address for address, code in codes.items() if code in merged}


def former_area_names(address: str, *, limit: int = 50) -> list[str]:
    """Old 町字 names (``AddressArea`` no longer current) of the municipality an address names, written
    in full (都道府県 + 市区町村 + 町字), in kana order: still enterable as 本籍 (standard 1.3.3-a)."""
    text = _KANA_SEPARATORS.sub("", address)
    code = municipality_codes_of_addresses([text]).get(text)
    if code is None:
        return []
    areas = (
        AddressArea.objects.filter(municipality_id=code, is_current=False)
        .select_related("municipality__prefecture")
        .order_by("kana", "name")
    )
    names: dict[str, None] = {}
    for area in areas[:MAX_CANDIDATES]:
        names.setdefault(AddressCandidate(area.municipality.prefecture, area.municipality, area).name, None)
    return list(names)[:limit]
