"""JSON API of 電子申請 (引越しワンストップ 転出届, std 7.2.5-a), mounted at /api/registry/e-applications.

``/pending`` (the applications waiting for a clerk, audited with the people listed), ``/draft`` (enter
one's 転出 as a draft) and ``/refuse`` (not accepted, with the reason). Thin like jumin.registry.api:
purposes and 受付番号 travel in bodies, never URLs. Applications arrive from the national node as a
signed query (QUERY_E_APPLICATION), not through this API.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jumin.registry import e_applications
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, draft_created

router = Router(tags=["電子申請（引越しワンストップの転出届）"])


class PurposeIn(Schema):
    purpose: str


class ApplicationIn(Schema):
    purpose: str
    receipt_number: str


class RefusalIn(ApplicationIn):
    reason: str


@router.post("/pending", response={200: list[e_applications.PendingApplication], **ERRORS})
def pending(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """The applications no clerk has decided yet (or whose draft was discarded), oldest first."""
    return Status(200, e_applications.pending_applications(actor=request.user, purpose=payload.purpose))


@router.post("/draft", response=DRAFT_RESPONSES)
def draft(request: HttpRequest, payload: ApplicationIn) -> Status[object]:
    """Enter the application's 転出 as a draft for another clerk to review and commit."""
    return draft_created(
        e_applications.draft_move_out(
            actor=request.user, purpose=payload.purpose, receipt_number=payload.receipt_number
        )
    )


@router.post("/refuse", response={204: None, **ERRORS})
def refuse(request: HttpRequest, payload: RefusalIn) -> Status[object]:
    """Record that the application is not accepted, with the reason."""
    e_applications.refuse_application(
        actor=request.user,
        purpose=payload.purpose,
        receipt_number=payload.receipt_number,
        reason=payload.reason,
    )
    return Status(204, None)
