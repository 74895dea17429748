"""JSON API of the review, 転入通知 and outbox (Django Ninja), mounted at /api/registry/review.

Thin: parse, call one service or selector, return. Change numbers and 宛名番号 travel in bodies
(the pending list takes only filters that are not personal data as query parameters). Alerts are
acknowledged by code (``acknowledged_alerts``), as everywhere in the registry.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jumin.registry import bulk, locks, outbox, selectors_review
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, RefusedOut
from jumin.registry.workflows import move_in_notice

router = Router(tags=["住民記録（確認・本登録・転入通知・連携イベント）"])


class PendingFilterIn(Schema):
    reason: str = ""
    made_by: str = ""
    made_from: date | None = None
    made_to: date | None = None
    terminal_id: str = ""


class SelectionIn(Schema):
    purpose: str
    change_ids: list[int]
    acknowledged_alerts: list[str] = Field(default_factory=list)


class ItemChangeOut(Schema):
    label: str
    before: str
    after: str


class AlertOut(Schema):
    field: str
    message: str
    code: str


class PersonPreviewOut(Schema):
    atena_number: str
    name: str
    is_new: bool
    changes: list[ItemChangeOut]


class ChangePreviewOut(Schema):
    change_id: int
    reason: str
    change_date: str
    made_by: str
    people: list[PersonPreviewOut]
    alerts: list[AlertOut]
    blocked: bool
    stale: bool


class OutcomeOut(Schema):
    change_id: int
    committed: bool
    code: str
    message: str


class BulkOut(Schema):
    committed: int
    refused: int
    outcomes: list[OutcomeOut]


class PurposeIn(Schema):
    purpose: str


class LockReleaseIn(Schema):
    purpose: str
    reason: str


class MoveInNoticeIn(Schema):
    purpose: str
    atena_numbers: list[str]
    notice_date: date
    move_in_date: date
    destination: str
    notification_kind: str = "届出"


class MissingIn(Schema):
    purpose: str
    days: int | None = None


class EventsIn(Schema):
    purpose: str
    change_id: int | None = None
    limit: int = 200


@router.get("/pending", response={200: list[selectors_review.PendingDraft], 403: RefusedOut})
def pending(request: HttpRequest, filters: Query[PendingFilterIn]) -> Status[object]:
    """確認待ち一覧 with filters (no names: not personal data)."""
    return Status(
        200,
        selectors_review.pending_drafts(
            actor=request.user, filters=selectors_review.PendingFilter(**filters.dict())
        ),
    )


class MoversIn(Schema):
    purpose: str
    atena_numbers: list[str]


@router.post("/pending/by-mover", response={200: list[selectors_review.PendingDraft], **ERRORS})
def pending_by_mover(request: HttpRequest, payload: MoversIn) -> Status[object]:
    """確認待ち一覧 of the drafts changing any of these people (standard 4.0.8-c); POST, audited."""
    return Status(
        200,
        selectors_review.pending_drafts(
            actor=request.user, movers=payload.atena_numbers, purpose=payload.purpose
        ),
    )


@router.post("/confirmation", response={200: list[ChangePreviewOut], **ERRORS})
def confirmation(request: HttpRequest, payload: SelectionIn) -> Status[object]:
    """確認画面: before/after per person of each selected draft, and the alerts to acknowledge."""
    return Status(
        200,
        selectors_review.confirmation(
            actor=request.user, purpose=payload.purpose, change_ids=payload.change_ids
        ),
    )


@router.post("/bulk-commit", response={200: BulkOut, **ERRORS})
def bulk_commit(request: HttpRequest, payload: SelectionIn) -> Status[object]:
    """一括本登録, each draft in its own transaction; the outcome per draft."""
    result = bulk.commit_drafts(
        actor=request.user,
        purpose=payload.purpose,
        change_ids=payload.change_ids,
        acknowledged_alerts=payload.acknowledged_alerts,
    )
    return Status(
        200,
        {
            "committed": result.committed,
            "refused": result.refused,
            "outcomes": [o.__dict__ for o in result.outcomes],
        },
    )


@router.post("/locks", response={200: list[locks.LockSummary], **ERRORS})
def open_locks(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """Open 排他ロック, oldest first (reviewers)."""
    return Status(200, locks.open_locks(actor=request.user, purpose=payload.purpose))


@router.post("/locks/{lock_id}/release", response={204: None, **ERRORS})
def release_lock(request: HttpRequest, lock_id: int, payload: LockReleaseIn) -> Status[None]:
    """Release a stale lock, with the reason (audited); the draft stays."""
    locks.release_stale_lock(
        actor=request.user, purpose=payload.purpose, lock_id=lock_id, reason=payload.reason
    )
    return Status(204, None)


@router.post("/move-in-notices", response=DRAFT_RESPONSES)
def record_move_in_notice(request: HttpRequest, payload: MoveInNoticeIn) -> Status[object]:
    """転入通知の受理（転出確定）as a draft; another clerk commits it."""
    draft = move_in_notice.record_move_in_notice(
        actor=request.user,
        purpose=payload.purpose,
        notice=move_in_notice.MoveInNotice(
            atena_numbers=payload.atena_numbers,
            notice_date=payload.notice_date,
            move_in_date=payload.move_in_date,
            destination=payload.destination,
            notification_kind=payload.notification_kind,
        ),
    )
    return Status(
        201,
        {
            "change_id": draft.change_id,
            "atena_numbers": list(draft.atena_numbers),
            "household_number": draft.household_number,
            "alerts": [],
        },
    )


@router.post(
    "/move-in-notices/missing",
    response={200: list[move_in_notice.MissingNotice], **ERRORS},
)
def missing_notices(request: HttpRequest, payload: MissingIn) -> Status[object]:
    """転入通知未着者一覧 (audited)."""
    return Status(
        200, move_in_notice.missing_notices(actor=request.user, purpose=payload.purpose, days=payload.days)
    )


@router.post("/events", response={200: list[outbox.EventSummary], 403: RefusedOut})
def events(request: HttpRequest, payload: EventsIn) -> Status[object]:
    """The outbox, newest first (identifiers only; audited)."""
    return Status(
        200,
        outbox.recent_events(
            actor=request.user, purpose=payload.purpose, limit=payload.limit, change_id=payload.change_id
        ),
    )
