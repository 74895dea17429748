"""Daily registry batch (standard 9.1; 1.1.5-a; 4.1.3.1.4-a): planned move-outs whose date has come.

A 転出 entered before its planned date leaves the person a 転出予定者 (status ``planned_move_out``;
algorithms.md G.1). Standard 1.1.5-a makes the record a 除票 on the earlier of the planned date and
the move-in date of the 転入通知; a 転入通知 received earlier already did that (move_in_notice.py),
so what is left on the day is: every 転出予定者 whose removal date has come becomes 除票 (status
``removed``), by one change per run whose rows are committed at once. That change decides nothing
new: the date was fixed by the 転出, itself reviewed (仮登録 → 本登録) by two clerks, so the batch
records the operator account as maker and reviewer (docs/workflows/daily-batch.md). A person with an
open draft of another clerk (edit lock, standard 10.3-d) is left for the next run and counted.

The follow-up list (``overdue_move_outs``) shows everyone whose planned move-out date has passed
without a 転入通知, so the clerk can chase it (転入通知未着照会, standard 4.1.3.1.4-a).
A run is recorded per day (``DailyBatchRun``, standard 9.1-d); a second run the same day does nothing
and answers with the first run's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry.direct_commits import commit_directly
from jumin.registry.models import Change, DailyBatchRun, Resident, ResidentSnapshot
from jumin.registry.models_review import ResidentLock
from jumin.registry.snapshots import draft_from_current

# Not a 異動事由 of its own (like 転出確定): the status change the 転出 fixed in advance.
PLANNED_DATE_REACHED_REASON = "転出予定日到来"
MOVE_OUT_REASONS = (ChangeReason.DOMESTIC_MOVE_OUT, ChangeReason.MOVE_OUT_ABROAD)


@dataclass(frozen=True)
class DailyBatchResult:
    """What one day's run did (or, when ``already_ran``, what the day's first run did)."""

    run_date: date
    already_ran: bool
    removed_count: int
    overdue_count: int
    change_id: int | None


@dataclass(frozen=True)
class OverdueMoveOut:
    """One person on the follow-up list: planned move-out date passed, no 転入通知 yet."""

    atena_number: str
    name: str
    planned_destination: str
    planned_date: str
    days_overdue: int
    status: str


def _overdue(day: date) -> Any:
    """Current rows of 転出 whose planned date has come and whose 転入通知 has not arrived."""
    return ResidentSnapshot.objects.filter(
        current_of__isnull=False,
        status__in=(ResidentStatus.PLANNED_MOVE_OUT, ResidentStatus.REMOVED),
        removal_reason__in=[str(reason) for reason in MOVE_OUT_REASONS],
        move_in_notice_date__isnull=True,
        removal_date__lte=day,
    )


def _result(run: DailyBatchRun, *, already_ran: bool) -> DailyBatchResult:
    return DailyBatchResult(
        run_date=run.run_date,
        already_ran=already_ran,
        removed_count=run.removed_count,
        overdue_count=run.overdue_count,
        change_id=run.change_id,
    )


def _remove_due(actor: Any, day: date) -> tuple[Change | None, int]:
    """Make every unlocked 転出予定者 whose removal date has come a 除票; returns the change and how
    many were left for the next run because another clerk's draft holds them."""
    due = list(
        Resident.objects.select_for_update()
        .filter(current__status=ResidentStatus.PLANNED_MOVE_OUT, current__removal_date__lte=day)
        .select_related("current")
        .order_by("pk")
    )
    locked = set(
        ResidentLock.objects.filter(resident__in=due, released_at__isnull=True).values_list(
            "resident_id", flat=True
        )
    )
    # removal_date <= day is G.1's "removed from the removal date on" (domain.moveout.status_on).
    ready = [r for r in due if r.pk not in locked]
    if not ready:
        return None, len(locked)
    now = timezone.now()
    change = Change.objects.create(
        reason=PLANNED_DATE_REACHED_REASON,
        change_date=day,
        notification_kind="自動",
        made_by=actor,
        made_at=now,
    )
    rows = [
        (resident, draft_from_current(resident, resident.current, change, status=ResidentStatus.REMOVED))
        for resident in ready
        if resident.current is not None
    ]
    commit_directly(change, rows, actor=actor)
    return change, len(locked)


def run_daily_batch(*, actor: Any, purpose: str, today: date | None = None) -> DailyBatchResult:
    """Run the day's registry batch once (idempotent per day; audited with its counts)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_BATCH_RUN,
        action=AuditAction.RESIDENT_DAILY_BATCH_RUN,
        purpose=purpose,
        subject_type="batch",
    )
    day = today or timezone.localdate()
    with transaction.atomic():
        earlier = DailyBatchRun.objects.select_for_update().filter(run_date=day).first()
        if earlier is not None:
            record_event(
                actor=actor,
                action=AuditAction.RESIDENT_DAILY_BATCH_RUN,
                subject_type="batch",
                subject_id=day.isoformat(),
                purpose=purpose,
                reason="already_ran",
            )
            return _result(earlier, already_ran=True)
        started = timezone.now()
        change, left_locked = _remove_due(actor, day)
        removed = change.snapshots.count() if change is not None else 0
        run = DailyBatchRun.objects.create(
            run_date=day,
            started_at=started,
            finished_at=timezone.now(),
            overdue_count=_overdue(day).count(),
            removed_count=removed,
            change_id=change.pk if change is not None else None,
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_DAILY_BATCH_RUN,
            subject_type="batch",
            subject_id=day.isoformat(),
            purpose=purpose,
            reason=f"removed={removed} overdue={run.overdue_count} left_locked={left_locked}",
            result_count=removed,
        )
    return _result(run, already_ran=False)


def overdue_move_outs(*, actor: Any, purpose: str, today: date | None = None) -> list[OverdueMoveOut]:
    """The follow-up list: planned move-out date passed, no 転入通知, oldest first (audited as a list)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_OVERDUE_MOVE_OUT_LIST,
        purpose=purpose,
        subject_type="resident",
    )
    day = today or timezone.localdate()
    with transaction.atomic():
        rows = _overdue(day).select_related("resident").order_by("removal_date", "resident__atena_number")
        listed = [
            OverdueMoveOut(
                atena_number=row.resident.atena_number,
                name=f"{row.surname} {row.given_name}".strip(),
                planned_destination=row.planned_destination,
                planned_date=row.removal_date.isoformat() if row.removal_date else "",
                days_overdue=(day - row.removal_date).days if row.removal_date else 0,
                status="転出予定" if row.status == ResidentStatus.PLANNED_MOVE_OUT else "転出（除票）",
            )
            for row in rows
        ]
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_OVERDUE_MOVE_OUT_LIST,
            subject_type="resident",
            purpose=purpose,
            result_count=len(listed),
        )
    return listed
