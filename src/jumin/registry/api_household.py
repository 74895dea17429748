"""JSON API of 転居 and 世帯変更 (mounted at /api/registry/household). Thin: parse, call one service.

宛名番号 and 世帯番号 travel in request bodies, never in URLs.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from jumin.registry.api import AddressIn
from jumin.registry.api_common import DRAFT_RESPONSES, draft_created
from jumin.registry.services import Address
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.move_within import MoveWithin, record_move_within

router = Router(tags=["住民記録"])


class MoveWithinIn(Schema):
    purpose: str
    movers: list[str]
    address: AddressIn
    move_date: date
    notification_date: date
    household_number: str | None = None
    relationships: dict[str, str] = Field(default_factory=dict)


class HouseholdChangeIn(Schema):
    purpose: str
    kind: HouseholdChangeKind
    household_number: str
    change_date: date
    notification_date: date
    relationships: dict[str, str] = Field(default_factory=dict)
    members: list[str] = Field(default_factory=list)
    target_household_number: str | None = None
    de_facto_head: str = ""


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
        members=payload.members,
        target_household_number=payload.target_household_number or None,
        de_facto_head=payload.de_facto_head,
    )
    return draft_created(record_household_change(actor=request.user, purpose=payload.purpose, change=change))
