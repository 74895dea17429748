"""JSON API of the registry (Django Ninja). Thin: parse, call one service or selector, return.

Identifiers of people travel in request bodies, never in URLs (personal data stays out of URLs).
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from jumin.domain.eras import Calendar
from jumin.domain.relationship_proof import RelationshipProof
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import (
    ChangeReason,
    ForeignResidentItems,
    PersonFacts,
    ResidentKind,
    Sex,
    parse_former_alien_registration_date,
)
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import selectors, services
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, AttentionNoteIn, draft_created

# Re-exported: the other registry APIs (and new ones) import these schemas from here.
from jumin.registry.api_common import AlertOut as AlertOut
from jumin.registry.api_common import DraftOut as DraftOut
from jumin.registry.api_common import ErrorOut as ErrorOut
from jumin.registry.api_common import RefusedOut as RefusedOut
from jumin.registry.workflows.unreported_move_in import UnreportedMoveIn

router = Router(tags=["住民記録"])


class ForeignIn(Schema):
    nationality_code: str
    category: str
    alphabet_name: str = ""
    residence_status: str = ""
    period_of_stay: str = ""
    stay_expiry_date: str = ""
    residence_card_number: str = ""
    special_permanent_resident_number: str = ""
    landing_period: str = ""  # 一時庇護許可者 (standard 1.1.2-b)
    provisional_stay_period: str = ""  # 仮滞在許可者
    transitional_reason: str = ""  # 経過滞在者: 「出生」 or 「国籍喪失」 (set by those workflows)


class RelationshipProofIn(Schema):
    """続柄を証する書類 (standard 1.1.11-c): the kind of document seen and its number or date."""

    kind: str
    reference: str


class PersonIn(Schema):
    kind: ResidentKind = ResidentKind.JAPANESE
    surname: str
    given_name: str = ""
    surname_kana: str
    given_name_kana: str = ""
    # フリガナ確認 per kana item (standard 1.1.18-a): 氏名, 旧氏, 通称.
    kana_confirmed: bool = False
    former_surname_kana_confirmed: bool = False
    alias_kana_confirmed: bool = False
    birth_date: str
    sex: Sex
    relationship: str
    former_surname: str = ""
    former_surname_kana: str = ""
    alias: str = ""
    alias_kana: str = ""
    honseki: str = ""
    hittousha: str = ""
    foreign: ForeignIn | None = None
    juminhyo_code: str = ""
    # 旧外登法登録年月日 (standard 1.1.2-a): 和暦 or 西暦, 不詳 forms allowed (1.1.8-c); blank if not held.
    former_alien_registration_date: str = ""
    # A foreign resident's kinship 続柄 needs the document seen (standard 1.1.11-c); else 縁故者.
    relationship_proof: RelationshipProofIn | None = None


class MoveInPersonIn(PersonIn):
    # 個人番号 from the 転出証明書 (needs INDIVIDUAL_NUMBER_ACCESS); stored encrypted, never echoed.
    individual_number: str = Field("", repr=False)
    # 再転入 (standard 4.1.1.2-b): the 宛名番号 of the 除票 chosen from /move-ins/returning/search.
    returning_atena_number: str = ""


class AddressIn(Schema):
    address: str
    katagaki: str = ""
    postal_code: str = ""
    address_code: str = ""


class UnreportedIn(Schema):
    """未届転入 (standard 4.1.1.4-a): the last unreported address and, if known, since when."""

    address: str
    moved_on: date | None = None


class MoveInIn(AttentionNoteIn):
    purpose: str
    reason: ChangeReason = ChangeReason.DOMESTIC_MOVE_IN
    members: list[MoveInPersonIn]
    address: AddressIn
    move_in_date: str
    notification_date: date
    # For a 未届転入: the last registered address (the 転出証明書's), with ``unreported`` set.
    previous_address: str
    # 転入前住所の郵便番号; "" to look it up in the address dictionary (standard 1.1.17-a).
    previous_postal_code: str = ""
    household_number: str | None = None
    unreported: UnreportedIn | None = None
    # 転出地 市町村コード (国内転入): where the commit sends the 転入通知; or state that it is unknown.
    former_municipality_code: str = ""
    former_municipality_unknown: bool = False


class DecisionIn(Schema):
    purpose: str
    reason: str = ""
    # Codes of the 異動入力 suppression alerts confirmed, one by one (standard 3.1-b, 11.1-b).
    acknowledged_alerts: list[str] = Field(default_factory=list)


class DecisionOut(Schema):
    change_id: int
    state: str


class LookupIn(Schema):
    purpose: str
    atena_number: str
    # Codes of the 照会 suppression alerts confirmed, one by one (standard 3.1-b, 11.1-b).
    acknowledged_alerts: list[str] = Field(default_factory=list)


def _person(data: PersonIn, index: int) -> PersonFacts:
    foreign = data.kind is ResidentKind.FOREIGN
    birth = parse_date_input(
        data.birth_date,
        field_kind=DateFieldKind.BIRTH,
        calendar=Calendar.GREGORIAN if foreign else Calendar.WAREKI,
        field=f"members[{index}].birth_date",
    )
    return PersonFacts(
        kind=data.kind,
        surname=data.surname,
        given_name=data.given_name,
        surname_kana=data.surname_kana,
        given_name_kana=data.given_name_kana,
        kana_confirmed=data.kana_confirmed,
        former_surname_kana_confirmed=data.former_surname_kana_confirmed,
        alias_kana_confirmed=data.alias_kana_confirmed,
        birth_date=birth.value,
        sex=data.sex,
        relationship=parse_relationship(data.relationship, field=f"members[{index}].relationship"),
        former_surname=data.former_surname,
        former_surname_kana=data.former_surname_kana,
        alias=data.alias,
        alias_kana=data.alias_kana,
        honseki=data.honseki,
        hittousha=data.hittousha,
        foreign=ForeignResidentItems(**data.foreign.dict()) if data.foreign else None,
        juminhyo_code=data.juminhyo_code,
        former_alien_registration_date=parse_former_alien_registration_date(
            data.former_alien_registration_date, field=f"members[{index}].former_alien_registration_date"
        ),
        relationship_proof=relationship_proof_of(data),
    )


def relationship_proof_of(data: PersonIn) -> RelationshipProof | None:
    """The 続柄を証する書類 entered for one person (checked by the workflow), or None."""
    proof = data.relationship_proof
    return RelationshipProof(kind=proof.kind, reference=proof.reference) if proof else None


@router.post("/move-ins", response=DRAFT_RESPONSES)
def record_move_in(request: HttpRequest, payload: MoveInIn) -> Status[object]:
    """Enter a 転入届 as a draft (仮登録); another clerk commits it."""
    moved = parse_date_input(
        payload.move_in_date, field_kind=DateFieldKind.BECAME_RESIDENT, field="move_in_date"
    )
    move_in = services.MoveIn(
        members=[_person(member, i) for i, member in enumerate(payload.members)],
        address=services.Address(**payload.address.dict()),
        move_in_date=moved.value,
        notification_date=payload.notification_date,
        previous_address=payload.previous_address,
        previous_postal_code=payload.previous_postal_code,
        reason=payload.reason,
        household_number=payload.household_number,
        individual_numbers=[member.individual_number for member in payload.members],
        unreported=UnreportedMoveIn(**payload.unreported.dict()) if payload.unreported else None,
        former_municipality_code=payload.former_municipality_code,
        former_municipality_unknown=payload.former_municipality_unknown,
        attention_note=payload.attention_note,
        returning_atena_numbers=[member.returning_atena_number for member in payload.members],
    )
    draft = services.record_move_in(actor=request.user, purpose=payload.purpose, move_in=move_in)
    return draft_created(draft, *moved.alerts)


@router.get("/drafts", response=list[selectors.DraftSummary])
def list_drafts(request: HttpRequest) -> list[selectors.DraftSummary]:
    """Drafts entered by other clerks, waiting for this reviewer (names are not listed)."""
    return selectors.drafts_for_review(actor=request.user)


@router.post("/drafts/{change_id}/commit", response={200: DecisionOut, **ERRORS})
def commit_draft(request: HttpRequest, change_id: int, payload: DecisionIn) -> Status[object]:
    """本登録 of a draft by a clerk other than its maker."""
    change = services.commit_change(
        actor=request.user,
        purpose=payload.purpose,
        change_id=change_id,
        acknowledged_alerts=payload.acknowledged_alerts,
    )
    return Status(200, {"change_id": change.pk, "state": change.state})


@router.post("/drafts/{change_id}/discard", response={200: DecisionOut, **ERRORS})
def discard_draft(request: HttpRequest, change_id: int, payload: DecisionIn) -> Status[object]:
    """Discard a draft entered in error, with the reason."""
    change = services.discard_change(
        actor=request.user, purpose=payload.purpose, change_id=change_id, reason=payload.reason
    )
    return Status(200, {"change_id": change.pk, "state": change.state})


@router.post("/residents/lookup", response={200: selectors.ResidentView, **ERRORS})
def lookup_resident(request: HttpRequest, payload: LookupIn) -> Status[object]:
    """The current record of one person (audited as viewed)."""
    return Status(
        200,
        selectors.resident_record(
            actor=request.user,
            purpose=payload.purpose,
            atena_number=payload.atena_number,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )


@router.post("/residents/history", response={200: list[selectors.ResidentView], **ERRORS})
def resident_history(request: HttpRequest, payload: LookupIn) -> Status[object]:
    """Every committed snapshot of one person (audited)."""
    return Status(
        200,
        selectors.resident_history(
            actor=request.user,
            purpose=payload.purpose,
            atena_number=payload.atena_number,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )
