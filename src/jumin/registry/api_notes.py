"""JSON API of the 統合記載欄 (standard 1.1.14-a/b): the combined notes of a person, type-C remarks, and
the preset type-B texts. Thin: parse, call one service or selector, return. The person travels in the
request body, never in the URL."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from jumin.registry import combined_notes, preset_notes, remarks
from jumin.registry.api import ErrorOut, RefusedOut

router = Router(tags=["統合記載欄"])

ERRORS = {400: ErrorOut, 403: RefusedOut}


class NotesIn(Schema):
    purpose: str
    atena_number: str
    acknowledged_alerts: list[str] = Field(default_factory=list)


class RemarkIn(Schema):
    purpose: str
    atena_number: str
    text: str
    reason: str
    recorded_on: date | None = None  # default today


class WithdrawIn(Schema):
    purpose: str
    reason: str
    withdrawn_on: date | None = None  # default today


class PresetOut(Schema):
    reason: str
    text: str


class CreatedOut(Schema):
    id: int


class DoneOut(Schema):
    done: bool


@router.get("/presets", response=list[PresetOut])
def list_presets(request: HttpRequest, reason: str) -> list[dict[str, str]]:
    """The active preset 留意事項 of one 異動事由 (1.1.14-b); no personal data."""
    return [{"reason": r, "text": text} for r, text in preset_notes.preset_texts([reason])]


@router.post("/view", response={200: combined_notes.CombinedNotes, **ERRORS})
def view_notes(request: HttpRequest, payload: NotesIn) -> Status[object]:
    """A person's 統合記載欄: history (A), 留意事項 (B), 備考 (C) and 除票 items; audited as a 照会."""
    return Status(
        200,
        combined_notes.combined_notes(
            actor=request.user,
            purpose=payload.purpose,
            atena_number=payload.atena_number,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )


@router.post("/remarks", response={200: CreatedOut, **ERRORS})
def add_remark(request: HttpRequest, payload: RemarkIn) -> Status[object]:
    """Add a type-C remark (printed on certificates); audited with a digest of the text."""
    remark_id = remarks.add_remark(
        actor=request.user,
        purpose=payload.purpose,
        atena_number=payload.atena_number,
        text=payload.text,
        reason=payload.reason,
        recorded_on=payload.recorded_on or timezone.localdate(),
    )
    return Status(200, {"id": remark_id})


@router.post("/remarks/{remark_id}/withdraw", response={200: DoneOut, **ERRORS})
def withdraw_remark(request: HttpRequest, remark_id: int, payload: WithdrawIn) -> Status[object]:
    """End a remark; it stays in the history with its withdrawal."""
    remarks.withdraw_remark(
        actor=request.user,
        purpose=payload.purpose,
        remark_id=remark_id,
        reason=payload.reason,
        withdrawn_on=payload.withdrawn_on or timezone.localdate(),
    )
    return Status(200, {"done": True})
