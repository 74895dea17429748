"""Delivery of the registry's outbox into the 宛名 system (standard 7.1.2.3-a, 3.2-a; docs/atena.md).

A round (``sync_from_registry``) takes the events after its own cursor and applies them in order per
person (更新順番号 1, 2, 3 …), idempotently: an event already applied (its 更新順番号 at or below the
person's, or its id in the history) is skipped. Ids are taken when an event is inserted, not when its
transaction commits, so a round remembers the ids it passed over (``SyncState.unseen``) and looks for
them again for ``LOOKBACK``, and looks again at the persons it holds: an event committed late is
applied in its turn, never skipped. A person whose next event is missing (``order_gap``), whose row
cannot be read (``row_not_found``) or whose keys lead to two 統合宛名番号 (``number_conflict``) is
held, with a ``SyncIssue`` the status screen explains, and the other persons go on.

The cursor is the 宛名 system's own (``SyncState``): ``RegistryEvent.published_at`` is one column for
every consumer (CS, 宛名, other municipalities), so one consumer marking it would hide events from the
others, and the registry's table stays the registry's.

The round reads the registry through ``registry.atena_source`` (committed rows only; audited as the
宛名 system's read) and records what it applied, both in its own transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.atena.feed import items_of
from jumin.atena.models import (
    AtenaHistory,
    AtenaPerson,
    IntegratedLink,
    IntegratedNumber,
    LinkKind,
    SyncIssue,
    SyncState,
)
from jumin.atena.numbering import issue_number
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.registry import atena_source
from jumin.registry.atena_source import CommittedRow, OutboxEntry

logger = logging.getLogger("jumin.atena")

BATCH = 500
# An id passed over is looked for again this long: a commit's transaction lasting longer is exceptional
# (a bulk import commits in batches), and the person's next event would find it anyway (``order_gap``).
LOOKBACK = timedelta(minutes=10)
STATE = "registry"
QUIET_SECONDS = 60


@dataclass(frozen=True)
class IssueText:
    message: str
    remedy: str


ISSUES: dict[str, IssueText] = {
    "order_gap": IssueText(
        "前の更新順番号のイベントがまだ届いていないため、この方の連携を保留しています。",
        "登録中の異動が本登録されると次回の連携で自動的に適用されます。10分を超えて残る場合は"
        "住民記録の登録イベント一覧で該当の宛名番号を確認し、システム管理者に連絡してください。",
    ),
    "row_not_found": IssueText(
        "イベントが指す本登録の住民票が見つかりません（除票データベースへの移管など）。",
        "住民記録で該当の宛名番号の履歴を確認し、システム管理者に連絡してください。",
    ),
    "number_conflict": IssueText(
        "宛名番号と個人番号が別々の統合宛名番号に紐付いています。",
        "統合宛名番号を自動では統合しません。住民記録で個人番号と宛名番号を確認し、"
        "システム管理者に連絡してください。",
    ),
}


class _HeldError(Exception):
    """This person's event cannot be applied now; ``code`` is a key of ``ISSUES``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SyncReport:
    applied: int
    cursor: int
    more: bool  # a full batch was read: call again


def _state() -> SyncState:
    state, _ = SyncState.objects.select_for_update().get_or_create(name=STATE)
    return state


Unseen = list[list[Any]]  # [first id, last id, ISO time first missed]


def unseen_after_read(unseen: Unseen, cursor: int, read: list[int], found: set[int], now: datetime) -> Unseen:
    """The id ranges still unseen after a round: the old ones less the ids found and less those missed
    longer than ``LOOKBACK`` (a rolled-back transaction's ids never come), plus the new holes between
    the cursor and the ids just read."""
    kept: Unseen = []
    for first, last, since in unseen:
        if datetime.fromisoformat(since) < now - LOOKBACK:
            continue
        start = first
        for pk in sorted(p for p in found if first <= p <= last):
            if pk > start:
                kept.append([start, pk - 1, since])
            start = pk + 1
        if start <= last:
            kept.append([start, last, since])
    previous = cursor
    for pk in read:
        if pk > previous + 1:
            kept.append([previous + 1, pk - 1, now.isoformat()])
        previous = pk
    return kept


def _candidates(state: SyncState, batch: int) -> tuple[list[OutboxEntry], list[OutboxEntry], set[str]]:
    """Events read after the cursor, events found in the unseen ranges, and the persons to look at
    (theirs, and those held by an open issue)."""
    fresh = atena_source.events_after(state.cursor, limit=batch)
    late = atena_source.events_in((first, last) for first, last, _ in state.unseen)
    held = SyncIssue.objects.filter(resolved_at__isnull=True).values_list("atena_number", flat=True)
    return fresh, late, {e.atena_number for e in (*fresh, *late)} | set(held)


