"""続柄を証する書類: the document that proves a foreign resident's 続柄 (standard 1.1.11-c).

A foreign resident has no 戸籍, so a kinship 続柄 (夫, 妻, 子, 子の子 …) must be proved by a document the
clerk has seen: a Japanese acceptance or record certificate of a 届書, a foreign government's marriage
or birth certificate, a copy of a 住民票 and the like. Without one the person is 縁故者. 世帯主, 縁故者
and 同居人 state no kinship and need no proof. The record keeps which document was seen (kind and its
number or date), never the document itself.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from jumin.domain.errors import DomainError
from jumin.domain.relationships import Relationship, RelationshipKind

FIELD = "relationship_proof"
REFERENCE_MAX_CHARS = 100

# The kinds of document a clerk may record (standard 1.1.11-c names the families; その他 is "and similar").
RELATIONSHIP_PROOF_KINDS: tuple[str, ...] = (
    "届書の受理証明書",
    "届書の記載事項証明書",
    "外国政府等発行の婚姻証明書",
    "外国政府等発行の出生証明書",
    "住民票の写し",
    "出生届（当市町村で受理）",
    "その他の公的書類",
)
# A birth entered here from the 出生届 accepted here: the 届書 itself proves the parentage.
BIRTH_NOTIFICATION_KIND = "出生届（当市町村で受理）"

_WITHOUT_KINSHIP = frozenset({RelationshipKind.HEAD, RelationshipKind.ENKOSHA, RelationshipKind.LODGER})


@dataclass(frozen=True)
class RelationshipProof:
    """The document seen for a 続柄: its kind (one of RELATIONSHIP_PROOF_KINDS) and its number or date."""

    kind: str
    reference: str

    def as_json(self) -> dict[str, str]:
        """The stored form (``ResidentSnapshot.relationship_proof``)."""
        return {"kind": self.kind, "reference": self.reference}


def proof_from_json(value: object) -> RelationshipProof | None:
    """The proof stored on a snapshot, or None when none is held."""
    if not isinstance(value, dict) or not value.get("kind"):
        return None
    return RelationshipProof(kind=str(value["kind"]), reference=str(value.get("reference", "")))


def proof_text(stored: object) -> str:
    """A stored proof as shown to staff: 「種類（番号・日付）」, or "" when none is held."""
    proof = proof_from_json(stored)
    return f"{proof.kind}（{proof.reference}）" if proof else ""


def needs_proof(relationship: Relationship) -> bool:
    """Whether this 続柄 states a kinship that a foreign resident must prove by a document."""
    return relationship.kind not in _WITHOUT_KINSHIP


def check_relationship_proof(
    *, foreign: bool, relationship: Relationship, proof: RelationshipProof | None, field: str = FIELD
) -> RelationshipProof | None:
    """The proof to keep for one person, or a DomainError naming ``field`` and the remedy.

    A foreign resident's kinship 続柄 needs a proof (kind from the list, reference not blank); a proof
    given for a 続柄 without kinship is dropped (nothing to prove). A Japanese resident's 続柄 follows
    the 戸籍, so a proof is refused there rather than stored unread.
    """
    if not foreign:
        if proof is not None:
            raise DomainError(
                field=field,
                reason="日本人住民の続柄に証明書類は記録しません（戸籍によります）。",
                remedy="続柄を証する書類の欄を空欄にしてください。",
                code="resident.relationship_proof_on_japanese",
            )
        return None
    if not needs_proof(relationship):
        return None
    if proof is None or not proof.kind:
        raise DomainError(
            field=field,
            reason=f"外国人住民の続柄「{relationship.text}」を証する書類が記録されていません。",
            remedy=(
                "確認した書類の種類と番号・日付を入力してください。"
                "書類で証明できない場合は続柄を「縁故者」としてください。"
            ),
            code="resident.relationship_proof_required",
        )
    if proof.kind not in RELATIONSHIP_PROOF_KINDS:
        raise DomainError(
            field=f"{field}.kind",
            reason="続柄を証する書類の種類が正しくありません。",
            remedy="一覧（" + "、".join(RELATIONSHIP_PROOF_KINDS) + "）から選んでください。",
            code="resident.relationship_proof_kind",
        )
    reference = unicodedata.normalize("NFC", proof.reference).strip()
    if not reference:
        raise DomainError(
            field=f"{field}.reference",
            reason="続柄を証する書類の番号・日付が入力されていません。",
            remedy="書類の番号または発行日・受理日を入力してください。",
            code="resident.relationship_proof_reference",
        )
    if len(reference) > REFERENCE_MAX_CHARS:
        raise DomainError(
            field=f"{field}.reference",
            reason=f"続柄を証する書類の番号・日付が{REFERENCE_MAX_CHARS}文字を超えています。",
            remedy=f"{REFERENCE_MAX_CHARS}文字以内にしてください。",
            code="resident.relationship_proof_reference_too_long",
        )
    return RelationshipProof(kind=proof.kind, reference=reference)
