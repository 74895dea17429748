"""JSON API of the exchange with 出入国在留管理庁 (Django Ninja), mounted at /api/registry/immigration
(standard 4.5.6-a/b, 4.5.7-a/b; docs/workflows/immigration-notices.md, immigration-link.md).

Received 法30条の50 notices: ``/received/receive`` (store a file, import automatically what the
standard allows), ``/received/list``, ``/received/sheet`` (the 確認票 of a pending one) and
``/received/import`` (manual import). 市町村通知: ``/outgoing/list`` (the target list),
``/outgoing/export`` (the file of the notices due), ``/outgoing/resend``, ``/outgoing/send-online`` and
``/outgoing/resend-online`` (through the 入管連携端末, M10) and ``/outgoing/results``.
Thin like jumin.registry.api; purposes, files and personal data travel in bodies, never URLs.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from jumin.registry import immigration_online, immigration_sending
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, draft_created
from jumin.registry.workflows import immigration_notices, immigration_receipts

router = Router(tags=["出入国在留管理庁との連携（法30条の50通知・市町村通知）"])


class FileIn(Schema):
    purpose: str
    content: str


class ReceiveIn(FileIn):
    auto_import: bool = True


class ListIn(Schema):
    purpose: str
    state: str
    limit: int = 500


class NoticeIn(Schema):
    purpose: str
    notice_id: str
    acknowledged_alerts: list[str] = Field(default_factory=list)


class ResendIn(Schema):
    purpose: str
    sequence_nos: list[int]


@router.post("/received/receive", response={200: immigration_receipts.ReceiptReport, **ERRORS})
def receive(request: HttpRequest, payload: ReceiveIn) -> Status[object]:
    """Store a received notice file; with ``auto_import`` the importable notices become drafts."""
    return Status(
        200,
        immigration_receipts.receive_immigration_notices(
            actor=request.user,
            purpose=payload.purpose,
            content=payload.content,
            auto_import=payload.auto_import,
        ),
    )


@router.post("/received/list", response={200: list[immigration_receipts.ReceivedNoticeRow], **ERRORS})
def received_list(request: HttpRequest, payload: ListIn) -> Status[object]:
    """The stored notices: pending, imported, skipped or all; audited."""
    return Status(
        200,
        immigration_receipts.received_notices(
            actor=request.user, purpose=payload.purpose, state=payload.state, limit=payload.limit
        ),
    )


@router.post(
    "/received/sheet",
    response={200: immigration_notices.MatchedNotice | immigration_notices.UnmatchedNotice, **ERRORS},
)
def received_sheet(request: HttpRequest, payload: NoticeIn) -> Status[object]:
    """The 確認票 of one pending notice, or why it cannot be imported now."""
    return Status(
        200,
        immigration_receipts.received_notice_sheet(
            actor=request.user, purpose=payload.purpose, notice_id=payload.notice_id
        ),
    )


@router.post("/received/import", response=DRAFT_RESPONSES)
def received_import(request: HttpRequest, payload: NoticeIn) -> Status[object]:
    """Manual import of one pending notice as a draft (its alerts acknowledged)."""
    return draft_created(
        immigration_receipts.import_received_notice(
            actor=request.user,
            purpose=payload.purpose,
            notice_id=payload.notice_id,
            acknowledged_alerts=payload.acknowledged_alerts,
        )
    )


@router.post("/outgoing/list", response={200: list[immigration_sending.NoticeRow], **ERRORS})
def outgoing_list(request: HttpRequest, payload: ListIn) -> Status[object]:
    """The 市町村通知 target list: waiting, due, sent or error; audited."""
    return Status(
        200,
        immigration_sending.municipality_notices(
            actor=request.user, purpose=payload.purpose, state=payload.state, limit=payload.limit
        ),
    )


@router.post("/outgoing/export", response={200: immigration_sending.NoticeFile, **ERRORS})
def outgoing_export(request: HttpRequest, payload: ListIn) -> Status[object]:
    """The file of every notice due, in commit order, as a new batch (``state`` is ignored)."""
    return Status(200, immigration_sending.export_due(actor=request.user, purpose=payload.purpose))


@router.post("/outgoing/resend", response={200: immigration_sending.NoticeFile, **ERRORS})
def outgoing_resend(request: HttpRequest, payload: ResendIn) -> Status[object]:
    """The file of chosen sent notices again, as a new batch."""
    return Status(
        200,
        immigration_sending.resend(
            actor=request.user, purpose=payload.purpose, sequence_nos=payload.sequence_nos
        ),
    )


@router.post("/outgoing/send-online", response={200: immigration_online.OnlineSend, **ERRORS})
def outgoing_send_online(request: HttpRequest, payload: ListIn) -> Status[object]:
    """Every notice due, in commit order, online through the 入管連携端末 (``state`` is ignored)."""
    return Status(200, immigration_online.send_due_online(actor=request.user, purpose=payload.purpose))


@router.post("/outgoing/resend-online", response={200: immigration_online.OnlineSend, **ERRORS})
def outgoing_resend_online(request: HttpRequest, payload: ResendIn) -> Status[object]:
    """Chosen sent notices again, online through the 入管連携端末."""
    return Status(
        200,
        immigration_online.resend_online(
            actor=request.user, purpose=payload.purpose, sequence_nos=payload.sequence_nos
        ),
    )


@router.post("/outgoing/results", response={200: immigration_sending.ResultImport, **ERRORS})
def outgoing_results(request: HttpRequest, payload: FileIn) -> Status[object]:
    """Record the agency's processing results (正常 / エラー per notice)."""
    return Status(
        200,
        immigration_sending.import_results(
            actor=request.user, purpose=payload.purpose, content=payload.content
        ),
    )