def _in_order(
    events: Iterable[OutboxEntry], last: dict[str, int]
) -> tuple[dict[str, list[OutboxEntry]], dict[str, OutboxEntry]]:
    """Each person's events that follow their last applied one without a gap, and the first event
    after a gap (its predecessor is not committed yet, or not readable)."""
    runs: dict[str, list[OutboxEntry]] = defaultdict(list)
    gaps: dict[str, OutboxEntry] = {}
    for event in events:  # ordered by person and 更新順番号
        atena = event.atena_number
        if atena in gaps:
            continue
        if event.subject_seq == last.get(atena, 0) + len(runs[atena]) + 1:
            runs[atena].append(event)
        else:
            gaps[atena] = event
    return {atena: run for atena, run in runs.items() if run}, gaps


def _nothing_new(now: datetime) -> SyncState | None:
    """The state when no event arrived since the last round and that round was less than
    ``QUIET_SECONDS`` ago: the round is skipped, writing nothing (an idle node takes no write lock;
    held persons are looked at again when ``QUIET_SECONDS`` have passed)."""
    state = SyncState.objects.filter(name=STATE).first()
    if state is None or state.unseen or state.last_run_at is None:
        return None
    if (now - state.last_run_at).total_seconds() >= QUIET_SECONDS:
        return None
    return None if atena_source.has_events_after(state.cursor) else state


def sync_from_registry(*, batch: int = BATCH, force: bool = False) -> SyncReport:
    """One round of delivery as the system (no user); see the module docstring. ``force``: run even
    when nothing new arrived (on demand: held persons are looked at again at once)."""
    now = timezone.now()
    quiet = None if force else _nothing_new(now)
    if quiet is not None:
        return SyncReport(applied=0, cursor=quiet.cursor, more=False)
    with transaction.atomic():
        state = _state()
        fresh, late, subjects = _candidates(state, batch)
        persons = {p.atena_number: p for p in AtenaPerson.objects.filter(atena_number__in=subjects)}
        last = {atena: persons[atena].last_subject_seq if atena in persons else 0 for atena in subjects}
        pending = atena_source.subject_events(last)
        runs, gaps = _in_order(pending, last)
        wanted: set[tuple[str, int | None]] = {
            (e.atena_number, e.history_no) for run in runs.values() for e in run if e.history_no
        }
        # A person whose first event is a 抑止: their values are the current committed row.
        wanted |= {
            (atena, None) for atena, run in runs.items() if atena not in persons and not run[0].history_no
        }
        rows = atena_source.committed_rows_for_atena(wanted)
        applied = _apply_in_outbox_order(persons, runs, rows, now)
        for event in gaps.values():
            _hold(event, "order_gap", now)
        state.unseen = unseen_after_read(
            state.unseen, state.cursor, [e.pk for e in fresh], {e.pk for e in late}, now
        )
        if fresh:
            state.cursor = fresh[-1].pk
        _record_round(state, applied, now)
    return SyncReport(
        applied=len(applied),
        cursor=state.cursor,
        more=len(fresh) == batch,
    )


def _apply_in_outbox_order(
    persons: dict[str, AtenaPerson],
    runs: dict[str, list[OutboxEntry]],
    rows: dict[tuple[str, int | None], CommittedRow],
    now: datetime,
) -> list[OutboxEntry]:
    """Apply the events in the outbox's order (a person's 更新順番号 follow it), so the feed lists them
    as the registry wrote them; a person stops at their first held event (recorded)."""
    applied = []
    stopped: set[str] = set()
    for event in sorted((e for run in runs.values() for e in run), key=lambda e: e.pk):
        if event.atena_number in stopped:
            continue
        try:
            with transaction.atomic():  # a held event leaves nothing behind
                persons[event.atena_number] = _apply(persons.get(event.atena_number), event, rows, now)
        except _HeldError as held:
            _hold(event, held.code, now)
            stopped.add(event.atena_number)
            continue
        applied.append(event)
    return applied


def _apply(
    person: AtenaPerson | None,
    event: OutboxEntry,
    rows: dict[tuple[str, int | None], CommittedRow],
    now: datetime,
) -> AtenaPerson:
    if person is None:
        person = AtenaPerson(atena_number=event.atena_number, updated_at=now)
    row = rows.get((event.atena_number, event.history_no)) if event.history_no else None
    if event.history_no and row is None:
        raise _HeldError("row_not_found")
    if row is None and person.pk is None:  # a 抑止 on a person the 宛名 system has no values of yet
        row = rows.get((event.atena_number, None))
        if row is None:
            raise _HeldError("row_not_found")
    if row is not None:
        person.items = items_of(row)
        person.registry_history_no = row.history_no
        person.integrated = _integrated_for(event, row.individual_number_index, now) or person.integrated
    person.restrictions = _restrictions_after(person.restrictions, event)
    person.last_subject_seq = event.subject_seq
    person.updated_at = now
    person.save()
    AtenaHistory.objects.create(
        person=person,
        event_id=event.event_id,
        event_type=event.event_type,
        subject_seq=event.subject_seq,
        integrated_number=person.integrated.number if person.integrated else "",
        registry_history_no=person.registry_history_no,
        items=person.items,
        restrictions=person.restrictions,
        applied_at=now,
    )
    return person


