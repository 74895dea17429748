"""Deterministic synthetic population in the import layout (docs/import-layout.md, issue 10).

Pure Python, no Django: the registry's bulk load (performance.md P1) and the benchmarks consume the
JSON Lines this module writes. Same seed, municipality, size and as-of date → byte-identical output
(one ``random.Random``; nothing iterates over a set).

How the population is built:

* Living residents come in chunks of ``CHUNK`` people whose ages are drawn from Japan's 2020 census
  pyramid (``AGE_PYRAMID_2020``). Households are then formed *from that pool*: every child (under 18)
  seeds a family whose parents, grandparents and siblings are taken from the pool at ages consistent
  with it (parents 20–44 years older); the remaining adults become singles, couples, parents with adult
  children, siblings, 同居人 and 縁故者 households. The age distribution therefore follows the pyramid
  while every household stays consistent. Households of a chunk are shuffled before numbering.
* About ``FOREIGN_SHARE`` of living residents are foreign (feedback control on the running count),
  in foreign households or as the foreign spouse of a Japanese head.
* Removed records (除票) are kept at ``REMOVED_SHARE`` of the living count: households that moved out
  (国内転出 / 国外転出) and people who died (alone, or as the late spouse of a living widow(er)).
* 支援措置 is set for about ``SUPPORT_SHARE`` of living residents (an adult woman and her children).

Numbers are synthetic: 個人番号 are random 11-digit bases with a valid check digit, 住民票コード
random 11-digit strings (format only, algorithms.md A.5). Never commit output that holds real numbers.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from jumin.domain.checkdigits import atena_check_digit, check_digit_for, mynumber_check_digit, validate_lgcode
from jumin.domain.member_order import Member, compute_member_order
from jumin.domain.periods import support_period_end
from jumin.domain.relationships import parse_relationship
from jumin.domain.wareki import all_wareki_forms
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.masters.postal import AreaRow, MunicipalityRow, PostalMasters, read_postal_masters
from jumin.population import names

__all__ = [
    "AGE_PYRAMID_2020",
    "DEFAULT_AS_OF",
    "LAYOUT_VERSION",
    "PopulationGenerator",
    "generate_population",
    "write_population",
]

LAYOUT_VERSION = 1
DEFAULT_AS_OF = date(2025, 4, 1)
"""Fixed reference date ("today" of the data set); never the real today, so output is reproducible."""

CHUNK = 10_000
FOREIGN_SHARE = 0.03
REMOVED_SHARE = 0.10
SUPPORT_SHARE = 0.0005

# 令和2年国勢調査 (2020 census), population by 5-year age band in thousands, rounded (不詳補完値,
# approximate). Index i covers ages 5i … 5i+4; the last band is 100 and over.
AGE_PYRAMID_2020: tuple[int, ...] = (
    4541, 5114, 5376, 5706, 6320, 6384, 6714, 7498, 8476, 9868, 8738,
    7940, 7442, 8236, 9189, 7065, 5404, 3742, 1841, 523, 80,
)  # fmt: skip
MAX_AGE = 105
_YEAR = 365.2425
_SYSTEM_2012 = date(2012, 7, 9).toordinal()  # 外国人住民 entered the 住民基本台帳 (改正住基法施行日)

# Nationality weights (roughly the 2023 mix of these nationalities in Japan) and, per nationality,
# the residence statuses with weights.
_NATIONALITIES: tuple[tuple[str, int], ...] = (
    ("156", 26), ("704", 18), ("410", 11), ("997", 2), ("608", 10), ("076", 7),
    ("524", 6), ("360", 5), ("158", 2), ("840", 2),
)  # fmt: skip
_TECH = "技術・人文知識・国際業務"
_STATUSES: dict[str, tuple[tuple[str, int], ...]] = {
    "156": (("永住者", 35), (_TECH, 20), ("留学", 15), ("家族滞在", 10), ("技能実習", 8),
            ("日本人の配偶者等", 5), ("定住者", 4), ("特定技能", 3)),
    "704": (("技能実習", 35), (_TECH, 20), ("特定技能", 20), ("留学", 12), ("家族滞在", 6),
            ("永住者", 5), ("日本人の配偶者等", 2)),
    "410": (("特別永住者", 50), ("永住者", 25), (_TECH, 10), ("日本人の配偶者等", 8), ("留学", 7)),
    "997": (("特別永住者", 100),),
    "608": (("永住者", 45), ("定住者", 15), ("日本人の配偶者等", 15), ("技能実習", 15), ("特定技能", 10)),
    "076": (("永住者", 55), ("定住者", 40), ("日本人の配偶者等", 5)),
    "524": (("留学", 35), ("家族滞在", 30), (_TECH, 20), ("永住者", 15)),
    "360": (("技能実習", 50), ("特定技能", 30), ("留学", 10), (_TECH, 10)),
    "158": (("永住者", 40), (_TECH, 30), ("留学", 20), ("日本人の配偶者等", 10)),
    "840": (("永住者", 30), (_TECH, 35), ("日本人の配偶者等", 20), ("留学", 15)),
}  # fmt: skip
_STATUS_AGES: dict[str, tuple[int, int]] = {
    "技能実習": (18, 40), "特定技能": (18, 45), "留学": (18, 35), _TECH: (22, 64), "家族滞在": (0, 64),
    "永住者": (0, MAX_AGE), "定住者": (0, MAX_AGE), "日本人の配偶者等": (20, 70), "特別永住者": (0, MAX_AGE),
}  # fmt: skip
_PERIODS: dict[str, tuple[str, ...]] = {
    "技能実習": ("1年", "2年"), "特定技能": ("6月", "1年", "3年"),
    "留学": ("1年", "1年3月", "2年", "2年3月", "4年3月"),
    _TECH: ("1年", "3年", "5年"), "家族滞在": ("1年", "3年", "5年"), "定住者": ("1年", "3年", "5年"),
    "日本人の配偶者等": ("1年", "3年", "5年"),
}  # fmt: skip
_FAMILY_STATUSES = ("永住者", "定住者", _TECH, "特別永住者")
_DEPENDANT_STATUS = {_TECH: "家族滞在"}
_SPOUSE_KEEPS_SURNAME = frozenset({"156", "410", "997", "158", "704"})
_COUNTRY_JA = {
    "156": "中国", "704": "ベトナム", "410": "韓国", "997": "朝鮮", "608": "フィリピン", "076": "ブラジル",
    "524": "ネパール", "360": "インドネシア", "158": "台湾", "840": "アメリカ合衆国",
}  # fmt: skip
_ABROAD_J = ("アメリカ合衆国", "中国", "オーストラリア", "英国", "シンガポール", "タイ", "ドイツ", "カナダ")
# Prefectures read for 本籍 and former / next addresses besides the municipality's own.
_OTHER_PREFECTURES = ("01", "13", "23", "27", "40")
_BUILDING_HEADS = (
    "サン",
    "グリーン",
    "メゾン",
    "コーポ",
    "パーク",
    "ロイヤル",
    "エスポワール",
    "アーバン",
    "リバー",
    "シティ",
)
_BUILDING_TAILS = ("ハイツ", "コーポ", "マンション", "荘", "レジデンス", "ハイム", "ビル", "コート", "ヒルズ")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SEP = "\u3000"


# --- Small helpers ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _masters(prefectures: tuple[str, ...]) -> PostalMasters:
    return read_postal_masters(prefectures=prefectures)


@functools.lru_cache(maxsize=65536)
def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


@functools.lru_cache(maxsize=65536)
def _wareki_forms(ordinal: int) -> tuple[dict[str, Any], ...]:
    # Canonical form first; on the overlap days (1912-07-30, 1926-12-25) also the old era's form.
    return tuple(
        {"era": w.era, "year": w.year, "month": w.month, "day": w.day}
        for w in all_wareki_forms(date.fromordinal(ordinal))
    )


def _age_on(birth: int, ordinal: int) -> int:
    b, d = date.fromordinal(birth), date.fromordinal(ordinal)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def _cum(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


class _Picker:
    """Weighted choice with precomputed cumulative weights (cheaper than ``Random.choices`` setup)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = _cum(weights)
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


