"""JSON API of the CS renewal-target match and the 居所 送付先 (std 7.1.1.4-a): /api/registry/renewal-targets.

Thin like jumin.registry.api: parse, call one service, return. The person travels in the body.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema

from jumin.registry import renewal_targets, sending_places
from jumin.registry.api_common import ERRORS

router = Router(tags=["住民記録（送付先情報・更新対象者）"])


class MatchIn(Schema):
    purpose: str
    expiring_by: date


class LineOut(Schema):
    kind: str
    atena_number: str
    name: str
    resident_code: str
    valid_until: str
    registry_expiry: str
    mail_postal_code: str
    mail_address: str
    by_sending_place: bool
    note: str


class PlaceIn(Schema):
    purpose: str
    atena_number: str
    postal_code: str = ""
    address: str = ""
    addressee: str = ""


class PlaceOut(Schema):
    postal_code: str
    address: str
    addressee: str


@router.post("/match", response={200: list[LineOut], **ERRORS})
def match(request: HttpRequest, payload: MatchIn) -> list[renewal_targets.RenewalLine]:
    """The CS renewal-target list (cards expiring on or before the day) matched with the registry."""
    return renewal_targets.match_renewal_targets(
        actor=request.user, purpose=payload.purpose, expiring_by=payload.expiring_by
    )


@router.post("/sending-place", response={200: PlaceOut, **ERRORS})
def record_place(request: HttpRequest, payload: PlaceIn) -> dict[str, str]:
    """Record a person's 居所 as the 送付先 of the notices (all empty: the 住所 again)."""
    place = sending_places.record_sending_place(
        actor=request.user,
        purpose=payload.purpose,
        atena_number=payload.atena_number,
        postal_code=payload.postal_code,
        address=payload.address,
        addressee=payload.addressee,
    )
    if place is None:
        return {"postal_code": "", "address": "", "addressee": ""}
    return dataclasses.asdict(place)