def _restrictions_after(current: list[str], event: OutboxEntry) -> list[str]:
    """The 抑止・支援措置 in force after a set or lift event (standard 3.2-a); other events keep them."""
    if not event.restriction_kind or event.restriction_id is None:
        return current
    key = f"{event.restriction_kind}:{event.restriction_id}"
    if event.event_type == atena_source.EVENT_RESTRICTION_SET:
        return current if key in current else [*current, key]
    if event.event_type == atena_source.EVENT_RESTRICTION_LIFTED:
        return [r for r in current if r != key]
    return current


def _integrated_for(event: OutboxEntry, number_index: str | None, now: datetime) -> IntegratedNumber | None:
    """The person's 統合宛名番号: found by 宛名番号 or 個人番号, issued when the 個人番号 is first seen.

    Without a 個人番号 the person has none yet (system.md M5 §1). A 個人番号 that changed is linked
    too; the old link stays (a number is never reused). Keys leading to two numbers are held.
    """
    keys = {LinkKind.ATENA_NUMBER: event.atena_number}
    if number_index:
        keys[LinkKind.INDIVIDUAL_NUMBER_INDEX] = number_index
    links = {
        link.kind: link
        for link in IntegratedLink.objects.select_related("integrated").filter(
            kind__in=list(keys), key__in=list(keys.values())
        )
        if keys.get(LinkKind(link.kind)) == link.key
    }
    found = {link.integrated_id for link in links.values()}
    if len(found) > 1:
        raise _HeldError("number_conflict")
    if found:
        integrated = next(iter(links.values())).integrated
    elif number_index:
        integrated = issue_number(event_id=event.event_id)
    else:
        return None
    IntegratedLink.objects.bulk_create(
        [
            IntegratedLink(integrated=integrated, kind=kind, key=key, linked_at=now)
            for kind, key in keys.items()
            if kind not in links
        ]
    )
    return integrated


def _hold(event: OutboxEntry, code: str, now: datetime) -> None:
    updated = SyncIssue.objects.filter(event_id=event.event_id, resolved_at__isnull=True).update(
        code=code, last_seen_at=now
    )
    if not updated:
        SyncIssue.objects.create(
            event_id=event.event_id,
            atena_number=event.atena_number,
            subject_seq=event.subject_seq,
            code=code,
            first_seen_at=now,
            last_seen_at=now,
        )


def _record_round(state: SyncState, applied: list[OutboxEntry], now: datetime) -> None:
    if applied:
        SyncIssue.objects.filter(event_id__in=[e.event_id for e in applied], resolved_at__isnull=True).update(
            resolved_at=now
        )
        state.last_applied_at = now
        state.last_applied_event_at = max(e.created_at for e in applied)
        record_event(
            actor=None,
            action=AuditAction.ATENA_RECORD_APPLY,
            subject_type="resident",
            purpose=atena_source.ATENA_READ_PURPOSE,
            result_count=len(applied),
            concerning=sorted({e.atena_number for e in applied}),
        )
    state.last_run_at = now
    state.last_run_applied = len(applied)
    state.last_failure = ""
    state.save()


def sync_until_caught_up(*, batch: int = BATCH, max_rounds: int = 1000, force: bool = False) -> int:
    """Rounds until the outbox is read to its end; the number of events applied. A round that fails
    is rolled back whole and its failure (type only, C-54) kept for the status screen."""
    applied = 0
    for _ in range(max_rounds):
        try:
            report = sync_from_registry(batch=batch, force=force)
        except Exception as error:
            SyncState.objects.update_or_create(name=STATE, defaults={"last_failure": type(error).__name__})
            logger.error("atena delivery round failed (%s)", type(error).__name__)
            raise
        applied += report.applied
        if not report.more:
            break
    return applied


def _record_request(actor: Any, purpose: str, how: str) -> None:
    authorize(
        actor=actor,
        permission=Permission.NETWORK_OPERATE,
        action=AuditAction.ATENA_SYNC_REQUEST,
        purpose=purpose,
        subject_type="atena_sync",
    )
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.ATENA_SYNC_REQUEST,
            subject_type="atena_sync",
            purpose=purpose,
            reason=how,
        )


def request_sync(*, actor: Any, purpose: str) -> None:
    """「今すぐ連携」: queue a delivery round now, in either mode (standard 7.2.3-a); audited."""
    from jumin.atena.tasks import sync_atena  # the task module imports this one

    _record_request(actor, purpose, "queued")
    sync_atena.enqueue()


def sync_now(*, actor: Any, purpose: str) -> int:
    """``jumin atena sync``: apply the registry's events up to now in the foreground; audited."""
    _record_request(actor, purpose, "foreground")
    return sync_until_caught_up(force=True)