# --- People and households ----------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    kind: str  # "J" / "F"
    sex: str  # "1" male / "2" female (ISO/IEC 5218)
    birth: int  # date ordinal
    relationship: str = "世帯主"
    surname: str = ""
    surname_kana: str = ""
    given: str = ""
    given_kana: str = ""
    former_surname: str | None = None
    former_surname_kana: str | None = None
    anchor: int | None = None  # index in the household of the family anchor (子 of 子の妻 / 子の子)
    hittousha: str | None = None
    is_hittousha: bool = False
    honseki: str | None = None
    foreign: dict[str, Any] | None = None
    removal: tuple[str, int, str] | None = None  # (reason, date ordinal, destination)
    support: bool = False


@dataclass
class Household:
    members: list[Person]
    removed: bool = False
    arrival: int = 0  # date the household came to the municipality (ordinal); 0 = natives
    nhi: bool = False
    previous_address: str | None = None
    extra_removed: list[Person] = field(default_factory=list)  # 除票 of late members (死亡)


class _AgePool:
    """Ages still to place in households, one counter per year of age."""

    def __init__(self, rng: random.Random, ages: Sequence[int]) -> None:
        self.rng = rng
        self.counts = [0] * (MAX_AGE + 1)
        for age in ages:
            self.counts[age] += 1
        self.total = len(ages)

    def pick(self, lo: int, hi: int) -> int | None:
        lo, hi = max(lo, 0), min(hi, MAX_AGE)
        if lo > hi:
            return None
        available = sum(self.counts[lo : hi + 1])
        if not available:
            return None
        r = int(self.rng.random() * available)
        for age in range(lo, hi + 1):
            r -= self.counts[age]
            if r < 0:
                self.counts[age] -= 1
                self.total -= 1
                return age
        raise AssertionError("unreachable")

    def get(self, lo: int, hi: int) -> int:
        """An age in [lo, hi] from the pool, or a free draw when the pool has none there."""
        age = self.pick(lo, hi)
        if age is None:
            lo, hi = max(lo, 0), min(hi, MAX_AGE)
            age = self.rng.randint(lo, max(lo, hi))
        return age


@dataclass(frozen=True)
class _Place:
    prefecture: str
    municipality: MunicipalityRow
    area: AreaRow | None
    style: str  # "jukyo" (住居表示: 丁目・番・号) or "chiban" (番地)
    chome_max: int


