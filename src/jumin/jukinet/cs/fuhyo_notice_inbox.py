"""The 受信一覧 screen of 戸籍附票記載事項通知 at the 本籍地 CS (std 7.1.1.1-e; docs/jukinet.md Flow 13).

The 戸籍附票 clerk lists the received notices (未処理 / 処理済み, by the day received), opens one, and
marks it 処理済み once the 戸籍の附票 is written (``FuhyoNoticeProcessing``, insert-only: the received
notice never changes). Every call is a CS function (``fuhyo_notices.require_fuhyo``: ``CS_FUHYO``, and
a clerk terminal never reaches it), every read is audited naming the persons shown, and the 住民票コード and
the 戸籍の表示 are masked without their field grants (``fuhyo_notices.items_as_seen``, C-10).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fuhyo_notice import FuhyoEntryNotice
from jumin.jukinet.cs import access
from jumin.jukinet.cs.fuhyo_notices import SUBJECT_TYPE, items_as_seen, require_fuhyo
from jumin.jukinet.cs.models import FuhyoNoticeProcessing, ReceivedFuhyoNotice
from jumin.jukinet.cs.persons import person_ids

#: The most rows one list shows; narrow the days to see older ones.
LIST_LIMIT = 200
NOTE_LENGTH = 200


class NoticeStatus(StrEnum):
    """Whether the 戸籍 side has written the notice into the 戸籍の附票."""

    UNPROCESSED = "未処理"
    PROCESSED = "処理済み"


@dataclass(frozen=True)
class InboxFilter:
    """The list's conditions: a status ("" for both) and the days received (inclusive, None: open)."""

    status: NoticeStatus | None = None
    received_from: date | None = None
    received_to: date | None = None


@dataclass(frozen=True)
class InboxRow:
    """One notice as the list shows it: no 戸籍の表示 (the detail shows it, masked as granted)."""

    notice_id: int
    received_at: str
    sender_code: str
    resident_code: str
    name: str
    change_reason: str
    change_date: str
    status: NoticeStatus


@dataclass(frozen=True)
class InboxList:
    """The rows, newest first, and whether more matched than ``LIST_LIMIT``."""

    rows: tuple[InboxRow, ...]
    truncated: bool


@dataclass(frozen=True)
class InboxDetail:
    """One notice with every item as the clerk may see it, and its processing if any."""

    notice_id: int
    received_at: str
    sender_code: str
    items: FuhyoEntryNotice
    status: NoticeStatus
    processed_at: str = ""
    processed_by: str = ""
    note: str = ""


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(conditions: InboxFilter) -> QuerySet[ReceivedFuhyoNotice]:
    if (
        conditions.received_from
        and conditions.received_to
        and conditions.received_from > conditions.received_to
    ):
        raise refusal(
            "received_to",
            "受信日の終わりが始まりより前です。",
            "受信日の範囲を始まり・終わりの順に入力してください。",
            "jukinet.cs.fuhyo_notice_days",
        )
    rows = ReceivedFuhyoNotice.objects.select_related("processing")
    if conditions.received_from:
        rows = rows.filter(received_at__gte=_day_start(conditions.received_from))
    if conditions.received_to:
        rows = rows.filter(received_at__lt=_day_start(conditions.received_to) + timedelta(days=1))
    if conditions.status is NoticeStatus.PROCESSED:
        rows = rows.filter(processing__isnull=False)
    elif conditions.status is NoticeStatus.UNPROCESSED:
        rows = rows.filter(processing__isnull=True)
    return rows.order_by("-received_at", "-pk")


def _summary(conditions: InboxFilter) -> str:
    """The kinds of condition used (the audit's query summary names kinds, never values)."""
    used = [
        name
        for name, value in (
            ("status", conditions.status),
            ("received_from", conditions.received_from),
            ("received_to", conditions.received_to),
        )
        if value
    ]
    return "+".join(used)


def _status(row: ReceivedFuhyoNotice) -> NoticeStatus:
    return NoticeStatus.PROCESSED if hasattr(row, "processing") else NoticeStatus.UNPROCESSED


