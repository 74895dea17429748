"""JSON API of 連携監視: the same data as the monitor screen (``GET /api/messaging/monitor``)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from jumin.messaging import selectors, services

router = Router(tags=["ノード間連携"])


class PeerQueuesOut(Schema):
    peer: str
    url: str
    configured: bool
    outbox_pending: int
    outbox_delivered: int
    outbox_poison: int
    outbox_retired: int
    oldest_pending_at: datetime | None
    inbox_held: int
    inbox_applied: int
    inbox_poison: int
    inbox_retired: int
    last_received_at: datetime | None
    consecutive_failures: int
    next_attempt_at: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str
    alert: bool


class SetAsideOut(Schema):
    direction: str
    peer: str
    message_id: str
    type: str
    seq: int
    attempts: int
    reason: str
    queue: str


class NetworkStatusOut(Schema):
    node: str
    peers: list[PeerQueuesOut]
    set_aside: list[SetAsideOut]


class RefusedOut(Schema):
    message: str


@router.get("/monitor", response={200: NetworkStatusOut, 403: RefusedOut})
def monitor(request: HttpRequest) -> dict[str, object]:
    """Queues per peer and the messages set aside (permission ``network:monitor``)."""
    return selectors.monitor_for(request.user).as_dict()


class ResolveIn(Schema):
    queue: str
    message_id: str
    action: str
    note: str


class ResolvedOut(Schema):
    message_id: str
    status: str


class ErrorOut(Schema):
    field: str
    reason: str
    remedy: str
    code: str


@router.post("/set-aside/resolve", response={200: ResolvedOut, 400: ErrorOut, 403: RefusedOut})
def resolve(request: HttpRequest, body: ResolveIn) -> dict[str, str]:
    """Re-queue or retire one set-aside message (permission ``network:operate``; audited).

    Bad input answers 400 with the field, the reason and the remedy; nothing changes.
    """
    status = services.resolve_set_aside(
        actor=request.user,
        direction=body.queue,
        message_id=body.message_id,
        action=body.action,
        note=body.note,
    )
    return {"message_id": body.message_id, "status": status}
