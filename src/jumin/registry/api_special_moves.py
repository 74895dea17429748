"""JSON API of 特例転入 and the 転入通知 import (Django Ninja), mounted at /api/registry/special-moves.

Thin: parse, call one workflow, return (docs/jukinet.md Flow 7). The card check itself is a CS
function (統合端末 menu 7, ``/api/jukinet/cs`` and ``/jukinet/cs/move-out-certificates/``). The 住民票コード
travels in bodies only; the 個人番号 is never sent back: the held data supplies it to the draft.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import services
from jumin.registry.api import AddressIn, PersonIn, UnreportedIn, _person
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, AlertOut, draft_created
from jumin.registry.workflows import special_moves
from jumin.registry.workflows.unreported_move_in import UnreportedMoveIn

router = Router(tags=["住民記録（特例転入）"])


class StartIn(Schema):
    purpose: str
    resident_code: str


class StartOut(Schema):
    """The starting data of the 転入 (editable), without the 個人番号."""

    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str
    kana_confirmed: bool
    birth_date: str
    sex: str
    relationship: str
    honseki: str
    hittousha: str
    juminhyo_code: str
    previous_address: str
    planned_date: str
    destination: str
    # A foreign resident (kind "F"): the 30条の45 items and the 通称; None and "" for a Japanese resident.
    kind: str
    foreign: dict[str, str] | None
    alias: str
    alias_kana: str
    # 再転入 (std 4.1.1.2-b): the former 宛名番号 ("" for a first 転入) and what the clerk must confirm.
    returning_atena_number: str
    alerts: list[AlertOut]


class SpecialMoveInIn(Schema):
    purpose: str
    members: list[PersonIn]
    address: AddressIn
    move_in_date: str
    notification_date: date
    previous_address: str
    household_number: str | None = None
    # 未届転入 (standard 4.1.1.4-a): previous_address stays the 転出証明書情報's address.
    unreported: UnreportedIn | None = None


class PurposeIn(Schema):
    purpose: str


class ImportOut(Schema):
    change_ids: list[int]
    left: list[tuple[int, str]]
    duplicates: list[tuple[int, str]]


class FailedNoticeOut(Schema):
    notice_id: int
    received_at: str
    resident_code: str  # masked unless the 住民票コード is visible to the user (C-10)
    name: str
    move_in_date: str
    notice_date: str
    new_address: str
    corrected_address: str
    reason: str


class RetryIn(Schema):
    purpose: str
    notice_id: int
    corrected_address: str = ""


@router.post("/start", response={200: StartOut, **ERRORS})
def start(request: HttpRequest, payload: StartIn) -> Status[object]:
    """The held 転出証明書情報 of a card-checked person as the 転入's starting data."""
    begun = special_moves.special_move_in_start(
        actor=request.user, purpose=payload.purpose, resident_code=payload.resident_code
    )
    facts = begun.facts
    return Status(
        200,
        StartOut(
            surname=facts.surname,
            given_name=facts.given_name,
            surname_kana=facts.surname_kana,
            given_name_kana=facts.given_name_kana,
            kana_confirmed=facts.kana_confirmed,
            birth_date=begun.birth_date.isoformat(),
            sex=str(facts.sex),
            relationship=facts.relationship.text,
            honseki=facts.honseki,
            hittousha=facts.hittousha,
            juminhyo_code=facts.juminhyo_code,
            previous_address=begun.previous_address,
            planned_date=begun.planned_date.isoformat(),
            destination=begun.destination,
            kind=str(facts.kind),
            foreign=dataclasses.asdict(facts.foreign) if facts.foreign else None,
            alias=facts.alias,
            alias_kana=facts.alias_kana,
            returning_atena_number=begun.returning_atena_number,
            alerts=[AlertOut(**dataclasses.asdict(alert)) for alert in begun.alerts],
        ),
    )


@router.post("/move-ins", response=DRAFT_RESPONSES)
def record(request: HttpRequest, payload: SpecialMoveInIn) -> Status[object]:
    """Enter a 特例転入 as a draft (特例転入サイン); another clerk commits it."""
    moved = parse_date_input(
        payload.move_in_date, field_kind=DateFieldKind.BECAME_RESIDENT, field="move_in_date"
    )
    move_in = services.MoveIn(
        members=[_person(member, i) for i, member in enumerate(payload.members)],
        address=services.Address(**payload.address.dict()),
        move_in_date=moved.value,
        notification_date=payload.notification_date,
        previous_address=payload.previous_address,
        household_number=payload.household_number,
        unreported=UnreportedMoveIn(**payload.unreported.dict()) if payload.unreported else None,
    )
    draft = special_moves.record_special_move_in(actor=request.user, purpose=payload.purpose, move_in=move_in)
    return draft_created(draft, *moved.alerts)


@router.post("/move-in-notices/import", response={200: ImportOut, **ERRORS})
def import_notices(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """Take the 転入通知 received through the CS in as 転出確定 drafts."""
    result = special_moves.import_move_in_notices(actor=request.user, purpose=payload.purpose)
    return Status(
        200,
        ImportOut(
            change_ids=[draft.change_id for draft in result.drafts],
            left=list(result.left),
            duplicates=list(result.duplicates),
        ),
    )


@router.post("/move-in-notices/errors", response={200: list[FailedNoticeOut], **ERRORS})
def import_errors(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """The 取込エラー一覧: received 転入通知 the import left, with the reason (audited per person)."""
    rows = special_moves.move_in_notice_errors(actor=request.user, purpose=payload.purpose)
    return Status(200, [FailedNoticeOut(**dataclasses.asdict(row)) for row in rows])


@router.post("/move-in-notices/retry", response=DRAFT_RESPONSES)
def retry_notice(request: HttpRequest, payload: RetryIn) -> Status[object]:
    """Retry one notice of the 取込エラー一覧, with a corrected 転入先住所 when it was garbled or too long."""
    draft = special_moves.retry_move_in_notice(
        actor=request.user,
        purpose=payload.purpose,
        notice_id=payload.notice_id,
        corrected_address=payload.corrected_address,
    )
    return draft_created(draft)