class _AddressBook:
    def __init__(self, rng: random.Random, municipality_code: str) -> None:
        code = validate_lgcode(municipality_code, field="municipality")
        pref = code[:2]
        prefs = tuple(sorted({pref, *_OTHER_PREFECTURES}))
        masters = _masters(prefs)
        self.pref_names = {p.code: p.name for p in masters.prefectures}
        munis = {m.code: m for m in masters.municipalities}
        if code not in munis:
            raise ValueError(f"municipality {code} not found in the postal data")
        self.municipality = munis[code]
        own_codes = {code} | {m.code for m in masters.municipalities if m.parent_code == code}
        by_muni: dict[str, list[AreaRow]] = {}
        for area in masters.areas:
            by_muni.setdefault(area.municipality_code, []).append(area)
        self.home = self._places(
            rng, [munis[c] for c in sorted(own_codes) if c in by_muni or c == code], by_muni
        )
        self.home = [p for p in self.home if p.area is not None] or self.home
        same_pref = [
            m for m in masters.municipalities if m.prefecture_code == pref and m.code not in own_codes
        ]
        other = [m for m in masters.municipalities if m.prefecture_code != pref]
        self.same_pref = self._places(
            rng, [m for m in same_pref if not m.is_designated_city], by_muni, per_muni=3
        )
        self.other_pref = self._places(
            rng, [m for m in other if not m.is_designated_city], by_muni, per_muni=2
        )

    def _places(
        self,
        rng: random.Random,
        munis: list[MunicipalityRow],
        by_muni: dict[str, list[AreaRow]],
        per_muni: int = 0,
    ) -> list[_Place]:
        places = []
        for muni in munis:
            areas = by_muni.get(muni.code, [])
            plain = [a for a in areas if not a.note] or areas
            if per_muni and len(plain) > per_muni:
                plain = rng.sample(plain, per_muni)
            pref = self.pref_names[muni.prefecture_code]
            if not plain:
                places.append(_Place(pref, muni, None, "chiban", 0))
            for area in plain:
                style = "jukyo" if rng.random() < 0.35 else "chiban"
                places.append(_Place(pref, muni, area, style, rng.randint(1, 6)))
        return places

    @staticmethod
    def municipality_text(place: _Place) -> str:
        return f"{place.prefecture}{place.municipality.county}{place.municipality.name}"

    def block(self, rng: random.Random, place: _Place) -> tuple[int | None, list[int], str]:
        """(丁目, lot numbers, text) of a plausible 丁目・番地・号."""
        rand = rng.random
        if place.style == "jukyo":
            chome, ban, go = 1 + int(rand() * place.chome_max), 1 + int(rand() * 30), 1 + int(rand() * 25)
            return chome, [ban, go], f"{chome}丁目{ban}番{go}号"
        main = 1 + int(rand() * 3000)
        if rand() < 0.55:
            eda = 1 + int(rand() * 30)
            return None, [main, eda], f"{main}番地{eda}"
        return None, [main], f"{main}番地"

    def honseki_text(self, rng: random.Random) -> str:
        r = rng.random()
        pool = self.home if r < 0.55 else self.same_pref if r < 0.75 else self.other_pref
        pool = pool or self.home
        place = pool[int(rng.random() * len(pool))]
        town = place.area.name if place.area else ""
        return f"{self.municipality_text(place)}{town}{1 + int(rng.random() * 3000)}番地"

    def elsewhere_text(self, rng: random.Random) -> str:
        pool = self.same_pref if rng.random() < 0.4 else self.other_pref
        place = rng.choice(pool or self.home)
        town = place.area.name if place.area else ""
        return f"{self.municipality_text(place)}{town}{self.block(rng, place)[2]}"


# --- The generator ------------------------------------------------------------------------------


