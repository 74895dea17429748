"""転入通知 receipt (転出確定) and the 未着 list: standard 4.1.3.1.1-a, 4.1.3.1.4-a; algorithms.md G.1;
system.md F03 steps 7-9; docs/workflows/move-in-notice.md.

When the destination municipality's 転入通知 arrives for a person who moved out, the 確定 values
are added beside the 予定 values, which stay as entered: the confirmed destination, the move-in
date stated in the notice (転出確定日), the notice date (転出確定通知日) and its 届出区分. The removal
date becomes min(planned date, move-in date) (G.1, MO-1..MO-5). It is a draft (異動事由 「転出確定」)
committed by another clerk with ``commit_change``, like every change. Persons removed by 職権
after a field check are accepted too (4.1.3.1.1-a); their removal date is not recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.errors import refusal
from jumin.domain.moveout import MoveOutStatus, removal_date, status_on
from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry import services_restrictions
from jumin.registry.models import Change, Resident, ResidentSnapshot
from jumin.registry.outbox import MOVE_OUT_CONFIRMED_REASON
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import current_of, draft_from_current

MOVE_OUT_REASONS = frozenset({ChangeReason.DOMESTIC_MOVE_OUT, ChangeReason.MOVE_OUT_ABROAD})
ACCEPTED_REMOVALS = MOVE_OUT_REASONS | {ChangeReason.EX_OFFICIO_REMOVAL}
NOTICE_KINDS = ("届出", "職権")  # 転出確定届出区分: how the person was recorded at the destination
DESTINATION_MAX_LENGTH = 200


@dataclass(frozen=True)
class MoveInNotice:
    """A received 転入通知 (住基法9条1項) for one or more persons who moved out."""

    atena_numbers: Sequence[str]
    notice_date: date  # 転出確定通知日: the date of the 転入通知
    move_in_date: date  # the 転入日 stated in the notice (転出確定日)
    destination: str  # 転出先（確定）: the address at the destination
    notification_kind: str = "届出"
    # The 転入先's postal code: None = not looked up (typed in by a clerk), "" = not in the dictionary.
    destination_postal_code: str | None = None
    # The 転入先's 住所コード from the dictionary (standard 1.1.1-d); "" when it gives none.
    destination_address_code: str = ""


def _check(notice: MoveInNotice, today: date) -> list[tuple[Resident, ResidentSnapshot]]:
    numbers = [n.strip() for n in notice.atena_numbers]
    if not numbers or any(not n for n in numbers):
        raise refusal(
            "atena_numbers",
            "転入通知の対象者が入力されていません。",
            "転出した方の宛名番号を1人以上入力してください。",
            "registry.no_members",
        )
    if len(set(numbers)) != len(numbers):
        raise refusal(
            "atena_numbers",
            "同じ宛名番号が2回以上入力されています。",
            "1人につき1回だけ入力してください。",
            "registry.duplicate_member",
        )
    destination = notice.destination.strip()
    if not destination:
        raise refusal(
            "destination",
            "転出先（確定）が入力されていません。",
            "転入通知に書かれた転入先の住所を入力してください。",
            "registry.destination_required",
        )
    if len(destination) > DESTINATION_MAX_LENGTH:
        raise refusal(
            "destination",
            f"転出先（確定）が{DESTINATION_MAX_LENGTH}文字を超えています。",
            "転出先を短く入力してください。",
            "registry.destination_too_long",
        )
    if notice.notification_kind not in NOTICE_KINDS:
        raise refusal(
            "notification_kind",
            "転出確定届出区分が正しくありません。",
            "「届出」または「職権」を選んでください。",
            "registry.notice_kind",
        )
    if notice.notice_date > today:
        raise refusal(
            "notice_date",
            "転入通知の日付が未来の日付です。",
            "転入通知に書かれた通知の日付を入力してください。",
            "registry.future_notice",
        )
    if notice.move_in_date > notice.notice_date:
        raise refusal(
            "move_in_date",
            "転入日が転入通知の日付より後です。",
            "転入通知に書かれた転入日を確認して入力してください。",
            "registry.move_in_after_notice",
        )
    people = [current_of(number) for number in numbers]
    for _resident, current in people:
        moved_out = current.status in (ResidentStatus.PLANNED_MOVE_OUT, ResidentStatus.REMOVED)
        if not moved_out or current.removal_reason not in ACCEPTED_REMOVALS:
            raise refusal(
                "atena_numbers",
                "転出（または職権消除）していない方が含まれています。",
                "転入通知の対象者は、転出予定者・転出による除票・職権消除された方です。宛名番号を確認してください。",
                "registry.not_moved_out",
            )
        if current.move_in_notice_date is not None:
            raise refusal(
                "atena_numbers",
                "既に転入通知を受理した方が含まれています。",
                "内容を訂正する場合は、先の転出確定を異動の取消しで取り消してから入力してください。",
                "registry.notice_already_received",
            )
    return people


def record_move_in_notice(
    *,
    actor: Any,
    purpose: str,
    notice: MoveInNotice,
    permission: Permission = Permission.RESIDENT_RECORD,
) -> DraftRecorded:
    """Enter a received 転入通知 as a draft (転出確定); another clerk commits it with ``commit_change``.

    ``permission`` is the right the actor needs: a clerk's 住民記録; the scheduled import's batch
    account needs 住民記録バッチ運用 instead (std 10.3-e), and makes only drafts a clerk commits."""
    authorize(
        actor=actor,
        permission=permission,
        action=AuditAction.RESIDENT_MOVE_IN_NOTICE_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    today = timezone.localdate()
    people = _check(notice, today)
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_MOVE_IN_NOTICE_RECORD,
        atena_numbers=[resident.atena_number for resident, _ in people],
    )
    with transaction.atomic():
        change = Change.objects.create(
            reason=MOVE_OUT_CONFIRMED_REASON,
            change_date=notice.move_in_date,
            notification_date=notice.notice_date,
            notification_kind="転入通知",
            made_by=actor,
            made_at=timezone.now(),
        )
        for resident, current in people:
            changes: dict[str, Any] = {
                "confirmed_destination": notice.destination.strip(),
                "confirmed_move_out_date": notice.move_in_date,
                "move_in_notice_date": notice.notice_date,
                "confirmed_notification_kind": notice.notification_kind,
            }
            if notice.destination_postal_code is not None:
                changes["confirmed_destination_postal_code"] = notice.destination_postal_code
                changes["confirmed_destination_postal_unknown"] = not notice.destination_postal_code
                changes["confirmed_destination_address_code"] = notice.destination_address_code
            if current.removal_reason in MOVE_OUT_REASONS and current.removal_date is not None:
                # The stored removal date is the planned date P until a notice arrives (G.1, MO-4).
                removal = removal_date(current.removal_date, notice.move_in_date)
                planned_mover = status_on(today, removal) is MoveOutStatus.PLANNED_MOVER
                changes["removal_date"] = removal
                changes["status"] = (
                    ResidentStatus.PLANNED_MOVE_OUT if planned_mover else ResidentStatus.REMOVED
                )
            draft_from_current(resident, current, change, **changes)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_MOVE_IN_NOTICE_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(resident.atena_number for resident, _ in people),
        household_number=people[0][1].household.number,
        alerts=tuple(entry_alerts),
    )


def wait_days() -> int:
    """Days after the removal date before a missing 転入通知 is listed (setting
    ``JUMIN_MOVE_IN_NOTICE_WAIT_DAYS``)."""
    return max(0, int(getattr(settings, "JUMIN_MOVE_IN_NOTICE_WAIT_DAYS", 14)))


def _without_notice() -> Any:
    """Current rows of persons who moved out (or were removed by 職権) and whose 転入通知 has not come."""
    return ResidentSnapshot.objects.filter(
        current_of__isnull=False,
        status__in=(ResidentStatus.PLANNED_MOVE_OUT, ResidentStatus.REMOVED),
        removal_reason__in=[str(r) for r in ACCEPTED_REMOVALS],
        move_in_notice_date__isnull=True,
    )


@dataclass(frozen=True)
class MissingNotice:
    """One person on the 未着者一覧 (standard 4.1.3.1.4-a): whom to chase, where, since when."""

    atena_number: str
    name: str
    removal_reason: str
    planned_destination: str
    removal_date: str
    days_waiting: int


def missing_notices(*, actor: Any, purpose: str, days: int | None = None) -> list[MissingNotice]:
    """Persons who moved out (or were removed by 職権) at least ``days`` days ago and whose 転入通知
    has not arrived, oldest first; audited as a list (names and destinations are personal data)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_MOVE_IN_NOTICE_LIST,
        purpose=purpose,
        subject_type="resident",
    )
    waited = wait_days() if days is None else days
    if waited < 0:
        raise refusal(
            "days", "日数が負の値です。", "0以上の日数を入力してください。", "registry.negative_days"
        )
    today = timezone.localdate()
    cutoff = today - timedelta(days=waited)
    with transaction.atomic():
        rows = (
            _without_notice()
            .filter(removal_date__lte=cutoff)
            .select_related("resident")
            .order_by("removal_date", "resident__atena_number")
        )
        listed = [
            MissingNotice(
                atena_number=row.resident.atena_number,
                name=f"{row.surname} {row.given_name}".strip(),
                removal_reason=row.removal_reason,
                planned_destination=row.planned_destination,
                removal_date=row.removal_date.isoformat() if row.removal_date else "",
                days_waiting=(today - row.removal_date).days if row.removal_date else 0,
            )
            for row in rows
        ]
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_MOVE_IN_NOTICE_LIST,
            subject_type="resident",
            purpose=purpose,
            reason=f"days={waited}",
            result_count=len(listed),
        )
    return listed


