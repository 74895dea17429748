"""続柄 vocabulary and validation (algorithms.md D.1, standard 1.1.11)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.domain.relationships import (
    BASE_TERMS,
    ENKOSHA,
    HEAD,
    LODGER,
    Relationship,
    RelationshipCategory,
    RelationshipKind,
    apply_foreign_resident_proof_rule,
    categorize,
    chain_relationship,
    parse_relationship,
)

C = RelationshipCategory


@pytest.mark.parametrize(
    ("text", "expected_terms"),
    [
        pytest.param("子の子の子の子", ("子", "子", "子", "子"), id="ZK-1"),
        pytest.param("妻の父", ("妻", "父"), id="ZK-3"),
        pytest.param("子の妻（未届）", ("子", "妻（未届）"), id="ZK-4"),
    ],
)
def test_standard_chain_is_accepted(text: str, expected_terms: tuple[str, ...]) -> None:
    relationship = parse_relationship(text)
    assert relationship.kind is RelationshipKind.CHAIN
    assert relationship.terms == expected_terms
    assert relationship.text == text


SIBLING_CHILD = ["「兄の子」", "「姉の子」", "「弟の子」", "「妹の子」"]


@pytest.mark.parametrize(
    ("expected_remedies", "code"),
    [
        pytest.param({"子の子の子の子の子": ["「縁故者」"]}, "relationship.chain_too_long", id="ZK-2"),
        pytest.param({"孫": ["「子の子」"]}, "relationship.x_term", id="ZK-5"),
        pytest.param(
            {"祖父": ["「父の父」", "「母の父」"], "祖母": ["「父の母」", "「母の母」"]},
            "relationship.x_term",
            id="ZK-6",
        ),
        pytest.param({"甥": SIBLING_CHILD, "姪": SIBLING_CHILD}, "relationship.x_term", id="ZK-7"),
        pytest.param(
            {
                "おじ": ["「父の兄」", "「父の弟」", "「母の兄」", "「母の弟」"],
                "おば": ["「父の姉」", "「父の妹」", "「母の姉」", "「母の妹」"],
            },
            "relationship.x_term",
            id="ZK-8",
        ),
        pytest.param(
            {"家事使用人": ["「同居人」"], "準世帯主": ["「同居人」"]}, "relationship.x_term", id="ZK-9"
        ),
    ],
)
def test_term_outside_the_vocabulary_is_refused_with_the_standard_form_as_remedy(
    expected_remedies: dict[str, list[str]], code: str
) -> None:
    for text, suggestions in expected_remedies.items():
        with pytest.raises(DomainError) as caught:
            parse_relationship(text)
        assert caught.value.code == code
        assert caught.value.field == "relationship"
        for suggestion in suggestions:
            assert suggestion in caught.value.remedy


def test_x_term_message_quotes_the_term() -> None:
    with pytest.raises(DomainError) as caught:
        parse_relationship("孫")
    assert caught.value.reason == "「孫」は続柄として使用できません。"
    assert caught.value.remedy == "「子の子」と入力してください。"


def test_x_term_inside_a_chain_suggests_the_spliced_chain() -> None:
    with pytest.raises(DomainError) as caught:
        parse_relationship("妻の祖父")
    assert "「妻の父の父」" in caught.value.remedy
    assert "「妻の母の父」" in caught.value.remedy


def test_x_term_whose_expansion_exceeds_four_terms_suggests_enkosha() -> None:
    with pytest.raises(DomainError) as caught:
        parse_relationship("子の子の孫")
    assert "「子の子の子の子」" in caught.value.remedy
    with pytest.raises(DomainError) as caught:
        parse_relationship("子の子の子の孫")
    assert "「縁故者」" in caught.value.remedy


def test_unknown_word_is_refused_without_quoting_it() -> None:
    with pytest.raises(DomainError) as caught:
        parse_relationship("山田")
    assert caught.value.code == "relationship.unknown_term"
    assert "山田" not in str(caught.value)


def test_blank_relationship_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        parse_relationship(" \u3000")
    assert caught.value.code == "relationship.blank"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("世帯主", HEAD),
        ("縁故者", ENKOSHA),
        ("同居人", LODGER),
        ("子（子の夫）", Relationship(RelationshipKind.CHILD_AND_CHILD_SPOUSE, ("子", "夫"))),
        ("子(子の妻)", Relationship(RelationshipKind.CHILD_AND_CHILD_SPOUSE, ("子", "妻"))),
        ("子（子の妻)", Relationship(RelationshipKind.CHILD_AND_CHILD_SPOUSE, ("子", "妻"))),
        ("妻(未届)", Relationship(RelationshipKind.CHAIN, ("妻（未届）",))),
        (" 子の 妻 ", Relationship(RelationshipKind.CHAIN, ("子", "妻"))),
    ],
)
def test_special_forms_and_parenthesis_variants_are_normalised(text: str, expected: Relationship) -> None:
    assert parse_relationship(text) == expected


def test_special_forms_display_in_the_standard_form() -> None:
    assert parse_relationship("子(子の夫)").text == "子（子の夫）"
    assert str(parse_relationship("夫(未届)")) == "夫（未届）"
    assert HEAD.text == "世帯主"
    assert ENKOSHA.text == "縁故者"
    assert LODGER.text == "同居人"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("世帯主", C.HEAD),
        ("夫", C.SPOUSE),
        ("妻（未届）", C.SPOUSE),
        ("子", C.CHILD),
        ("子の夫", C.CHILD_SPOUSE),
        ("子の妻（未届）", C.CHILD_SPOUSE),
        ("子（子の妻）", C.CHILD_SPOUSE),
        ("子の子", C.GRANDCHILD),
        ("子の子の子", C.OTHER_RELATIVE),
        ("子の子の妻", C.OTHER_RELATIVE),
        ("父", C.PARENT),
        ("母", C.PARENT),
        ("兄", C.SIBLING),
        ("妹", C.SIBLING),
        ("父の父", C.GRANDPARENT),
        ("母の母", C.GRANDPARENT),
        ("妻の父", C.SPOUSE_PARENT),
        ("夫（未届）の母", C.SPOUSE_PARENT),
        ("妻の弟", C.SPOUSE_SIBLING),
        ("夫の母の父", C.SPOUSE_GRANDPARENT),
        ("兄の子", C.OTHER_RELATIVE),
        ("父の兄", C.OTHER_RELATIVE),
        ("弟の妻", C.OTHER_RELATIVE),
        ("父の父の父", C.OTHER_RELATIVE),
        ("縁故者", C.ENKOSHA),
        ("同居人", C.LODGER),
    ],
)
def test_category_tells_what_the_relationship_denotes(text: str, category: RelationshipCategory) -> None:
    relationship = parse_relationship(text)
    assert categorize(relationship) is category
    assert relationship.category is category


@pytest.mark.parametrize(
    ("text", "is_foreign", "has_proof", "expected"),
    [
        ("妻", True, False, "縁故者"),
        ("子の子", True, False, "縁故者"),
        ("子（子の夫）", True, False, "縁故者"),
        ("妻", True, True, "妻"),
        ("妻", False, False, "妻"),
        ("同居人", True, False, "同居人"),
        ("世帯主", True, False, "世帯主"),
    ],
)
def test_foreign_resident_relation_without_documentary_proof_becomes_enkosha(
    text: str, is_foreign: bool, has_proof: bool, expected: str
) -> None:
    result = apply_foreign_resident_proof_rule(
        parse_relationship(text), is_foreign_resident=is_foreign, has_documentary_proof=has_proof
    )
    assert result.text == expected


def test_derived_chain_of_five_terms_becomes_enkosha() -> None:
    assert chain_relationship(["子"] * 5) == ENKOSHA
    assert chain_relationship(["妻", "父"]).text == "妻の父"
    with pytest.raises(DomainError):
        chain_relationship(["孫"])


def test_relationship_cannot_be_constructed_outside_the_grammar() -> None:
    with pytest.raises(DomainError):
        Relationship(RelationshipKind.CHAIN, ())
    with pytest.raises(DomainError):
        Relationship(RelationshipKind.HEAD, ("子",))
    with pytest.raises(DomainError):
        Relationship(RelationshipKind.CHILD_AND_CHILD_SPOUSE, ("子", "子"))


base_chains = st.lists(st.sampled_from(BASE_TERMS), min_size=1, max_size=4)


@given(base_chains)
def test_any_chain_of_one_to_four_base_terms_round_trips(terms: list[str]) -> None:
    text = "の".join(terms)
    relationship = parse_relationship(text)
    assert relationship.terms == tuple(terms)
    assert parse_relationship(relationship.text) == relationship


@given(base_chains, st.booleans())
def test_half_width_parentheses_parse_like_full_width(terms: list[str], half_width: bool) -> None:
    text = "の".join(terms)
    variant = text.replace("（", "(").replace("）", ")") if half_width else text
    assert parse_relationship(variant) == parse_relationship(text)


@given(st.lists(st.sampled_from(BASE_TERMS), min_size=5, max_size=8))
def test_any_chain_longer_than_four_terms_is_refused(terms: list[str]) -> None:
    with pytest.raises(DomainError) as caught:
        parse_relationship("の".join(terms))
    assert caught.value.code == "relationship.chain_too_long"