def inbox(*, actor: Any, purpose: str, conditions: InboxFilter) -> InboxList:
    """The received notices matching ``conditions``, newest first; audited as one list naming each person."""
    require_fuhyo(actor, purpose, AuditAction.CS_FUHYO_NOTICE_LIST)
    visible = access.visible_items(actor)
    with transaction.atomic():
        found = list(_filtered(conditions)[: LIST_LIMIT + 1])
        shown = found[:LIST_LIMIT]
        rows = tuple(
            InboxRow(
                notice_id=row.pk,
                received_at=_local(row.received_at),
                sender_code=row.sender_code,
                resident_code=access.shown_resident_code(row.resident_code, visible),
                name=str(row.items.get("name", "")),
                change_reason=str(row.items.get("change_reason", "")),
                change_date=str(row.items.get("change_date", "")),
                status=_status(row),
            )
            for row in shown
        )
        record_event(
            actor=actor,
            action=AuditAction.CS_FUHYO_NOTICE_LIST,
            subject_type=SUBJECT_TYPE,
            subject_id="screen",
            purpose=purpose,
            query_summary=_summary(conditions),
            result_count=len(rows),
            concerning=person_ids([row.resident_code for row in shown]),
        )
    return InboxList(rows=rows, truncated=len(found) > LIST_LIMIT)


def _not_found() -> DomainError:
    return refusal(
        "notice_id",
        "該当する戸籍附票記載事項通知がありません。",
        "受信一覧を表示し直して、通知を選んでください。",
        "jukinet.cs.no_such_fuhyo_notice",
    )


def notice_detail(*, actor: Any, purpose: str, notice_id: int) -> InboxDetail:
    """One received notice with all its items (masked as granted) and its processing; audited."""
    require_fuhyo(actor, purpose, AuditAction.CS_FUHYO_NOTICE_VIEW, str(notice_id))
    with transaction.atomic():
        row = (
            ReceivedFuhyoNotice.objects.select_related("processing__processed_by")
            .filter(pk=notice_id)
            .first()
        )
        if row is None:
            raise _not_found()
        processing = getattr(row, "processing", None)
        detail = InboxDetail(
            notice_id=row.pk,
            received_at=_local(row.received_at),
            sender_code=row.sender_code,
            items=FuhyoEntryNotice(**items_as_seen(row.items, actor)),
            status=_status(row),
            processed_at=_local(processing.processed_at) if processing else "",
            processed_by=processing.processed_by.get_username() if processing else "",
            note=processing.note if processing else "",
        )
        record_event(
            actor=actor,
            action=AuditAction.CS_FUHYO_NOTICE_VIEW,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            purpose=purpose,
            result_count=1,
            concerning=person_ids([row.resident_code]),
        )
    return detail


def mark_processed(*, actor: Any, purpose: str, notice_id: int, note: str = "") -> None:
    """Record that the 戸籍 side wrote the notice into the 戸籍の附票 (once per notice); audited."""
    require_fuhyo(actor, purpose, AuditAction.CS_FUHYO_NOTICE_PROCESS, str(notice_id))
    text = note.strip()
    if len(text) > NOTE_LENGTH:
        raise refusal(
            "note",
            f"処理内容が長すぎます（{len(text)}文字）。",
            f"処理内容を{NOTE_LENGTH}文字以内で入力してください。",
            "jukinet.cs.note",
        )
    with transaction.atomic():
        row = ReceivedFuhyoNotice.objects.select_for_update().filter(pk=notice_id).first()
        if row is None:
            raise _not_found()
        try:
            with transaction.atomic():
                FuhyoNoticeProcessing.objects.create(
                    notice=row, processed_at=timezone.now(), processed_by=actor, note=text
                )
        except IntegrityError:
            raise refusal(
                "notice_id",
                "この通知は既に処理済みです。",
                "処理済みの通知は変更できません。誤りがあれば戸籍の附票側で訂正してください。",
                "jukinet.cs.fuhyo_notice_processed",
            ) from None
        record_event(
            actor=actor,
            action=AuditAction.CS_FUHYO_NOTICE_PROCESS,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            purpose=purpose,
            reason="処理済み",  # the note stays in its row, out of the log
            concerning=person_ids([row.resident_code]),
        )
