"""Reads of the 宛名 system: the delivery's status for staff, and the 宛名連携 feed (standard 7.2.3-a).

The feed is the applied history (``AtenaHistory``), whose ids only grow: a delta is the rows after a
cursor, a full extract is each person's newest row up to a cursor, and both give the cursor to ask
from next time. So the full extract at t2 equals the full extract at t1 with the deltas between
applied in order (the newest row per 宛名番号 wins). Every extract is audited with its purpose, kind
and count in the transaction that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.atena import conf
from jumin.atena.feed import FeedRow
from jumin.atena.models import AtenaHistory, AtenaPerson, IntegratedNumber, SyncIssue, SyncState
from jumin.atena.services import ISSUES, STATE
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.registry import atena_source

DELTA_LIMIT = 10_000


@dataclass(frozen=True)
class IssueView:
    atena_number: str
    subject_seq: int
    code: str
    message: str
    remedy: str
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class SyncStatus:
    """What the status screen shows: where the delivery is, how far behind, and what it holds."""

    mode: str
    interval_minutes: int | None
    cursor: int
    last_applied_event_at: datetime | None
    last_applied_at: datetime | None
    last_run_at: datetime | None
    last_run_applied: int
    last_failure: str
    lag_seconds: int | None  # since the oldest event not applied yet, or None when none waits
    waiting: int
    persons: int
    integrated_numbers: int
    issues: tuple[IssueView, ...]


def sync_status(*, actor: Any, purpose: str) -> SyncStatus:
    """The delivery's status (no personal values: 宛名番号 and codes only); ``network:monitor``, audited."""
    authorize(
        actor=actor,
        permission=Permission.NETWORK_MONITOR,
        action=AuditAction.ATENA_STATUS_VIEW,
        purpose=purpose,
        subject_type="atena_sync",
    )
    with transaction.atomic():
        state = SyncState.objects.filter(name=STATE).first() or SyncState(name=STATE)
        waiting, oldest_waiting = atena_source.waiting_after(state.cursor)
        issues = tuple(
            IssueView(
                atena_number=issue.atena_number,
                subject_seq=issue.subject_seq,
                code=issue.code,
                message=ISSUES[issue.code].message,
                remedy=ISSUES[issue.code].remedy,
                first_seen_at=issue.first_seen_at,
                last_seen_at=issue.last_seen_at,
            )
            for issue in SyncIssue.objects.filter(resolved_at__isnull=True).order_by("first_seen_at", "pk")
        )
        oldest = min(
            [*([oldest_waiting] if oldest_waiting else []), *(i.first_seen_at for i in issues)], default=None
        )
        near = conf.delivery_mode() is conf.DeliveryMode.NEAR_REALTIME
        record_event(
            actor=actor,
            action=AuditAction.ATENA_STATUS_VIEW,
            subject_type="atena_sync",
            purpose=purpose,
            result_count=len(issues),
        )
        return SyncStatus(
            mode=conf.delivery_mode().value,
            interval_minutes=conf.interval_minutes() if near else None,
            cursor=state.cursor,
            last_applied_event_at=state.last_applied_event_at,
            last_applied_at=state.last_applied_at,
            last_run_at=state.last_run_at,
            last_run_applied=state.last_run_applied,
            last_failure=state.last_failure,
            lag_seconds=int((timezone.now() - oldest).total_seconds()) if oldest else None,
            waiting=waiting,
            persons=AtenaPerson.objects.count(),
            integrated_numbers=IntegratedNumber.objects.count(),
            issues=issues,
        )


@dataclass(frozen=True)
class FeedExtract:
    """Rows of one extract and the cursor to ask for the next delta from."""

    kind: str  # full / delta
    rows: tuple[FeedRow, ...]
    cursor: int
    complete: bool  # False: a delta stopped at DELTA_LIMIT rows; ask again from ``cursor``


def _feed_row(history: AtenaHistory) -> FeedRow:
    return FeedRow(
        feed_seq=history.pk,
        event_type=history.event_type,
        integrated_number=history.integrated_number,
        atena_number=history.person.atena_number,
        subject_seq=history.subject_seq,
        items=history.items,
        restrictions=tuple(history.restrictions),
    )


def _authorize_feed(actor: Any, purpose: str) -> None:
    authorize(
        actor=actor,
        permission=Permission.ATENA_FEED_EXTRACT,
        action=AuditAction.ATENA_FEED_EXTRACT,
        purpose=purpose,
        subject_type="atena_feed",
    )


def _audited(actor: Any, purpose: str, extract: FeedExtract, since: int | None) -> FeedExtract:
    record_event(
        actor=actor,
        action=AuditAction.ATENA_FEED_EXTRACT,
        subject_type="atena_feed",
        purpose=purpose,
        reason=f"{extract.kind} since {since} to {extract.cursor}" if since is not None else extract.kind,
        query_summary=extract.kind,
        result_count=len(extract.rows),
    )
    return extract


def full_extract(*, actor: Any, purpose: str, as_of: int | None = None) -> FeedExtract:
    """Each person's newest 宛名 values up to the cursor ``as_of`` (default: everything applied)."""
    _authorize_feed(actor, purpose)
    with transaction.atomic():
        upto = as_of if as_of is not None else AtenaHistory.objects.aggregate(last=Max("pk"))["last"] or 0
        newest = (
            AtenaHistory.objects.filter(pk__lte=upto)
            .values("person_id")
            .annotate(last=Max("pk"))
            .values_list("last", flat=True)
        )
        rows = tuple(
            _feed_row(h)
            for h in AtenaHistory.objects.filter(pk__in=newest).select_related("person").order_by("pk")
        )
        return _audited(actor, purpose, FeedExtract("full", rows, upto, True), None)


def delta_extract(*, actor: Any, purpose: str, since: int, limit: int = DELTA_LIMIT) -> FeedExtract:
    """The 宛名 values applied after the cursor ``since``, oldest first (a person may appear more than
    once: apply in order)."""
    _authorize_feed(actor, purpose)
    with transaction.atomic():
        query = AtenaHistory.objects.filter(pk__gt=since).select_related("person").order_by("pk")
        rows = tuple(_feed_row(h) for h in query[: limit + 1])
        complete = len(rows) <= limit
        rows = rows[:limit]
        cursor = rows[-1].feed_seq if rows else since
        return _audited(actor, purpose, FeedExtract("delta", rows, cursor, complete), since)
