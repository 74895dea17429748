"""JSON API of the メモ (standard 1.1.15-a; docs/workflows/memo.md). Thin: parse, call one service or
selector, return. The person travels in the request body, never in the URL."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jumin.registry import memos
from jumin.registry.api import ErrorOut, RefusedOut

router = Router(tags=["メモ"])

ERRORS = {400: ErrorOut, 403: RefusedOut}


class PurposeIn(Schema):
    purpose: str


class ListIn(PurposeIn):
    atena_number: str
    with_history: bool = False


class AddIn(PurposeIn):
    atena_number: str
    text: str


class TextIn(PurposeIn):
    text: str


class CreatedOut(Schema):
    id: int


class DoneOut(Schema):
    done: bool


@router.post("/list", response={200: list[memos.MemoView], **ERRORS})
def list_memos(request: HttpRequest, payload: ListIn) -> Status[object]:
    """A person's memos, newest first; with ``with_history`` also deleted ones and every version (audited)."""
    return Status(
        200,
        memos.memos_of(
            actor=request.user,
            purpose=payload.purpose,
            atena_number=payload.atena_number,
            with_history=payload.with_history,
        ),
    )


@router.post("", response={200: CreatedOut, **ERRORS})
def add_memo(request: HttpRequest, payload: AddIn) -> Status[object]:
    """Add a memo about a person (never printed); audited with a digest of the text."""
    memo_id = memos.add_memo(
        actor=request.user, purpose=payload.purpose, atena_number=payload.atena_number, text=payload.text
    )
    return Status(200, {"id": memo_id})


@router.post("/{memo_id}/edit", response={200: DoneOut, **ERRORS})
def edit_memo(request: HttpRequest, memo_id: int, payload: TextIn) -> Status[object]:
    """Change a memo's text; the earlier text stays in its history."""
    memos.edit_memo(actor=request.user, purpose=payload.purpose, memo_id=memo_id, text=payload.text)
    return Status(200, {"done": True})


@router.post("/{memo_id}/delete", response={200: DoneOut, **ERRORS})
def delete_memo(request: HttpRequest, memo_id: int, payload: PurposeIn) -> Status[object]:
    """Delete a memo; its texts stay in its history."""
    memos.delete_memo(actor=request.user, purpose=payload.purpose, memo_id=memo_id)
    return Status(200, {"done": True})
