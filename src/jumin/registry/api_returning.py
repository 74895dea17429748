"""JSON API of the 再転入 lookup on an ordinary 転入 (standard 4.1.1.2-b, 1.1.7-b), mounted at
/api/registry/returning. Thin: parse, call ``registry.returning``, return. Nothing is written: the
prefill is posted back, edited or not, as a member of ``POST /api/registry/move-ins`` with its
``returning_atena_number``. Identifiers travel in bodies only.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from jumin.domain.resident import Sex
from jumin.registry import returning
from jumin.registry.api import PersonIn
from jumin.registry.api_common import ERRORS

router = Router(tags=["住民記録（再転入）"])


class SearchIn(Schema):
    purpose: str
    juminhyo_code: str = ""
    name: str = ""
    name_kana: str = ""
    birth_date: date | None = None
    sex: Sex | None = None
    address: str = ""


class PrefillIn(Schema):
    purpose: str
    atena_number: str
    # Codes of the 照会 suppression alerts confirmed, one by one (standard 3.1-b, 11.1-b).
    acknowledged_alerts: list[str] = Field(default_factory=list)


class PrefillOut(PersonIn):
    """A member of ``POST /api/registry/move-ins`` (every item editable; ``juminhyo_code`` stays "": the
    draft keeps the 除票's). 本籍・筆頭者 are "" without the 本籍 grant (``honseki_hidden``), the 在留資格
    items "" without theirs (C-10)."""

    returning_atena_number: str
    previous_address: str
    honseki_hidden: bool
    left_for_abroad: bool


# The answer's items named as in PersonFacts, copied as they are.
_AS_IN_FACTS = (
    "kind",
    "surname",
    "given_name",
    "surname_kana",
    "given_name_kana",
    "kana_confirmed",
    "former_surname_kana_confirmed",
    "alias_kana_confirmed",
    "sex",
    "former_surname",
    "former_surname_kana",
    "alias",
    "alias_kana",
    "honseki",
    "hittousha",
)


@router.post("/search", response={200: list[returning.ReturningCandidate], **ERRORS})
def search_returning(request: HttpRequest, payload: SearchIn) -> Status[object]:
    """除票 matching 4情報 or a 住民票コード, for a 転入 entry (audited: each person listed)."""
    query = returning.ReturningQuery(**payload.dict(exclude={"purpose"}))
    return Status(200, returning.find_returning(actor=request.user, purpose=payload.purpose, query=query))


@router.post("/prefill", response={200: PrefillOut, **ERRORS})
def prefill_returning(request: HttpRequest, payload: PrefillIn) -> Status[object]:
    """One 除票's data as a 転入 member's starting data (audited as viewed)."""
    start = returning.returning_prefill(
        actor=request.user,
        purpose=payload.purpose,
        atena_number=payload.atena_number,
        acknowledged_alerts=tuple(payload.acknowledged_alerts),
    )
    facts = start.facts
    same_names = {name: getattr(facts, name) for name in _AS_IN_FACTS}
    return Status(
        200,
        {
            **same_names,
            "returning_atena_number": start.atena_number,
            "birth_date": start.birth_date_text,
            "relationship": facts.relationship.text,
            "foreign": returning.foreign_initial(facts),
            "previous_address": start.previous_address,
            "honseki_hidden": start.honseki_hidden,
            "left_for_abroad": start.left_for_abroad,
        },
    )
