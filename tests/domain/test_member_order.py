"""Member order on the 世帯連記式 住民票 (algorithms.md D.2/D.3, standard 5.2-a)."""

from __future__ import annotations

import dataclasses
import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.domain.member_order import (
    Member,
    append_new_members,
    compute_member_order,
    current_member_order,
    first_remaining_member,
    move_member,
    recalculate_member_order,
)
from jumin.domain.relationships import BASE_TERMS, parse_relationship


def member(
    atena: str, relationship: str, born: str, anchor: str | None = None, *, hittousha: bool = False
) -> Member:
    return Member(
        atena_number=atena,
        relationship=parse_relationship(relationship),
        approx_birth_date=date.fromisoformat(born),
        family_anchor=anchor,
        is_hittousha=hittousha,
    )


# algorithms.md D.3, in registration order (ascending 宛名番号).
AOKI_HOUSEHOLD = [
    member("0001015", "世帯主", "1960-04-01"),
    member("0001023", "妻", "1962-08-15"),
    member("0001031", "母", "1935-03-03"),
    member("0001058", "子", "1985-05-20"),
    member("0001066", "弟", "1965-07-07"),
    member("0001074", "子", "1988-12-01"),
    member("0001082", "子", "1992-09-09"),
    member("0001090", "子の妻", "1987-02-02", "0001058"),
    member("0001104", "妻の母", "1937-01-20"),
    member("0001112", "縁故者", "1970-06-01"),
    member("0001120", "子の妻", "1989-01-08", "0001074"),
    member("0001139", "子の子", "2020-10-10", "0001058"),
    member("0001155", "同居人", "1990-06-06"),
    member("0001163", "同居人", "1990-06-06"),
]

AOKI_EXPECTED = [
    "0001015",  # 世帯主 1-1
    "0001023",  # 妻 1-2
    "0001082",  # 子 without a family 1-3
    "0001058",  # family 1: child 2-1
    "0001090",  # family 1: child's wife 2-2
    "0001139",  # family 1: grandchild 2-3
    "0001074",  # family 2: child 2-1
    "0001120",  # family 2: child's wife 2-2
    "0001031",  # 母 3-1
    "0001066",  # 弟 3-2
    "0001104",  # 妻の母 4-1
    "0001112",  # 縁故者 4-2
    "0001155",  # 同居人 4-3, twin with the lower 宛名番号
    "0001163",  # 同居人 4-3
]


def _with_birth(members: list[Member], atena: str, born: str) -> list[Member]:
    return [
        dataclasses.replace(m, approx_birth_date=date.fromisoformat(born)) if m.atena_number == atena else m
        for m in members
    ]


@pytest.mark.parametrize(
    ("members", "stored", "action", "expected"),
    [
        pytest.param(AOKI_HOUSEHOLD, None, "compute", AOKI_EXPECTED, id="ORD-1"),
        pytest.param(
            [*AOKI_HOUSEHOLD, member("0001171", "同居人", "1950-01-01")],
            AOKI_EXPECTED,
            "join",
            [*AOKI_EXPECTED, "0001171"],
            id="ORD-2",
        ),
        pytest.param(
            AOKI_HOUSEHOLD,
            AOKI_EXPECTED,
            "manual",
            [*AOKI_EXPECTED[:2], *AOKI_EXPECTED[3:7], "0001082", *AOKI_EXPECTED[7:]],
            id="ORD-3",
        ),
        pytest.param(
            _with_birth(AOKI_HOUSEHOLD, "0001074", "1985-05-20"), None, "compute", AOKI_EXPECTED, id="ORD-4"
        ),
    ],
)
def test_member_order_follows_the_worked_example(
    members: list[Member], stored: list[str] | None, action: str, expected: list[str]
) -> None:
    if action == "compute":
        assert compute_member_order(members) == expected
    elif action == "join":
        # A 同居人 born before the twins would sort among them on a re-sort; joining only appends.
        stored_after_join = append_new_members(stored or [], ["0001171"])
        assert stored_after_join == expected
        assert current_member_order(stored_after_join, members) == expected
        assert compute_member_order(members) != expected
    else:
        manual = move_member(stored or [], "0001082", 7)
        assert manual == expected
        assert current_member_order(manual, members) == expected


