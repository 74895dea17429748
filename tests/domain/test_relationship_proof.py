"""続柄を証する書類 (standard 1.1.11-c): a foreign resident's kinship 続柄 needs a document, else 縁故者."""

import pytest

from jumin.domain.errors import DomainError
from jumin.domain.relationship_proof import (
    RelationshipProof,
    check_relationship_proof,
    proof_from_json,
    proof_text,
)
from jumin.domain.relationships import parse_relationship

SEEN = RelationshipProof("外国政府等発行の婚姻証明書", "2019-05-01 発行")


def check(relationship: str, proof: RelationshipProof | None, *, foreign: bool = True) -> object:
    return check_relationship_proof(
        foreign=foreign, relationship=parse_relationship(relationship), proof=proof, field="members[1].x"
    )


@pytest.mark.parametrize("relationship", ["妻", "子", "子の子", "夫（未届）", "子（子の妻）", "母"])
def test_a_foreign_kinship_relationship_without_a_document_is_refused(relationship: str) -> None:
    with pytest.raises(DomainError) as refused:
        check(relationship, None)
    assert refused.value.code == "resident.relationship_proof_required"
    assert refused.value.field == "members[1].x"
    assert f"「{relationship}」" in refused.value.reason
    assert "縁故者" in refused.value.remedy


@pytest.mark.parametrize("relationship", ["世帯主", "縁故者", "同居人"])
def test_relationships_without_kinship_need_no_document_and_keep_none(relationship: str) -> None:
    assert check(relationship, None) is None
    assert check(relationship, SEEN) is None  # nothing to prove: not stored


def test_the_document_seen_is_kept_with_its_reference_trimmed() -> None:
    kept = check("妻", RelationshipProof(SEEN.kind, "  2019-05-01 発行 "))
    assert kept == SEEN
    assert proof_from_json(SEEN.as_json()) == SEEN
    assert proof_text(SEEN.as_json()) == "外国政府等発行の婚姻証明書（2019-05-01 発行）"
    assert proof_text(None) == ""


@pytest.mark.parametrize(
    ("proof", "code", "field"),
    [
        (RelationshipProof("口頭の申立て", "2019"), "resident.relationship_proof_kind", "members[1].x.kind"),
        (
            RelationshipProof(SEEN.kind, "  "),
            "resident.relationship_proof_reference",
            "members[1].x.reference",
        ),
        (
            RelationshipProof(SEEN.kind, "1" * 101),
            "resident.relationship_proof_reference_too_long",
            "members[1].x.reference",
        ),
    ],
)
def test_a_document_of_an_unknown_kind_or_without_reference_is_refused(
    proof: RelationshipProof, code: str, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        check("子", proof)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_a_japanese_residents_relationship_takes_no_document() -> None:
    assert check("妻", None, foreign=False) is None
    with pytest.raises(DomainError) as refused:
        check("妻", SEEN, foreign=False)
    assert refused.value.code == "resident.relationship_proof_on_japanese"