class PopulationGenerator:
    """Generates the records of one municipality; iterate :meth:`records` once."""

    def __init__(
        self,
        residents: int,
        municipality_code: str,
        *,
        seed: int = 0,
        as_of: date = DEFAULT_AS_OF,
        serial_length: int | None = None,
    ) -> None:
        if residents < 1:
            raise ValueError("residents must be at least 1")
        self.n = residents
        # Synthetic data only: reproducibility matters, unpredictability does not.
        self.rng = random.Random(seed)  # noqa: S311
        self.as_of = as_of.toordinal()
        self.addresses = _AddressBook(self.rng, municipality_code)
        self.muni_code = validate_lgcode(municipality_code, field="municipality")
        # 宛名番号/世帯番号: a 6-digit serial + check digit (algorithms.md A.4 rule 5) while it fits,
        # otherwise 7 digits + check digit (gaps and 除票 push serials to about 1.35 × residents).
        self.serial_length = serial_length or (6 if residents <= 700_000 else 7)
        self._atena = 0
        self._household = 0
        self._mynumbers: set[int] = set()
        self._juminhyo: set[int] = set()
        self._cards: set[str] = set()
        self.living = 0
        self.foreign = 0
        self.removed = 0
        self.support = 0
        self._planned = 0
        self._planned_foreign = 0
        self._age_band = _Picker(range(len(AGE_PYRAMID_2020)), AGE_PYRAMID_2020)
        self._surname = _Picker(
            names.SURNAMES, [1 / (rank**0.5) for rank in range(1, len(names.SURNAMES) + 1)]
        )
        self._nationality = _Picker([c for c, _ in _NATIONALITIES], [w for _, w in _NATIONALITIES])
        self._status = {
            nat: _Picker([s for s, _ in rows], [w for _, w in rows]) for nat, rows in _STATUSES.items()
        }
        self._given_years = sorted(names.MALE_GIVEN)
        self._relationship_cache: dict[str, Any] = {}

    # -- ages and names --

    def _pyramid_age(self) -> int:
        band: int = self._age_band(self.rng)
        if band == len(AGE_PYRAMID_2020) - 1:
            return min(MAX_AGE, 100 + int(self.rng.expovariate(0.6)))
        return band * 5 + self.rng.randrange(5)

    def _birth(self, age: int, ref: int) -> int:
        return int(ref - (age + self.rng.random()) * _YEAR)

    def _family_name(self) -> tuple[str, str]:
        kanji, kana = self._surname(self.rng)
        for variant, share in names.SURNAME_VARIANTS.get(kanji, ()):
            if self.rng.random() < share:
                return variant, kana
        return kanji, kana

    def _given(self, sex: str, birth: int) -> tuple[str, str]:
        year = date.fromordinal(birth).year
        key = self._given_years[bisect.bisect_left(self._given_years, year)]
        table = names.MALE_GIVEN[key] if sex == "1" else names.FEMALE_GIVEN[key]
        return table[int(self.rng.random() * len(table))]

    def _j(self, sex: str, age: int, ref: int, family: tuple[str, str], relationship: str) -> Person:
        birth = self._birth(age, ref)
        given, given_kana = self._given(sex, birth)
        return Person("J", sex, birth, relationship, family[0], family[1], given, given_kana)

    def _sex(self) -> str:
        return "1" if self.rng.random() < 0.5 else "2"

    # -- foreign residents --

    def _pick_status(self, nationality: str, age: int, allowed: Sequence[str] | None = None) -> str:
        for _ in range(8):
            status = str(self._status[nationality](self.rng))
            lo, hi = _STATUS_AGES[status]
            if lo <= age <= hi and (allowed is None or status in allowed) and status != "家族滞在":
                return status
        return "永住者" if nationality != "997" else "特別永住者"

    def _f(
        self, sex: str, age: int, ref: int, nationality: str, status: str, relationship: str,
        surname: names.Name3 | None = None,
    ) -> Person:  # fmt: skip
        surnames, male, female = names.FOREIGN_NAMES[nationality]
        s = surname or self.rng.choice(surnames)
        g = self.rng.choice(male if sex == "1" else female)
        birth = self._birth(age, ref)
        person = Person("F", sex, birth, relationship, s[0], s[1], g[0], g[1])
        info: dict[str, Any] = {
            "alphabet_name": f"{s[0]} {g[0]}",
            "nationality": nationality,
            "foreign_category": "特別永住者" if status == "特別永住者" else "中長期在留者",
            "residence_status": None if status == "特別永住者" else status,
        }
        if s[2] and g[2] and self.rng.random() < 0.7:
            info["kanji_name"] = f"{s[2]}{SEP}{g[2]}"
        if status == "特別永住者":
            info["special_permanent_resident_certificate_number"] = self._card()
        else:
            info["residence_card_number"] = self._card()
            if status != "永住者":
                period = self.rng.choice(_PERIODS[status])
                info["residence_period"] = period
                info["residence_expiry_date"] = _iso(self.as_of + self.rng.randint(1, _period_days(period)))
        tsusho_rate = 0.6 if status == "特別永住者" else 0.03
        if nationality in ("410", "997", "156", "158") and self.rng.random() < tsusho_rate:
            ts, ts_kana = self.rng.choice(names.TSUSHO)
            tg, tg_kana = self._given(sex, birth)
            info["tsusho"] = f"{ts}{SEP}{tg}"
            info["tsusho_kana"] = f"{ts_kana}{SEP}{tg_kana}"
        person.foreign = info
        return person

    def _card(self) -> str:
        while True:
            r = self.rng
            card = (
                f"{r.choice(_LETTERS)}{r.choice(_LETTERS)}{r.randrange(100_000_000):08d}"
                f"{r.choice(_LETTERS)}{r.choice(_LETTERS)}"
            )
            if card not in self._cards:
                self._cards.add(card)
                return card

    def _want_foreign(self, size: int) -> bool:
        # Planned counts: a chunk's households are all formed before any of them is written.
        return self._planned_foreign + size <= FOREIGN_SHARE * (self._planned + size) + 1

    # -- households (living, from the age pool) --

    def _family_from_child(self, pool: _AgePool, seed_age: int, ref: int) -> Household:
        rng = self.rng
        kids = [seed_age]
        for _ in range(rng.choices((0, 1, 2, 3), (35, 45, 17, 3))[0]):
            age = pool.pick(max(0, seed_age - 8), min(29, seed_age + 8))
            if age is not None:
                kids.append(age)
        kids.sort(reverse=True)
        young, old = kids[-1], kids[0]
        mother: int | None = pool.get(old + 20, young + 42)
        assert mother is not None
        single = rng.random() < 0.10
        father = (
            None
            if single and rng.random() < 0.9
            else pool.get(max(old + 20, mother - 3), min(young + 44, mother + 8))
        )
        if single and father is not None:
            mother = None  # single father; the drawn mother age goes back to nobody (rare)
        grand = rng.random()
        if self._want_foreign(len(kids) + 2):
            return self._foreign_family(pool, kids, mother, father, ref)
        mixed = father is not None and mother is not None and rng.random() < 0.04 and self._want_foreign(1)
        if grand < 0.04 and father is not None:
            return self._three_generations_down(pool, kids, mother, father, ref)
        family = self._family_name()
        members: list[Person] = []
        head_age = father if father is not None else mother
        assert head_age is not None
        if father is not None:
            members.append(self._j("1", father, ref, family, "世帯主"))
            if mother is not None:
                if mixed:
                    nat = rng.choice(("608", "156", "410", "704", "840", "158"))
                    members.append(self._f("2", mother, ref, nat, "日本人の配偶者等", "妻"))
                else:
                    members.append(self._wife(mother, ref, family))
        else:
            assert mother is not None
            members.append(self._j("2", mother, ref, family, "世帯主"))
        for age in kids:
            members.append(self._j(self._sex(), age, ref, family, "子"))
        if grand < 0.10:
            self._add_head_parents(pool, members, head_age, ref)
        self._set_honseki_family(members)
        return Household(members)

    def _wife(self, age: int, ref: int, family: tuple[str, str]) -> Person:
        wife = self._j("2", age, ref, family, "妻")
        if self.rng.random() < 0.08:
            maiden = self._family_name()
            if maiden[0] != family[0]:
                wife.former_surname, wife.former_surname_kana = maiden
        return wife

    def _add_head_parents(self, pool: _AgePool, members: list[Person], head_age: int, ref: int) -> None:
        rng = self.rng
        head = members[0]
        spouse = next((m for m in members if m.relationship in ("妻", "夫")), None)
        if spouse is not None and spouse.kind == "J" and rng.random() < 0.2:
            # The spouse's mother (妻の母): her surname is the spouse's maiden name when recorded.
            family = (
                (spouse.former_surname, spouse.former_surname_kana or "") if spouse.former_surname else None
            )
            age = _age_on(spouse.birth, ref)
            members.append(
                self._j(
                    "2",
                    pool.get(age + 20, age + 42),
                    ref,
                    family or self._family_name(),
                    f"{spouse.relationship}の母",
                )
            )
            return
        family = (head.surname, head.surname_kana)
        if rng.random() < 0.55:
            members.append(self._j("2", pool.get(head_age + 20, head_age + 42), ref, family, "母"))
            return
        father_age = pool.get(head_age + 20, head_age + 44)
        members.append(self._j("1", father_age, ref, family, "父"))
        mother_age = pool.pick(max(head_age + 20, father_age - 6), min(head_age + 42, father_age + 2))
        if mother_age is not None:
            members.append(self._j("2", mother_age, ref, family, "母"))

    def _three_generations_down(
        self, pool: _AgePool, kids: list[int], mother: int | None, father: int, ref: int
    ) -> Household:
        """世帯主 (grandparent) + 妻, their 子 with 子の妻, and 子の子 (algorithms.md D.3 shape)."""
        family = self._family_name()
        head_age = pool.get(father + 20, father + 44)
        members = [self._j("1", head_age, ref, family, "世帯主")]
        wife_age = pool.pick(max(father + 20, head_age - 6), min(father + 42, head_age + 2))
        if wife_age is not None:
            members.append(self._wife(wife_age, ref, family))
        son = self._j("1", father, ref, family, "子")
        members.append(son)
        son_index = len(members) - 1
        if mother is not None:
            daughter_in_law = self._j("2", mother, ref, family, "子の妻")
            daughter_in_law.anchor = son_index
            members.append(daughter_in_law)
        for age in kids:
            grandchild = self._j(self._sex(), age, ref, family, "子の子")
            grandchild.anchor = son_index
            members.append(grandchild)
        self._set_honseki_family(members, married_child=son_index)
        return Household(members)

    def _foreign_family(
        self, pool: _AgePool, kids: list[int], mother: int | None, father: int | None, ref: int
    ) -> Household:
        rng = self.rng
        nat = str(self._nationality(rng))
        head_age = father if father is not None else mother
        assert head_age is not None
        status = self._pick_status(nat, head_age, _FAMILY_STATUSES)
        dependant = _DEPENDANT_STATUS.get(status, status)
        surnames = names.FOREIGN_NAMES[nat][0]
        family = rng.choice(surnames)
        members = []
        if father is not None:
            members.append(self._f("1", father, ref, nat, status, "世帯主", family))
            if mother is not None:
                wife_name = rng.choice(surnames) if nat in _SPOUSE_KEEPS_SURNAME else family
                members.append(self._f("2", mother, ref, nat, dependant, "妻", wife_name))
        else:
            assert mother is not None
            members.append(self._f("2", mother, ref, nat, status, "世帯主", family))
        members.extend(self._f(self._sex(), age, ref, nat, dependant, "子", family) for age in kids)
        return Household(members)

    def _adult_household(self, pool: _AgePool, age: int, ref: int) -> Household:
        rng = self.rng
        r = rng.random()
        if age < 25:
            kind = "single" if r < 0.85 else "couple"
        elif age < 65:
            kind = (
                "single"
                if r < 0.36
                else "couple"
                if r < 0.78
                else "siblings"
                if r < 0.88
                else "lodger"
                if r < 0.94
                else "enkosha"
            )
        else:
            kind = "single" if r < 0.42 else "couple" if r < 0.95 else "enkosha"
        size = {"single": 1}.get(kind, 2)
        if self._want_foreign(size) and kind in ("single", "couple"):
            nat = str(self._nationality(rng))
            if kind == "single":
                status = self._pick_status(nat, age)
                return Household([self._f(self._sex(), age, ref, nat, status, "世帯主")])
            return self._foreign_couple(nat, age, pool.get(max(18, age - 7), age + 3), ref)
        family = self._family_name()
        if kind == "single":
            sex = self._sex() if age < 70 else ("2" if r < 0.75 * 0.42 else "1")
            head = self._j(sex, age, ref, family, "世帯主")
            household = Household([head])
            self._set_honseki_single(head)
            if age >= 70 and rng.random() < 0.4:
                household.extra_removed.append(self._late_spouse(head, ref))
            return household
        if kind == "couple":
            if rng.random() < 0.5:
                husband_age, wife_age = age, pool.get(max(18, age - 7), age + 3)
            else:
                husband_age, wife_age = pool.get(max(18, age - 3), age + 7), age
            head = self._j("1", husband_age, ref, family, "世帯主")
            members = [head, self._wife(wife_age, ref, family)]
            lo = max(18, husband_age - 44, wife_age - 42)
            hi = min(husband_age - 20, wife_age - 20)
            if age >= 40 and lo <= hi and rng.random() < 0.35:
                for _ in range(rng.choice((1, 1, 2))):
                    kid = pool.pick(lo, hi)
                    if kid is not None:
                        members.append(self._j(self._sex(), kid, ref, family, "子"))
            if 35 <= husband_age < 65 and rng.random() < 0.08:
                self._add_head_parents(pool, members, husband_age, ref)
            self._set_honseki_family(members)
            return Household(members)
        head = self._j(self._sex(), age, ref, family, "世帯主")
        other_age = pool.get(max(18, age - 10), age + 10)
        if kind == "siblings":
            sex = self._sex()
            older = other_age > age
            label = ("兄" if sex == "1" else "姉") if older else ("弟" if sex == "1" else "妹")
            other = self._j(sex, other_age, ref, family, label)
            self._set_honseki_single(head)
            other.honseki, other.hittousha = head.honseki, head.hittousha
        else:
            other = self._j(
                self._sex(), other_age, ref, self._family_name(), "同居人" if kind == "lodger" else "縁故者"
            )
            self._set_honseki_single(head)
            self._set_honseki_single(other)
        return Household([head, other])

    def _foreign_couple(self, nat: str, husband_age: int, wife_age: int, ref: int) -> Household:
        status = self._pick_status(nat, husband_age, _FAMILY_STATUSES)
        surnames = names.FOREIGN_NAMES[nat][0]
        family = self.rng.choice(surnames)
        wife_name = self.rng.choice(surnames) if nat in _SPOUSE_KEEPS_SURNAME else family
        head = self._f("1", husband_age, ref, nat, status, "世帯主", family)
        wife = self._f("2", wife_age, ref, nat, _DEPENDANT_STATUS.get(status, status), "妻", wife_name)
        return Household([head, wife])

    def _late_spouse(self, survivor: Person, ref: int) -> Person:
        """The 除票 of a widow(er)'s late spouse: 死亡 within the last five years.

        A late husband was 世帯主 when he died; his widow has been 世帯主 since (世帯主変更).
        """
        husband_died = survivor.sex == "2"
        death = ref - self.rng.randint(1, 1826)
        age_at_death = max(60, _age_on(survivor.birth, death) + self.rng.randint(-3, 6))
        family = (survivor.surname, survivor.surname_kana)
        late = self._j(
            "1" if husband_died else "2", age_at_death, death, family, "世帯主" if husband_died else "妻"
        )
        late.removal = ("死亡", death, "")
        husband = late if husband_died else survivor
        late.honseki = survivor.honseki = self.addresses.honseki_text(self.rng)
        late.hittousha = survivor.hittousha = f"{husband.surname}{SEP}{husband.given}"
        husband.is_hittousha = True
        return late

    # -- 本籍 and 筆頭者 --

    def _set_honseki_single(self, person: Person) -> None:
        person.honseki = self.addresses.honseki_text(self.rng)
        if self.rng.random() < 0.5 or _age_on(person.birth, self.as_of) >= 40:
            person.hittousha, person.is_hittousha = f"{person.surname}{SEP}{person.given}", True
        else:  # still in the parents' 戸籍: the father is 筆頭者
            father, _ = self._given("1", person.birth - int(30 * _YEAR))
            person.hittousha = f"{person.surname}{SEP}{father}"

    def _set_honseki_family(self, members: list[Person], married_child: int | None = None) -> None:
        head = members[0]
        honseki = self.addresses.honseki_text(self.rng)
        head_name = f"{head.surname}{SEP}{head.given}"
        head.is_hittousha = True
        parents_honseki = None
        for index, person in enumerate(members):
            if person.kind != "J":
                continue
            rel = person.relationship
            if rel in ("父", "母"):
                parents_honseki = parents_honseki or self.addresses.honseki_text(self.rng)
                father = next((m for m in members if m.relationship == "父"), None)
                person.honseki = parents_honseki
                if father is not None:
                    person.hittousha = f"{father.surname}{SEP}{father.given}"
                    father.is_hittousha = True
                else:
                    person.hittousha = (
                        f"{person.surname}{SEP}{self._given('1', person.birth - int(3 * _YEAR))[0]}"
                    )
            elif rel.endswith("の母"):
                person.honseki = self.addresses.honseki_text(self.rng)
                person.hittousha = (
                    f"{person.surname}{SEP}{self._given('1', person.birth - int(3 * _YEAR))[0]}"
                )
            elif married_child is not None and (index == married_child or person.anchor == married_child):
                child = members[married_child]
                person.honseki = honseki
                person.hittousha = f"{child.surname}{SEP}{child.given}"
                child.is_hittousha = True
            else:
                person.honseki, person.hittousha = honseki, head_name

    # -- removed households --

    def _removed_household(self) -> Household:
        rng = self.rng
        removal = self.as_of - rng.randint(1, 1826)
        if rng.random() < 0.3:  # died living alone
            age = min(MAX_AGE, int(rng.triangular(60, 104, 86)))
            person = self._j("2" if rng.random() < 0.55 else "1", age, removal, self._family_name(), "世帯主")
            self._set_honseki_single(person)
            person.removal = ("死亡", removal, "")
            return Household([person], removed=True)
        age = int(rng.triangular(18, 60, 26))
        foreign = rng.random() < 0.12
        free = _AgePool(rng, [])
        nat = str(self._nationality(rng))
        r = rng.random()
        if r < 0.6 and foreign:
            household = Household(
                [self._f(self._sex(), age, removal, nat, self._pick_status(nat, age), "世帯主")]
            )
        elif r < 0.6:
            household = Household([self._j(self._sex(), age, removal, self._family_name(), "世帯主")])
            self._set_honseki_single(household.members[0])
        elif r < 0.8 and foreign:
            household = self._foreign_couple(nat, age, free.get(max(18, age - 5), age + 2), removal)
        elif r < 0.8:
            family = self._family_name()
            members = [
                self._j("1", age, removal, family, "世帯主"),
                self._wife(free.get(max(18, age - 5), age + 2), removal, family),
            ]
            self._set_honseki_family(members)
            household = Household(members)
        elif foreign:
            kid = rng.randint(0, 15)
            mother, father = free.get(kid + 22, kid + 38), free.get(kid + 24, kid + 42)
            household = self._foreign_family(free, [kid], mother, father, removal)
        else:
            household = self._family_from_child(free, rng.randint(0, 15), removal)
        head = household.members[0]
        abroad = rng.random() < (0.6 if head.foreign else 0.12)
        if abroad:
            destination = _COUNTRY_JA[head.foreign["nationality"]] if head.foreign else rng.choice(_ABROAD_J)
        else:
            destination = self.addresses.elsewhere_text(rng)
        for person in household.members:
            person.removal = ("国外転出" if abroad else "国内転出", removal, destination)
        household.removed = True
        return household

    # -- dates, numbers and output --

    def _settle(self, household: Household) -> None:
        """Arrival, previous address and 国保 flag of a household."""
        rng = self.rng
        head = household.members[0]
        end = head.removal[1] if household.removed and head.removal is not None else self.as_of
        adult = head.birth + int(18 * _YEAR)
        floor = (
            _SYSTEM_2012
            if head.kind == "F" and head.foreign and head.foreign["foreign_category"] != "特別永住者"
            else 0
        )
        if head.kind == "J" and rng.random() < 0.35 and not household.removed:
            household.arrival = 0  # born here
        else:
            lo = max(adult, floor, end - int(45 * _YEAR))
            household.arrival = rng.randint(min(lo, end - 30), end - 30)
            special = head.foreign is not None and head.foreign["foreign_category"] == "特別永住者"
            if head.foreign is not None and not special and rng.random() < 0.6:
                household.previous_address = _COUNTRY_JA[head.foreign["nationality"]]
            else:
                household.previous_address = self.addresses.elsewhere_text(rng)
        age = _age_on(head.birth, self.as_of)
        household.nhi = rng.random() < (0.18 if age < 65 else 0.75 if age < 75 else 0.45)

    def _next_serial(self, counter: int) -> tuple[int, str]:
        r = self.rng.random()
        counter += 1 if r < 0.9 else 2 + int((r - 0.9) * 30)  # gaps of 1–3 serials for 10 %
        serial = f"{counter:0{self.serial_length}d}"
        if len(serial) > self.serial_length:
            raise ValueError("宛名番号/世帯番号 serials exhausted; use a longer serial_length")
        check = atena_check_digit(serial)
        assert check is not None
        return counter, serial + check

    def _unique(self, seen: set[int], bound: int) -> int:
        while True:
            value = int(self.rng.random() * bound)  # cheaper than randrange; 53 random bits suffice
            if value not in seen:
                seen.add(value)
                return value

    def _relationship(self, text: str) -> Any:
        rel = self._relationship_cache.get(text)
        if rel is None:
            rel = self._relationship_cache[text] = parse_relationship(text)
        return rel

    def _emit(self, household: Household) -> Iterator[dict[str, Any]]:
        rng = self.rng
        self._settle(household)
        seen_given: set[str] = set()
        for person in household.members:
            # Parents do not give two children the same name.
            for _ in range(5):
                if person.kind != "J" or person.given not in seen_given:
                    break
                person.given, person.given_kana = self._given(person.sex, person.birth)
            seen_given.add(person.given)
        self._household, household_number = self._next_serial(self._household)
        people = [*household.members, *household.extra_removed]
        atenas = []
        for _ in people:
            self._atena, atena = self._next_serial(self._atena)
            atenas.append(atena)
        members = household.members
        if len(members) > 1:
            order_ids = compute_member_order(
                Member(
                    atenas[i],
                    self._relationship(p.relationship),
                    date.fromordinal(p.birth),
                    family_anchor=atenas[p.anchor] if p.anchor is not None else None,
                    is_hittousha=p.is_hittousha,
                )
                for i, p in enumerate(members)
            )
            order = {atena: i + 1 for i, atena in enumerate(order_ids)}
        else:
            order = {atenas[0]: 1}
        head_atena = atenas[0]
        home = self.addresses.home
        place = home[int(rng.random() * len(home))]
        chome, lot, block = self.addresses.block(rng, place)
        katagaki = None
        if rng.random() < 0.25 and place.area is not None:
            floor, room = rng.randint(1, 5), rng.randint(1, 8)
            building = f"{rng.choice(_BUILDING_HEADS)}{rng.choice(_BUILDING_TAILS)}{place.area.name[:2]}"
            katagaki = f"{building} {floor}{room:02d}号"
        area = place.area
        muni = place.municipality
        address = {
            "postal_code": area.postal_code if area else muni.postal_code,
            "address_code": area.address_code if area else f"{muni.code[:5]}000000",
            "prefecture": place.prefecture,
            "municipality_code": muni.code,
            "municipality": f"{muni.county}{muni.name}",
            "town": area.name if area else "",
            "town_kana": area.kana if area else "",
            "chome": chome,
            "lot": lot,
            "block": block,
            "katagaki": katagaki,
            "address": f"{self.addresses.municipality_text(place)}{area.name if area else ''}{block}",
        }
        moved_within = household.arrival and rng.random() < 0.3
        support_candidate = None
        if (
            not household.removed
            and self.support < SUPPORT_SHARE * (self.living + len(members))
            and rng.random() < 0.5
        ):
            support_candidate = next(
                (p for p in members if p.sex == "2" and 20 <= _age_on(p.birth, self.as_of) < 60), None
            )
        support_start = None
        if support_candidate is not None:
            support_start = self.as_of - rng.randint(0, 360)
            for person in members:
                if person is support_candidate or _age_on(person.birth, self.as_of) < 18:
                    person.support = True
        for index, person in enumerate(people):
            atena = atenas[index]
            living = person.removal is None
            yield self._record(
                person,
                atena=atena,
                household_number=household_number,
                head_atena=head_atena,
                member_order=order.get(atena) if living or household.removed else None,
                family_anchor=atenas[person.anchor] if person.anchor is not None else None,
                address=address,
                household=household,
                moved_within=bool(moved_within),
                support_start=support_start if person.support else None,
            )

    def _record(
        self,
        p: Person,
        *,
        atena: str,
        household_number: str,
        head_atena: str,
        member_order: int | None,
        family_anchor: str | None,
        address: dict[str, Any],
        household: Household,
        moved_within: bool,
        support_start: int | None,
    ) -> dict[str, Any]:
        rng = self.rng
        living = p.removal is None
        end = self.as_of if living else p.removal[1]  # type: ignore[index]
        # 住民となった日: birth here, or the household's arrival (never before birth).
        native = household.arrival == 0 and p.relationship in _BORN_HERE
        if native or p.birth >= household.arrival > 0:
            became, reason = p.birth, "出生"
        elif household.arrival == 0:  # joined a native household (marriage, parents moving in)
            became, reason = rng.randint(min(p.birth + int(20 * _YEAR), end - 30), end - 30), "国内転入"
        else:
            became = household.arrival
            reason = "国外転入" if household.previous_address in _COUNTRY_JA.values() else "国内転入"
        if (
            p.kind == "F"
            and p.foreign
            and p.foreign["foreign_category"] == "特別永住者"
            and became < _SYSTEM_2012
        ):
            became, reason = _SYSTEM_2012, "職権記載"
        became = min(became, end)
        if moved_within and end - became > 60:
            address_set, address_set_reason = rng.randint(became + 30, end - 1), "転居"
        else:
            address_set, address_set_reason = (
                became,
                {"出生": "出生", "職権記載": "職権記載"}.get(reason, "転入"),
            )
        rec: dict[str, Any] = {
            "layout_version": LAYOUT_VERSION,
            "atena_number": atena,
            "household_number": household_number,
            "resident_kind": p.kind,
            "status": "resident" if living else "removed",
        }
        if not living:
            assert p.removal is not None
            rec["removal_reason"] = p.removal[0]
            rec["removal_date"] = _iso(p.removal[1])
            if p.removal[2]:
                rec["removal_destination"] = p.removal[2]
        rec["surname"] = p.surname
        rec["given_name"] = p.given
        rec["surname_kana"] = p.surname_kana
        rec["given_name_kana"] = p.given_kana
        if p.former_surname:
            rec["former_surname"] = p.former_surname
            rec["former_surname_kana"] = p.former_surname_kana
        birth_iso = _iso(p.birth)
        rec["birth_date"] = birth_iso
        if p.kind == "J":
            forms = _wareki_forms(p.birth)
            # On an overlap day either era is valid; keep what "was entered" (algorithms.md B.2 rule 3).
            rec["birth_date_wareki"] = forms[0] if len(forms) == 1 or rng.random() < 0.7 else forms[1]
        rec["sex"] = p.sex
        if p.foreign is not None:
            f = p.foreign
            rec.update((k, v) for k, v in f.items() if v is not None)
            rec["became_foreign_resident_date"] = _iso(became)
            if "tsusho" in f:
                rec["tsusho_recorded_date"] = _iso(rng.randint(became, end))
                rec["tsusho_recorded_municipality_code"] = self.muni_code
                rec["tsusho_recorded_municipality"] = self.addresses.municipality.name
        rec["relationship"] = p.relationship
        rec["is_household_head"] = p.relationship == "世帯主"
        rec["head_atena_number"] = head_atena
        if member_order is not None:
            rec["member_order"] = member_order
        if family_anchor is not None:
            rec["family_anchor"] = family_anchor
        rec.update((k, v) for k, v in address.items() if v is not None)
        rec["became_resident_date"] = _iso(became)
        rec["became_resident_reason"] = reason
        if reason in ("国内転入", "国外転入") and household.previous_address:
            rec["previous_address"] = household.previous_address
        rec["address_set_date"] = _iso(address_set)
        rec["address_set_reason"] = address_set_reason
        if p.kind == "J":
            rec["honseki"] = p.honseki or self.addresses.honseki_text(rng)
            rec["hittousha"] = p.hittousha or f"{p.surname}{SEP}{p.given}"
            rec["is_hittousha"] = p.is_hittousha
        # 10 random digits + the federation's check digit, so the CS and the national node accept it.
        code_base = f"{self._unique(self._juminhyo, 10**10):010d}"
        check = check_digit_for("juminhyo", code_base, juminhyo_rule=RESIDENT_CODE_RULE)
        rec["juminhyo_code"] = code_base + check
        base = f"{self._unique(self._mynumbers, 10**11):011d}"
        rec["individual_number"] = base + mynumber_check_digit(base)
        age = _age_on(p.birth, self.as_of)
        if living:
            status = p.foreign.get("residence_status") if p.foreign else None
            nhi = age < 75 and (
                status == "留学" or (household.nhi and status not in ("技能実習", "特定技能"))
            )
            rec["program_nhi"] = nhi
            rec["program_late_elderly"] = age >= 75
            rec["program_long_term_care"] = age >= 65
            rec["program_national_pension"] = 20 <= age <= 59
            rec["program_child_allowance"] = age < 15
            rec["program_voter"] = p.kind == "J" and age >= 18 and became <= self.as_of - 92
        else:
            for key in _PROGRAM_KEYS:
                rec[key] = False
        if support_start is not None:
            rec["support_measure_start_date"] = _iso(support_start)
            rec["support_measure_end_date"] = support_period_end(date.fromordinal(support_start)).isoformat()
        return rec

    # -- main loop --

    def _chunk(self, size: int) -> list[Household]:
        rng = self.rng
        pool = _AgePool(rng, [self._pyramid_age() for _ in range(size)])
        households: list[Household] = []
        ref = self.as_of
        while (child := pool.pick(0, 17)) is not None:
            households.append(self._plan(self._family_from_child(pool, child, ref)))
        while (adult := pool.pick(18, MAX_AGE)) is not None:
            households.append(self._plan(self._adult_household(pool, adult, ref)))
        rng.shuffle(households)
        return households

    def _plan(self, household: Household) -> Household:
        self._planned += len(household.members)
        self._planned_foreign += sum(p.kind == "F" for p in household.members)
        return household

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record, households in order, 除票 interleaved; living residents total exactly ``n``."""
        rng = self.rng
        while self.living < self.n:
            remaining = self.n - self.living
            for household in self._chunk(min(CHUNK, remaining)):
                size = len(household.members)
                if self.living + size > self.n:
                    # Fill the last places with one-person households so the count is exact.
                    while self.living < self.n:
                        age = rng.randint(18, 90)
                        single = self._j(self._sex(), age, self.as_of, self._family_name(), "世帯主")
                        self._set_honseki_single(single)
                        yield from self._count(Household([single]))
                    break
                yield from self._count(household)
                while self.removed < REMOVED_SHARE * self.living:
                    yield from self._count(self._removed_household())
                if self.living >= self.n:
                    break

    def _count(self, household: Household) -> Iterator[dict[str, Any]]:
        for record in self._emit(household):
            if record["status"] == "resident":
                self.living += 1
                self.foreign += record["resident_kind"] == "F"
                self.support += "support_measure_start_date" in record
            else:
                self.removed += 1
            yield record


_BORN_HERE = frozenset({"世帯主", "子", "子の子", "兄", "姉", "弟", "妹"})
_PROGRAM_KEYS = (
    "program_nhi",
    "program_late_elderly",
    "program_long_term_care",
    "program_national_pension",
    "program_child_allowance",
    "program_voter",
)


def _period_days(period: str) -> int:
    years, _, rest = period.partition("年")
    if not rest and "月" in years:
        return int(years.rstrip("月")) * 30
    months = int(rest.rstrip("月")) if rest else 0
    return int(years) * 365 + months * 30


def generate_population(
    residents: int, municipality_code: str, *, seed: int = 0, as_of: date = DEFAULT_AS_OF
) -> Iterator[dict[str, Any]]:
    """The import-layout records (dicts) of ``residents`` living residents plus ~10 % 除票."""
    return PopulationGenerator(residents, municipality_code, seed=seed, as_of=as_of).records()


def write_population(
    out: IO[str], residents: int, municipality_code: str, *, seed: int = 0, as_of: date = DEFAULT_AS_OF
) -> dict[str, int]:
    """Write the population as JSON Lines to ``out``; returns counts (living, removed, foreign, lines)."""
    generator = PopulationGenerator(residents, municipality_code, seed=seed, as_of=as_of)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    lines = 0
    batch: list[str] = []
    for record in generator.records():
        batch.append(dumps(record))
        lines += 1
        if len(batch) >= 2000:
            out.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        out.write("\n".join(batch) + "\n")
    return {
        "living": generator.living,
        "removed": generator.removed,
        "foreign": generator.foreign,
        "support": generator.support,
        "lines": lines,
    }
