"""One member row of a registry entry form as PersonFacts (the 転入, 特例転入 and correction screens, and
the imported 届出 rows of ``notification_imports``). Parsing only: the domain checks the facts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jumin.domain.eras import Calendar
from jumin.domain.relationship_proof import RelationshipProof
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import (
    ForeignResidentItems,
    PersonFacts,
    ResidentKind,
    Sex,
    parse_former_alien_registration_date,
)
from jumin.domain.wareki import DateFieldKind, parse_date_input


def relationship_proof_from(data: Mapping[str, object]) -> RelationshipProof | None:
    """The proof entered on a form with RelationshipProofFields (checked by the workflow), or None."""
    kind = str(data.get("relationship_proof_kind") or "")
    reference = str(data.get("relationship_proof_reference") or "")
    return RelationshipProof(kind=kind, reference=reference) if kind or reference else None


def member_facts(data: Mapping[str, Any], index: int, *, prefix: str | None = None) -> PersonFacts:
    """The PersonFacts of one member row of a 転入 or correction form (``index`` names its fields).

    Errors name the field ``form-{index}-{name}`` (the screen's own name) unless ``prefix`` is given
    (``members[{index}].`` for an imported file, whose rows are named by the caller)."""
    start = f"form-{index}-" if prefix is None else prefix
    foreign = data["kind"] == ResidentKind.FOREIGN
    birth = parse_date_input(
        data["birth_date"],
        field_kind=DateFieldKind.BIRTH,
        calendar=Calendar.GREGORIAN if foreign else Calendar.WAREKI,
        field=f"{start}birth_date",
    )
    items = None
    if foreign:
        items = ForeignResidentItems(
            nationality_code=data["nationality_code"],
            category=data["foreign_category"],
            residence_status=data["residence_status"],
            period_of_stay=data["period_of_stay"],
            stay_expiry_date=data["stay_expiry_date"],
            residence_card_number=data["residence_card_number"],
            special_permanent_resident_number=data.get("special_permanent_resident_number", ""),
            alphabet_name=data.get("alphabet_name", ""),
            landing_period=data.get("landing_period", ""),
            provisional_stay_period=data.get("provisional_stay_period", ""),
            transitional_reason=data.get("transitional_reason", ""),
        )
    return PersonFacts(
        kind=ResidentKind(data["kind"]),
        surname=data["surname"],
        given_name=data["given_name"],
        surname_kana=data["surname_kana"],
        given_name_kana=data["given_name_kana"],
        birth_date=birth.value,
        sex=Sex(data["sex"]),
        relationship=parse_relationship(data["relationship"], field=f"{start}relationship"),
        honseki=data["honseki"],
        hittousha=data["hittousha"],
        alias=data.get("alias", ""),
        alias_kana=data.get("alias_kana", ""),
        former_surname=data.get("former_surname", ""),
        former_surname_kana=data.get("former_surname_kana", ""),
        kana_confirmed=bool(data.get("kana_confirmed")),
        former_surname_kana_confirmed=bool(data.get("former_surname_kana_confirmed")),
        alias_kana_confirmed=bool(data.get("alias_kana_confirmed")),
        relationship_proof=relationship_proof_from(data),
        foreign=items,
        juminhyo_code=data.get("juminhyo_code", ""),
        former_alien_registration_date=parse_former_alien_registration_date(
            data.get("former_alien_registration_date", ""),
            field=f"{start}former_alien_registration_date",
        ),
    )