@dataclass(frozen=True)
class InquiryPerson:
    """One person of a 転入通知未着照会書 (std 4.1.3.1.4-a), as printed."""

    atena_number: str
    name: str
    birth_date: RecordedDate
    removal_reason: str
    move_out_date: date | None  # 転出予定日 (the removal date of a 職権消除)
    planned_destination: str  # 転出先（予定）: the address the 転入先 is asked about


def inquiry_persons(atena_numbers: Sequence[str]) -> tuple[InquiryPerson, ...]:
    """The persons of a 転入通知未着照会書 in the order given; each must still be without a 転入通知
    (else refused, naming the 宛名番号's position, not the person). The caller authorises and audits."""
    wanted = [number.strip() for number in atena_numbers if number.strip()]
    if not wanted:
        raise refusal(
            "atena_numbers",
            "照会する方が選ばれていません。",
            "未着者一覧から照会する方を選んでください。",
            "registry.no_inquiry_person",
        )
    rows = {
        row.resident.atena_number: row
        for row in _without_notice().filter(resident__atena_number__in=wanted).select_related("resident")
    }
    for position, number in enumerate(wanted, start=1):
        if number not in rows:
            raise refusal(
                "atena_numbers",
                f"{position}人目の方は転入通知の未着者ではありません（転入通知の受信済み、転出していない、または宛名番号の誤り）。",
                "未着者一覧から照会する方を選び直してください。",
                "registry.not_missing_notice",
            )
    return tuple(
        InquiryPerson(
            atena_number=number,
            name=f"{rows[number].surname}　{rows[number].given_name}".strip("　"),
            birth_date=recorded_dates.from_json(rows[number].birth_date),
            removal_reason=rows[number].removal_reason,
            move_out_date=rows[number].removal_date,
            planned_destination=rows[number].planned_destination,
        )
        for number in dict.fromkeys(wanted)
    )
