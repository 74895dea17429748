"""JSON API of the 住基ネット 都道府県サーバ (thin: services and selectors only).

AccessRefused answers 403 and DomainError 400 with field, reason and remedy (the API's handlers).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from jumin.jukinet.prefecture import statistics
from jumin.jukinet.prefecture.fuhyo_search import FuhyoKey, search_fuhyo

router = Router(tags=["住基ネット 都道府県サーバ"])


class MonthlyCountsOut(Schema):
    municipality_code: str
    month: int
    kind: str
    received: int
    accepted: int
    refused: int


class RefusedUpdateOut(Schema):
    received_at: datetime
    kind: str
    sender: str
    subject: str
    update_seq: int
    change_reason: str
    code: str
    reason: str
    replied: bool


class MonitorOut(Schema):
    day: str
    today: list[tuple[str, int, int]]
    waiting_for_national: int
    refused: list[RefusedUpdateOut]


class RefusedOut(Schema):
    message: str


class ErrorOut(Schema):
    field: str
    reason: str
    remedy: str
    code: str


@router.get("/statistics", response={200: list[MonthlyCountsOut], 400: ErrorOut, 403: RefusedOut})
def update_statistics(request: HttpRequest, year: int) -> list[dict[str, object]]:
    """Updates received, accepted and refused per municipality and month (``prefecture:statistics``)."""
    return [
        {
            "municipality_code": row.municipality_code,
            "month": row.month,
            "kind": row.kind,
            "received": row.received,
            "accepted": row.accepted,
            "refused": row.refused,
        }
        for row in statistics.view_statistics(year, actor=request.user)
    ]


@router.get("/monitor", response={200: MonitorOut, 403: RefusedOut})
def monitor(request: HttpRequest) -> dict[str, object]:
    """Today's counts and the latest refused updates (permission ``prefecture:monitor``; no personal data)."""
    status = statistics.monitor_status(actor=request.user)
    return {
        "day": status.day.isoformat(),
        "today": status.today,
        "waiting_for_national": status.waiting_for_national,
        "refused": [
            {
                "received_at": item.received_at,
                "kind": item.kind,
                "sender": f"{item.sender_kind}:{item.sender_code}",
                "subject": item.subject_key,
                "update_seq": item.update_seq,
                "change_reason": item.change_reason,
                "code": item.code,
                "reason": item.reason,
                "replied": bool(item.reply_message_id),
            }
            for item in status.refused
        ],
    }


class FuhyoSearchIn(Schema):
    """附票の検索: ``by`` is ``resident_code`` or ``four_items``; unused keys are left empty."""

    purpose: str
    by: str
    resident_code: str = ""
    name: str = ""
    name_kana: str = ""
    birth_date: str = ""
    sex: str = ""
    address: str = ""
    include_deleted: bool = False
    ask_national: bool = False


class FuhyoSearchOut(Schema):
    records: list[dict[str, Any]]
    answered_by: str
    truncated: bool


@router.post("/fuhyo/search", response={200: FuhyoSearchOut, 400: ErrorOut, 403: RefusedOut})
def fuhyo_search(request: HttpRequest, body: FuhyoSearchIn) -> dict[str, Any]:
    """附票の検索 in this prefecture's file, and on request the 照会 to the 附票全国サーバ when nobody is
    found here (``prefecture:fuhyo:view``; keys in the body, never in the URL)."""
    fields = body.dict()
    purpose, ask_national = fields.pop("purpose"), fields.pop("ask_national")
    result = search_fuhyo(
        actor=request.user, purpose=purpose, key=FuhyoKey(**fields), ask_national=ask_national
    )
    return dataclasses.asdict(result)