def test_joining_member_missing_from_the_stored_order_is_shown_at_the_end() -> None:
    members = [*AOKI_HOUSEHOLD, member("0001171", "同居人", "1950-01-01")]
    assert current_member_order(AOKI_EXPECTED, members) == [*AOKI_EXPECTED, "0001171"]


def test_member_who_left_is_dropped_from_the_stored_order() -> None:
    members = [m for m in AOKI_HOUSEHOLD if m.atena_number != "0001066"]
    assert current_member_order(AOKI_EXPECTED, members) == [a for a in AOKI_EXPECTED if a != "0001066"]


def test_appending_a_member_already_present_does_nothing() -> None:
    assert append_new_members(["1", "2"], ["2", "3", "3"]) == ["1", "2", "3"]


def test_household_without_head_keeps_its_stored_order_on_recalculation() -> None:
    headless = [m for m in AOKI_HOUSEHOLD if m.atena_number != "0001015"]
    stored = list(reversed([a for a in AOKI_EXPECTED if a != "0001015"]))
    assert recalculate_member_order(stored, headless) == stored


def test_recalculation_with_a_head_replaces_the_manual_order() -> None:
    manual = move_member(AOKI_EXPECTED, "0001082", 7)
    assert recalculate_member_order(manual, AOKI_HOUSEHOLD) == AOKI_EXPECTED


def test_notice_addressee_is_the_first_remaining_member_of_the_previous_order() -> None:
    remaining = set(AOKI_EXPECTED) - {"0001015", "0001023"}
    assert first_remaining_member(AOKI_EXPECTED, remaining) == "0001082"
    assert first_remaining_member(AOKI_EXPECTED, set()) is None


def test_manual_move_outside_the_household_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        move_member(AOKI_EXPECTED, "9999999", 1)
    assert caught.value.code == "member_order.not_a_member"
    with pytest.raises(DomainError) as caught:
        move_member(AOKI_EXPECTED, "0001082", 15)
    assert caught.value.code == "member_order.position_out_of_range"


def test_duplicate_atena_number_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        compute_member_order([*AOKI_HOUSEHOLD, AOKI_HOUSEHOLD[3]])
    assert caught.value.code == "member_order.duplicate_member"


def test_two_heads_are_refused() -> None:
    with pytest.raises(DomainError) as caught:
        compute_member_order([*AOKI_HOUSEHOLD, member("0001171", "世帯主", "1950-01-01")])
    assert caught.value.code == "member_order.several_heads"


def test_parents_and_grandparents_put_the_hittousha_first() -> None:
    members = [
        member("1", "世帯主", "1960-01-01"),
        member("2", "母", "1930-01-01"),
        member("3", "父", "1932-01-01", hittousha=True),
        member("4", "父の母", "1900-01-01"),
        member("5", "父の父", "1905-01-01", hittousha=True),
        member("6", "姉", "1958-01-01"),
    ]
    assert compute_member_order(members) == ["1", "3", "2", "6", "5", "4"]


def test_spouse_family_follows_the_rank_three_pattern_before_other_relatives() -> None:
    members = [
        member("1", "世帯主", "1960-01-01"),
        member("2", "妻の兄の子", "1950-01-01"),
        member("3", "妻の父の母", "1900-01-01"),
        member("4", "妻の姉", "1955-01-01"),
        member("5", "妻の母", "1930-01-01"),
        member("6", "妻の父", "1932-01-01", hittousha=True),
    ]
    assert compute_member_order(members) == ["1", "6", "5", "4", "3", "2"]


def test_grandchild_whose_parent_is_absent_forms_its_own_rank_two_family() -> None:
    members = [
        member("1", "世帯主", "1960-01-01"),
        member("2", "子", "1990-01-01"),
        member("3", "子の子", "2015-01-01"),
        member("4", "子", "1985-01-01", None),
        member("5", "子の子", "2010-01-01", "4"),
        member("6", "父", "1930-01-01"),
    ]
    # 2 is a child without a family (1-3); family of 4 (anchor 1985) precedes the lone grandchild (2015).
    assert compute_member_order(members) == ["1", "2", "4", "5", "3", "6"]


