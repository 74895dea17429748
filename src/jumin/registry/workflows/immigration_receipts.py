"""Received 法30条の50 notices kept across sessions (standard 4.5.6-a/b; system.md F10 steps 1–2;
docs/workflows/immigration-notices.md).

``receive_immigration_notices`` stores every notice of a file from the agency's terminal once (by
通知番号; a notice received again is reported, not stored twice) and, with ``auto_import``, imports
at once what the standard allows: each notice that matches one person, is not a 特別永住者's
(4.5.6-a: those are ``skipped``, processed by a manual 職権修正) and raises no alert becomes a draft
(``imported``), which a different clerk commits after reading its 確認票. Everything else waits on
the list (``pending``) with its reason, whatever its notice date (4.5.6-b), for a clerk to import by
hand (``import_received_notice``, alerts acknowledged) once the register or the notice is put right.
A discarded draft puts its notice back on the pending list.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import DomainError, refusal
from jumin.registry.models import ChangeState
from jumin.registry.models_immigration import Channel, ReceivedImmigrationNotice
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.immigration_notices import (
    COLUMNS_WITH_STAY_END,
    MatchedNotice,
    NoticeRow,
    UnmatchedNotice,
    check_sheet,
    enter_notice_draft,
    parse_row,
    read_notices,
    sheet_as_seen,
)

PENDING = ReceivedImmigrationNotice.State.PENDING
IMPORTED = ReceivedImmigrationNotice.State.IMPORTED
SKIPPED = ReceivedImmigrationNotice.State.SKIPPED
SPECIAL_PERMANENT_CODE = "registry.notice_special_permanent"
LIST_STATES = ("pending", "imported", "skipped", "all")
#: The purpose recorded when a notice comes online through the 入管連携端末 (no clerk's purpose).
RELAYED_PURPOSE = "入管連携端末からの法30条の50通知の受信"


@dataclass(frozen=True)
class ReceiptReport:
    """What one received file did: notices stored, drafts made, left pending or skipped, and the
    rows not stored (malformed, or a 通知番号 received before)."""

    received: int
    imported: tuple[tuple[str, int], ...]  # (通知番号, draft change id)
    pending: tuple[tuple[str, str], ...]  # (通知番号, reason code)
    skipped: tuple[str, ...]
    not_stored: tuple[UnmatchedNotice, ...]


@dataclass(frozen=True)
class ReceivedNoticeRow:
    """One stored notice as the list shows it (the person's name only on the screen, never in URLs)."""

    notice_id: str
    notice_date: date
    event_date: date
    name: str
    state: str
    state_label: str
    reason: str
    reason_code: str
    atena_number: str
    change_id: int | None
    change_state: str


def _row_of(stored: ReceivedImmigrationNotice) -> NoticeRow:
    return parse_row(0, stored.columns)


def _settle(stored: ReceivedImmigrationNotice, sheet: MatchedNotice | UnmatchedNotice) -> None:
    """Set a stored notice's state from its 確認票 (no draft made): pending or skipped, with why."""
    if isinstance(sheet, UnmatchedNotice):
        stored.state = SKIPPED if sheet.code == SPECIAL_PERMANENT_CODE else PENDING
        stored.reason, stored.reason_code = sheet.reason[:200], sheet.code
        return
    stored.state, stored.atena_number = PENDING, sheet.atena_number
    if sheet.alerts:
        stored.reason = "確認が必要な注意があります: " + " ".join(a.message for a in sheet.alerts)[:150]
        stored.reason_code = sheet.alerts[0].code


def _try_import(stored: ReceivedImmigrationNotice, *, actor: Any, purpose: str, scheduled: bool) -> None:
    """Automatic import (4.5.6-a): a draft when nothing needs a clerk's judgment, else leave it."""
    sheet = check_sheet(_row_of(stored))
    _settle(stored, sheet)
    if isinstance(sheet, UnmatchedNotice) or sheet.alerts:
        return
    if scheduled and stored.columns.get("stay_end_reason"):
        # The batch account holds no 職権消除 right: a clerk imports the removal from the list.
        stored.reason, stored.reason_code = (
            "在留が終了した通知は職員が取り込みます（職権消除）。",
            "registry.notice_stay_end",
        )
        return
    try:
        with transaction.atomic():  # a refused draft leaves the others of the file untouched
            draft = enter_notice_draft(
                actor=actor, purpose=purpose, row=_row_of(stored), acknowledged_alerts=()
            )
    except DomainError as error:
        stored.reason, stored.reason_code = error.reason[:200], error.code
        return
    _mark_imported(stored, draft, sheet)


def _mark_imported(stored: ReceivedImmigrationNotice, draft: DraftRecorded, sheet: MatchedNotice) -> None:
    stored.state, stored.reason, stored.reason_code = IMPORTED, "", ""
    stored.atena_number = sheet.atena_number
    stored.change_id = draft.change_id
    stored.sheet = [{"label": c.label, "before": c.before, "after": c.after} for c in sheet.changes]


def receive_immigration_notices(
    *, actor: Any, purpose: str, content: str, auto_import: bool = True, scheduled: bool = False
) -> ReceiptReport:
    """Store a received notice file and, with ``auto_import``, import what the standard allows.

    ``scheduled``: run by the batch operations account (``RESIDENT_BATCH_RUN``, the
    ``receive_immigration_notices`` command) instead of a clerk; notices that end a stay then wait
    for a clerk."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_BATCH_RUN if scheduled else Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_RECEIVE,
        purpose=purpose,
        subject_type="immigration_notice",
    )
    rows = read_notices(content)
    return _store(
        [row for row in rows if isinstance(row, NoticeRow)],
        [row for row in rows if isinstance(row, UnmatchedNotice)],
        actor=actor,
        purpose=purpose,
        auto_import=auto_import,
        scheduled=scheduled,
        channel=Channel.FILE,
    )


def receive_relayed_notice(columns: Mapping[str, str]) -> ReceiptReport:
    """One notice that came online through the 入管連携端末 (M10), in the file's columns: stored once
    by 通知番号 exactly as a file's row, and left pending with the same 確認票 for a clerk to import
    (no clerk received it, so no draft is made in its name). Runs in the inbox handler's transaction."""
    try:
        rows: list[NoticeRow] = [parse_row(0, columns)]
        malformed: list[UnmatchedNotice] = []
    except DomainError as error:
        notice_id = str(columns.get("notice_id", ""))[:40]
        rows, malformed = [], [UnmatchedNotice(0, notice_id, error.reason, error.code)]
    return _store(
        rows,
        malformed,
        actor=None,
        purpose=RELAYED_PURPOSE,
        auto_import=False,
        scheduled=True,
        channel=Channel.ONLINE,
    )


def _store(
    parsed: list[NoticeRow],
    not_stored: list[UnmatchedNotice],
    *,
    actor: Any,
    purpose: str,
    auto_import: bool,
    scheduled: bool,
    channel: str,
) -> ReceiptReport:
    """Store the well-formed notices not received before and settle or import each (see above)."""
    known = set(
        ReceivedImmigrationNotice.objects.filter(notice_id__in=[r.notice_id for r in parsed]).values_list(
            "notice_id", flat=True
        )
    )
    now = timezone.now()
    stored: list[ReceivedImmigrationNotice] = []
    for row in parsed:
        if row.notice_id in known:
            not_stored.append(
                UnmatchedNotice(
                    row.line,
                    row.notice_id,
                    "この通知は既に受信しています。",
                    "registry.notice_already_received",
                )
            )
            continue
        raw = {column: _column(row, column) for column in COLUMNS_WITH_STAY_END}
        stored.append(
            ReceivedImmigrationNotice(
                notice_id=row.notice_id,
                notice_date=row.notice_date,
                event_date=row.event_date,
                columns=raw,
                state=PENDING,
                received_at=now,
                received_by=actor,
                channel=channel,
            )
        )
    with transaction.atomic():
        for notice in stored:
            if auto_import:
                _try_import(notice, actor=actor, purpose=purpose, scheduled=scheduled)
            else:
                _settle(notice, check_sheet(_row_of(notice)))
            notice.save()
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_RECEIVE,
            subject_type="immigration_notice",
            subject_id=",".join(n.notice_id for n in stored)[:64] if channel == Channel.ONLINE else "",
            purpose=purpose,
            reason=f"stored={len(stored)} not_stored={len(not_stored)} auto={int(auto_import)} "
            f"channel={channel}",
        )
    return ReceiptReport(
        received=len(stored),
        imported=tuple((n.notice_id, n.change_id) for n in stored if n.state == IMPORTED and n.change_id),
        pending=tuple((n.notice_id, n.reason_code) for n in stored if n.state == PENDING),
        skipped=tuple(n.notice_id for n in stored if n.state == SKIPPED),
        not_stored=tuple(not_stored),
    )


def _column(row: NoticeRow, column: str) -> str:
    """The row's value of one file column, as the file gave it (dates in ISO)."""
    if column.startswith("new_"):
        return row.new_items.get(column.removeprefix("new_"), "")
    value = getattr(row, column)
    return value.isoformat() if isinstance(value, date) else str(value)


def _effective_state(stored: ReceivedImmigrationNotice) -> str:
    if (
        stored.state == IMPORTED
        and stored.change is not None
        and stored.change.state == ChangeState.DISCARDED
    ):
        return PENDING  # its draft was discarded: the notice is still to import
    return stored.state


def received_notices(
    *, actor: Any, purpose: str, state: str = "pending", limit: int = 500
) -> list[ReceivedNoticeRow]:
    """The stored notices (4.5.6-b): ``pending`` (not yet imported, whatever the notice date),
    ``imported``, ``skipped`` or ``all``; oldest notice first; audited as a list."""
    if state not in LIST_STATES:
        raise refusal(
            "state",
            "一覧の種類が不正です。",
            "pending、imported、skipped、all のどれかを指定してください。",
            "registry.immigration_notice_list",
        )
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_LIST,
        purpose=purpose,
        subject_type="immigration_notice",
        subject_id=state,
    )
    query = ReceivedImmigrationNotice.objects.select_related("change").order_by("notice_date", "pk")
    if state == "pending":
        query = query.filter(state__in=(PENDING, IMPORTED))  # imported ones whose draft was discarded
    elif state != "all":
        query = query.filter(state=state)
    with transaction.atomic():
        rows = [_summary(n) for n in query[: max(1, min(limit, 5000))]]
        if state in ("pending", "imported"):
            rows = [r for r in rows if r.state == state]
        record_results(
            actor,
            "resident",
            sorted({r.atena_number for r in rows if r.atena_number}),
            purpose,
            f"immigration_notice_{state}",
            action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_LIST,
            result_count=len(rows),
        )
    return rows


def _summary(stored: ReceivedImmigrationNotice) -> ReceivedNoticeRow:
    state = _effective_state(stored)
    return ReceivedNoticeRow(
        notice_id=stored.notice_id,
        notice_date=stored.notice_date,
        event_date=stored.event_date,
        name=str(stored.columns.get("name", "")),
        state=state,
        state_label=ReceivedImmigrationNotice.State(state).label,
        reason="取り込んだ仮登録が破棄されました。" if state != stored.state else stored.reason,
        reason_code=stored.reason_code,
        atena_number=stored.atena_number,
        change_id=stored.change_id,
        change_state=stored.change.get_state_display() if stored.change else "",
    )


def _pending(notice_id: str) -> ReceivedImmigrationNotice:
    stored = (
        ReceivedImmigrationNotice.objects.select_for_update(of=("self",))
        .select_related("change")
        .filter(notice_id=notice_id.strip())
        .first()
    )
    if stored is None or _effective_state(stored) != PENDING:
        raise refusal(
            "notice_id",
            "未取込の通知ではありません（取込済み、対象外、または存在しません）。",
            "未取込通知の一覧から通知を選んでください。",
            "registry.notice_not_pending",
        )
    return stored


def received_notice_sheet(*, actor: Any, purpose: str, notice_id: str) -> MatchedNotice | UnmatchedNotice:
    """The 確認票 of one stored pending notice, as it would be imported now (reads only; audited)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_PREVIEW,
        purpose=purpose,
        subject_type="immigration_notice",
        subject_id=notice_id,
    )
    with transaction.atomic():
        sheet = check_sheet(_row_of(_pending(notice_id)))
        record_results(
            actor,
            "resident",
            [sheet.atena_number] if isinstance(sheet, MatchedNotice) else [],
            purpose,
            "immigration_notice",
            action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_PREVIEW,
            reason=f"notice={notice_id.strip()}",
        )
    return sheet if isinstance(sheet, UnmatchedNotice) else sheet_as_seen(sheet, actor)


def import_received_notice(
    *, actor: Any, purpose: str, notice_id: str, acknowledged_alerts: Collection[str] = ()
) -> DraftRecorded:
    """Manual import of a pending stored notice (4.5.6-b): its draft, the alerts acknowledged."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_RECORD,
        purpose=purpose,
        subject_type="immigration_notice",
        subject_id=notice_id,
    )
    with transaction.atomic():
        stored = _pending(notice_id)
        row = _row_of(stored)
        sheet = check_sheet(row)
        if isinstance(sheet, UnmatchedNotice):
            raise refusal("notice_id", sheet.reason, "住民票または通知の内容を確認してください。", sheet.code)
        draft = enter_notice_draft(
            actor=actor, purpose=purpose, row=row, acknowledged_alerts=acknowledged_alerts
        )
        _mark_imported(stored, draft, sheet)
        stored.save()
    return draft
