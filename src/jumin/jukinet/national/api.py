"""JSON API of the 住基ネット 全国サーバ・個人番号カード管理 (thin: services and selectors only).

* ``GET /api/jukinet/national/overview``: the same counts as the operator screen (``national:monitor``);
* ``POST /api/jukinet/national/cards/lookup``: one card by serial (``national:card:manage``); the serial
  travels in the body, never in the URL;
* ``POST /api/jukinet/national/fuhyo/lookup``: one person's 附票 (18 items) by 住民票コード
  (``national:fuhyo:view``), the code in the body.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from jumin.jukinet.national import exchanges, selectors

router = Router(tags=["住基ネット 全国サーバ・個人番号カード管理"])


class PrefectureCountOut(Schema):
    prefecture_code: str
    applied: int
    refused: int


class StatusCountOut(Schema):
    status: str
    label: str
    count: int


class OverviewOut(Schema):
    records_current: int
    records_removed: int
    history_rows: int
    resident_codes: int
    individual_numbers: int
    updates_today: list[PrefectureCountOut]
    cards: list[StatusCountOut]
    fuhyo_current: int
    fuhyo_deleted: int
    fuhyo_history_rows: int
    fuhyo_updates_today: list[PrefectureCountOut]


class RefusedOut(Schema):
    message: str


class ErrorOut(Schema):
    field: str
    reason: str
    remedy: str
    code: str


class CardLookupIn(Schema):
    serial: str


class ProvisionStatusIn(Schema):
    purpose: str
    resident_code: str


class CardEventOut(Schema):
    event: str
    event_date: str
    status_before: str
    status_after: str
    outcome: str
    refusal_code: str
    municipality_code: str
    recorded_at: str


class CardOut(Schema):
    serial: str
    status: str
    status_label: str
    issued_on: str
    valid_until: str
    issued_by: str
    events: list[CardEventOut]


@router.get("/overview", response={200: OverviewOut, 403: RefusedOut})
def overview(request: HttpRequest) -> dict[str, object]:
    """Counts of records, today's notices per prefecture and cards per status (``national:monitor``)."""
    return selectors.overview_for(request.user).as_dict()


@router.post("/cards/lookup", response={200: CardOut, 400: ErrorOut, 403: RefusedOut})
def card_lookup(request: HttpRequest, body: CardLookupIn) -> dict[str, object]:
    """One card's status and history by serial (``national:card:manage``; audited)."""
    return selectors.card_for(request.user, body.serial).as_dict()


class FuhyoLookupIn(Schema):
    resident_code: str


class FuhyoVersionOut(Schema):
    notice_type: str
    state: str
    fuhyo_municipality_code: str
    change_date: str
    sender_code: str
    received_at: str


class FuhyoOut(Schema):
    resident_code: str
    state: str
    items: dict[str, Any]
    sender_code: str
    received_at: str
    history: list[FuhyoVersionOut]


@router.post("/fuhyo/lookup", response={200: FuhyoOut, 400: ErrorOut, 403: RefusedOut})
def fuhyo_lookup(request: HttpRequest, body: FuhyoLookupIn) -> dict[str, object]:
    """One person's 機構保存附票本人確認情報 and its history (``national:fuhyo:view``; audited)."""
    return selectors.fuhyo_for(request.user, body.resident_code).as_dict()


@router.post("/provision-status", response={200: dict[str, Any], 400: ErrorOut, 403: RefusedOut})
def provision_status(request: HttpRequest, body: ProvisionStatusIn) -> dict[str, Any]:
    """本人確認情報の提供状況 of one person (``national:monitor``; the code in the body; audited)."""
    status = exchanges.provision_status(
        actor=request.user, purpose=body.purpose, resident_code=body.resident_code
    )
    return dataclasses.asdict(status)