def test_grandchild_anchored_to_a_widowed_child_spouse_joins_her_family() -> None:
    members = [
        member("1", "世帯主", "1960-01-01"),
        member("2", "子の妻", "1988-01-01"),
        member("3", "子の子", "2015-01-01", "2"),
        member("4", "子の子", "2012-01-01", "2"),
    ]
    assert compute_member_order(members) == ["1", "2", "4", "3"]


def test_rank_four_family_units_follow_individuals_and_use_the_rank_two_pattern() -> None:
    members = [
        member("1", "世帯主", "1960-01-01"),
        member("2", "兄の子", "1985-01-01"),
        member("3", "兄の子の子", "2015-01-01", "2"),
        member("4", "兄の子の妻", "1987-01-01", "2"),
        member("5", "父の兄", "1935-01-01"),
        member("6", "子の子の子", "2020-01-01"),
        member("7", "縁故者", "1970-01-01"),
        member("8", "縁故者", "1975-01-01", "7"),
        member("9", "縁故者", "1950-01-01"),
        member("10", "同居人", "1960-01-01"),
        member("11", "同居人", "1950-01-01", "10"),
    ]
    assert compute_member_order(members) == ["1", "5", "6", "2", "4", "3", "9", "7", "8", "11", "10"]


def test_rank_four_units_are_ordered_by_generation_then_birth_date() -> None:
    members = [
        member("1", "世帯主", "1960-01-01"),
        member("2", "父の兄の子", "1965-01-01"),
        member("3", "父の兄の子の妻", "1966-01-01", "2"),
        member("4", "兄の子", "1985-01-01"),
        member("5", "兄の子の妻", "1986-01-01", "4"),
    ]
    assert compute_member_order(members) == ["1", "4", "5", "2", "3"]


def test_unknown_birth_date_sorts_last_among_children() -> None:
    members = [
        member("1", "世帯主", "1960-01-01"),
        member("2", "子", "9999-12-31"),
        member("3", "子", "1995-01-01"),
    ]
    assert compute_member_order(members) == ["1", "3", "2"]


def test_cyclic_family_anchors_do_not_fail() -> None:
    members = [
        member("1", "世帯主", "1960-01-01"),
        member("2", "子の妻", "1988-01-01", "3"),
        member("3", "子の子", "2015-01-01", "2"),
    ]
    assert sorted(compute_member_order(members)) == ["1", "2", "3"]


RELATIONSHIP_TEXTS = [
    "世帯主",
    "妻",
    "夫（未届）",
    "子",
    "子の妻",
    "子の子",
    "子（子の夫）",
    "父",
    "母",
    "兄",
    "父の母",
    "妻の父",
    "妻の弟",
    "兄の子",
    "兄の子の妻",
    "子の子の子",
    "縁故者",
    "同居人",
    *BASE_TERMS,
]


@st.composite
def households(draw: st.DrawFn) -> list[Member]:
    size = draw(st.integers(min_value=0, max_value=12))
    numbers = draw(st.lists(st.from_regex(r"\A[0-9]{7}\Z"), min_size=size, max_size=size, unique=True))
    with_head = draw(st.booleans())
    members = []
    for index, atena in enumerate(numbers):
        text = draw(st.sampled_from([t for t in RELATIONSHIP_TEXTS if t != "世帯主"]))
        if with_head and index == 0:
            text = "世帯主"
        members.append(
            Member(
                atena_number=atena,
                relationship=parse_relationship(text),
                approx_birth_date=draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))),
                family_anchor=draw(st.none() | st.sampled_from(numbers)),
                is_hittousha=draw(st.booleans()),
            )
        )
    return members


@given(households(), st.randoms(use_true_random=False))
def test_order_is_a_deterministic_permutation_independent_of_input_order(
    members: list[Member], rng: random.Random
) -> None:
    order = compute_member_order(members)
    assert sorted(order) == sorted(m.atena_number for m in members)
    assert compute_member_order(members) == order
    shuffled = list(members)
    rng.shuffle(shuffled)
    assert compute_member_order(shuffled) == order
