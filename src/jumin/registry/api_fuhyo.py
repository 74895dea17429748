"""JSON API of the 戸籍附票記載事項通知 (Django Ninja), mounted at /api/registry/fuhyo-notices.

``/list``: the local 戸籍附票 system reads its notices (``state`` local), clerks the 送信待ち (waiting)
and the sent ones; ``/send``: a clerk sends a waiting notice once the 本籍地 is known. Thin like
jumin.registry.api; purposes and personal data travel in bodies, never URLs.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jumin.registry import fuhyo_notices
from jumin.registry.api_common import ERRORS

router = Router(tags=["戸籍附票記載事項通知"])


class ListIn(Schema):
    purpose: str
    state: str = "local"
    limit: int = 200


class SendIn(Schema):
    purpose: str
    notice_id: int
    destination_code: str = ""


@router.post("/list", response={200: list[fuhyo_notices.NoticeSummary], **ERRORS})
def list_notices(request: HttpRequest, payload: ListIn) -> Status[object]:
    """The notices of one list (local, waiting or sent), newest first; audited."""
    return Status(
        200,
        fuhyo_notices.notices(
            actor=request.user, purpose=payload.purpose, state=payload.state, limit=payload.limit
        ),
    )


@router.post("/send", response={200: fuhyo_notices.NoticeSummary, **ERRORS})
def send_waiting(request: HttpRequest, payload: SendIn) -> Status[object]:
    """Send one waiting notice to the 本籍地 entered (or the one stored); refused if it cannot leave."""
    return Status(
        200,
        fuhyo_notices.send_waiting(
            actor=request.user,
            purpose=payload.purpose,
            notice_id=payload.notice_id,
            destination_code=payload.destination_code,
        ),
    )
