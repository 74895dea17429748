"""JSON API of 転居, 世帯変更 and 世帯照会 (mounted at /api/registry/household). Thin: one service call.

宛名番号 and 世帯番号 travel in request bodies, never in URLs.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from jumin.domain.relationship_proof import RelationshipProof
from jumin.registry import selectors_household
from jumin.registry.api import AddressIn, RelationshipProofIn
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, AttentionNoteIn, draft_created
from jumin.registry.api_corrections import ExOfficioBasisIn, ex_officio_basis
from jumin.registry.services import Address
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.move_within import MoveWithin, record_move_within

router = Router(tags=["住民記録"])


class MoveWithinIn(AttentionNoteIn):
    purpose: str
    movers: list[str]
    address: AddressIn
    move_date: date
    notification_date: date | None = None  # required unless ex_officio_basis
    household_number: str | None = None
    relationships: dict[str, str] = Field(default_factory=dict)
    ex_officio_basis: ExOfficioBasisIn | None = None  # 職権転居 (standard 4.2.0.2-a)
    # 続柄を証する書類 by 宛名番号 for foreign members whose 続柄 is set anew (standard 1.1.11-c).
    relationship_proofs: dict[str, RelationshipProofIn] = Field(default_factory=dict)


class HouseholdChangeIn(AttentionNoteIn):
    purpose: str
    kind: HouseholdChangeKind
    household_number: str
    change_date: date
    notification_date: date | None = None  # required unless ex_officio or ex_officio_basis
    relationships: dict[str, str] = Field(default_factory=dict)
    relationship_proofs: dict[str, RelationshipProofIn] = Field(default_factory=dict)
    members: list[str] = Field(default_factory=list)
    target_household_number: str | None = None
    ex_officio: bool = False  # 世帯主変更 by 職権 in a household without a head (standard 4.0.5-a)
    de_facto_head: str = ""
    ex_officio_basis: ExOfficioBasisIn | None = None  # any kind by 職権 (standard 4.2.0.2-a)


def _proofs(entered: dict[str, RelationshipProofIn]) -> dict[str, RelationshipProof]:
    return {atena: RelationshipProof(kind=p.kind, reference=p.reference) for atena, p in entered.items()}


@router.post("/move-within", response=DRAFT_RESPONSES)
def move_within(request: HttpRequest, payload: MoveWithinIn) -> Status[object]:
    """Enter a 転居届 as a draft (仮登録); another clerk commits it."""
    move = MoveWithin(
        movers=payload.movers,
        address=Address(**payload.address.dict()),
        move_date=payload.move_date,
        notification_date=payload.notification_date,
        household_number=payload.household_number or None,
        relationships=payload.relationships,
        ex_officio=ex_officio_basis(payload.ex_officio_basis),
        relationship_proofs=_proofs(payload.relationship_proofs),
        attention_note=payload.attention_note,
    )
    return draft_created(record_move_within(actor=request.user, purpose=payload.purpose, move=move))


@router.post("/change", response=DRAFT_RESPONSES)
def household_change(request: HttpRequest, payload: HouseholdChangeIn) -> Status[object]:
    """Enter a 世帯変更届 (世帯主変更, 世帯分離 or 世帯合併) as a draft; another clerk commits it."""
    change = HouseholdChange(
        kind=payload.kind,
        household_number=payload.household_number,
        change_date=payload.change_date,
        notification_date=payload.notification_date,
        relationships=payload.relationships,
        relationship_proofs=_proofs(payload.relationship_proofs),
        members=payload.members,
        target_household_number=payload.target_household_number or None,
        ex_officio=payload.ex_officio,
        de_facto_head=payload.de_facto_head,
        ex_officio_basis=ex_officio_basis(payload.ex_officio_basis),
        attention_note=payload.attention_note,
    )
    return draft_created(record_household_change(actor=request.user, purpose=payload.purpose, change=change))


class HouseholdInquiryIn(Schema):
    purpose: str
    household_number: str
    # Codes of the 照会 suppression alerts confirmed (standard 3.1-b).
    acknowledged_alerts: list[str] = Field(default_factory=list)


class PurposeIn(Schema):
    purpose: str


@router.post("/inquiry", response={200: selectors_household.HouseholdView, **ERRORS})
def household_inquiry(request: HttpRequest, payload: HouseholdInquiryIn) -> Status[object]:
    """世帯照会: current members, then former members with the date and reason they left (audited)."""
    return Status(
        200,
        selectors_household.household_inquiry(
            actor=request.user,
            purpose=payload.purpose,
            household_number=payload.household_number,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )


@router.post("/headless", response={200: list[selectors_household.HeadlessHousehold], **ERRORS})
def headless_households(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """世帯主変更依頼 対象者一覧: households without a 世帯主 and each notice's addressee (audited)."""
    return Status(200, selectors_household.headless_households(actor=request.user, purpose=payload.purpose))
