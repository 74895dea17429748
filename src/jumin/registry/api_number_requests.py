"""JSON API of the 個人番号 requests sent to the CS (std 7.1.1.1-c): /api/registry/kojin-bango-requests.

Thin like jumin.registry.api: parse, call one service, return. Everything travels in the body; the
個人番号 appears in an answer only for a user holding 特定個人情報アクセス権限 and the field grant.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from jumin.registry import number_requests
from jumin.registry.api_common import ERRORS

router = Router(tags=["住民記録（個人番号の生成・変更要求）"])


class PurposeIn(Schema):
    purpose: str


class ListIn(Schema):
    purpose: str
    state: str = ""


class RequestIn(Schema):
    purpose: str
    request_id: int


class ResendIn(Schema):
    purpose: str
    request_id: int
    reason: str = ""


class EntryIn(Schema):
    purpose: str
    request_id: int
    individual_number: str


class StartIn(Schema):
    purpose: str
    reason: str


class ResentOut(Schema):
    change_id: int
    state: str


@router.post("/list", response={200: list[number_requests.RequestRow], **ERRORS})
def list_requests(request: HttpRequest, payload: ListIn) -> list[number_requests.RequestRow]:
    """The requests sent to the CS, newest first (state: answered, failed, manual, manual_entered)."""
    return number_requests.request_list(actor=request.user, purpose=payload.purpose, state=payload.state)


@router.post("/inquiry", response={200: number_requests.RequestRow, **ERRORS})
def inquire(request: HttpRequest, payload: RequestIn) -> number_requests.RequestRow:
    """One request (照会)."""
    return number_requests.inquire(actor=request.user, purpose=payload.purpose, request_id=payload.request_id)


@router.post("/resend", response={200: ResentOut, **ERRORS})
def resend(request: HttpRequest, payload: ResendIn) -> dict[str, object]:
    """Re-send a 送信エラー: its draft is committed again; a 変更要求 may change its reason (請求/職権)."""
    change = number_requests.resend(
        actor=request.user, purpose=payload.purpose, request_id=payload.request_id, reason=payload.reason
    )
    return {"change_id": change.pk, "state": change.state}


@router.post("/manual-entry", response={200: number_requests.RequestRow, **ERRORS})
def enter(request: HttpRequest, payload: EntryIn) -> number_requests.RequestRow:
    """Enter the 個人番号 the CS terminal shows for a 手動連携待ち request (check digit validated)."""
    return number_requests.enter_number(
        actor=request.user,
        purpose=payload.purpose,
        request_id=payload.request_id,
        number=payload.individual_number,
    )


@router.post("/manual-mode", response={200: number_requests.ManualMode, **ERRORS})
def mode(request: HttpRequest, payload: PurposeIn) -> number_requests.ManualMode:
    """Whether the manual-link mode is on, since when, by whom and why (no personal data)."""
    return number_requests.manual_mode()


@router.post("/manual-mode/start", response={200: number_requests.ManualMode, **ERRORS})
def start(request: HttpRequest, payload: StartIn) -> number_requests.ManualMode:
    """Switch to manual linking, with the reason (recorded with who and when)."""
    return number_requests.start_manual_mode(
        actor=request.user, purpose=payload.purpose, reason=payload.reason
    )


@router.post("/manual-mode/end", response={200: number_requests.Relinked, **ERRORS})
def end(request: HttpRequest, payload: PurposeIn) -> number_requests.Relinked:
    """End manual linking: every waiting request is sent and its number filled in."""
    return number_requests.end_manual_mode(actor=request.user, purpose=payload.purpose)
