"""JSON API of the 転出・死亡・出生 workflows (Django Ninja), mounted at /api/registry/events.

Thin like jumin.registry.api: parse, call one service, return. People travel in bodies, never URLs.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jumin.domain.eras import Calendar
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import ChangeReason, ForeignResidentItems, PersonFacts, ResidentKind
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import honseki_candidates
from jumin.registry.api import PersonIn, relationship_proof_of
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, AttentionNoteIn, draft_created
from jumin.registry.api_corrections import ExOfficioBasisIn, ex_officio_basis
from jumin.registry.workflows import birth, death, move_out

router = Router(tags=["住民記録（転出・死亡・出生）"])


class MoveOutIn(AttentionNoteIn):
    purpose: str
    atena_numbers: list[str]
    planned_date: date
    destination: str
    notification_date: date | None = None  # required unless ex_officio_basis
    reason: ChangeReason = ChangeReason.DOMESTIC_MOVE_OUT
    # 転入予定地 市町村コード: a card holder's 転出 becomes a 特例転出 (docs/jukinet.md Flow 7).
    destination_municipality_code: str = ""
    # 転出先（予定）の郵便番号; "" to look it up in the address dictionary (standard 1.1.17-a).
    destination_postal_code: str = ""
    ex_officio_basis: ExOfficioBasisIn | None = None  # 職権転出 (standard 4.2.0.2-a)


class DeathIn(AttentionNoteIn):
    purpose: str
    atena_number: str
    death_date: str
    notification_date: date
    informant: str = ""
    # 本籍・筆頭者 of the 死亡届 when the record's differ; pick from /honseki-candidates (4.2.0.3-a).
    honseki: str = ""
    hittousha: str = ""


class HonsekiCandidatesIn(Schema):
    purpose: str
    household_number: str = ""  # 出生, 転入 to a household: the household the person joins
    atena_number: str = ""  # 死亡・失踪・本籍の修正: the person's household
    address: str = ""  # the 転入先 typed (else the household's address)
    previous_address: str = ""  # the 転入前住所 typed (else the person's)
    typed_honseki: str = ""  # the 本籍 typed so far: old 町字 names of its municipality
    returning: bool = False  # 再転入: no candidate of a merged municipality


class BirthIn(AttentionNoteIn):
    purpose: str
    household_number: str
    child: PersonIn
    notification_date: date


def child_facts(data: PersonIn, *, field_prefix: str = "child") -> tuple[PersonFacts, tuple[object, ...]]:
    """The newborn's facts; the birth date is an event date, so 不詳 patterns are accepted (1.1.8-a)."""
    foreign = data.kind is ResidentKind.FOREIGN
    born = parse_date_input(
        data.birth_date,
        field_kind=DateFieldKind.EVENT_BIRTH,
        calendar=Calendar.GREGORIAN if foreign else Calendar.WAREKI,
        field=f"{field_prefix}.birth_date",
    )
    facts = PersonFacts(
        kind=data.kind,
        surname=data.surname,
        given_name=data.given_name,
        surname_kana=data.surname_kana,
        given_name_kana=data.given_name_kana,
        kana_confirmed=data.kana_confirmed,
        birth_date=born.value,
        sex=data.sex,
        relationship=parse_relationship(data.relationship, field=f"{field_prefix}.relationship"),
        honseki=data.honseki,
        hittousha=data.hittousha,
        foreign=ForeignResidentItems(**data.foreign.dict()) if data.foreign else None,
        relationship_proof=relationship_proof_of(data),
    )
    return facts, tuple(born.alerts)


@router.post("/move-out", response=DRAFT_RESPONSES)
def record_move_out(request: HttpRequest, payload: MoveOutIn) -> Status[object]:
    """Enter a 転出届 as a draft (仮登録); another clerk commits it."""
    draft = move_out.record_move_out(
        actor=request.user,
        purpose=payload.purpose,
        move_out=move_out.MoveOut(
            atena_numbers=payload.atena_numbers,
            planned_date=payload.planned_date,
            destination=payload.destination,
            notification_date=payload.notification_date,
            reason=payload.reason,
            destination_municipality_code=payload.destination_municipality_code,
            destination_postal_code=payload.destination_postal_code,
            ex_officio=ex_officio_basis(payload.ex_officio_basis),
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft)


@router.post("/death", response=DRAFT_RESPONSES)
def record_death(request: HttpRequest, payload: DeathIn) -> Status[object]:
    """Enter a 死亡 as a draft; the date may be one of the 不詳 patterns."""
    died = parse_date_input(payload.death_date, field_kind=DateFieldKind.EVENT_DEATH, field="death_date")
    draft = death.record_death(
        actor=request.user,
        purpose=payload.purpose,
        death=death.Death(
            atena_number=payload.atena_number,
            death_date=died.value,
            notification_date=payload.notification_date,
            informant=payload.informant,
            honseki=payload.honseki,
            hittousha=payload.hittousha,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft, *died.alerts)


@router.post("/honseki-candidates", response={200: honseki_candidates.HonsekiCandidates, **ERRORS})
def list_honseki_candidates(request: HttpRequest, payload: HonsekiCandidatesIn) -> Status[object]:
    """The 本籍・筆頭者 to pick on any entry that takes a 本籍: the household's, the addresses and old
    町字 names (standard 4.0.6-a; audited; only with the 本籍 grant, C-10: ``visible`` false and no
    candidates otherwise)."""
    query = honseki_candidates.CandidateQuery(**payload.dict(exclude={"purpose"}))
    return Status(
        200, honseki_candidates.honseki_candidates(actor=request.user, purpose=payload.purpose, query=query)
    )


@router.post("/birth", response=DRAFT_RESPONSES)
def record_birth(request: HttpRequest, payload: BirthIn) -> Status[object]:
    """Enter a 出生 as a draft; the child joins the given household."""
    facts, date_alerts = child_facts(payload.child)
    draft = birth.record_birth(
        actor=request.user,
        purpose=payload.purpose,
        birth=birth.Birth(
            child=facts,
            household_number=payload.household_number,
            notification_date=payload.notification_date,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft, *date_alerts)
