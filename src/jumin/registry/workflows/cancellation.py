"""異動の取消し (standard 4.6.0.1-a…e, 4.6.1.1-a; system.md F08 step 7) as a draft for commit_change.

A committed change is cancelled, for all or some of its movers, by a new change whose snapshots
compensate it; nothing is deleted and both changes stay in history (4.6.0.1-c, e):

* (増) undoes a removal (転出, 死亡, 職権消除): the person's row before it is restored, so they are
  current again at their former address, in their former household;
* (減) undoes a recording (転入, 出生, 職権記載): the person becomes a 除票 with 消除事由
  「異動の取消し(減)」; a returning person (再転入) gets their former 除票 row back instead;
* (修正) undoes an amendment (転居, 世帯変更, 職権修正 …): the row before it is restored, address and
  household included (4.6.0.1-d). A former household that has no current member any more is formed
  again by the returning persons under its former 世帯番号 (the number was only ever theirs, and a
  cancellation made for one mover at a time lands everybody in the same household).

An older change with later changes on top is cancelled too (4.6.0.1-a): the later rows are
re-stated on the restored record in the same draft (``cancellation_replay``), or, when a later
change could not exist without the cancelled one, the clerk is told to cancel that one first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.errors import Alert, DomainError, refusal
from jumin.domain.moveout import MoveOutStatus, status_on
from jumin.domain.resident import (
    CANCELLATION_REASONS,
    GENERATION_REASONS,
    ChangeReason,
    ResidentStatus,
    cancellation_of,
)
from jumin.registry import services_restrictions
from jumin.registry.models import Change, ChangeState, Household, Resident, ResidentSnapshot
from jumin.registry.outbox import MOVE_OUT_CONFIRMED_REASON
from jumin.registry.removed_archive import archived_resident_ids
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.cancellation_replay import (
    Restated,
    later_rows,
    newest_statement,
    restate,
    row_values,
)
from jumin.registry.workflows.household import current_members
from jumin.registry.workflows.household_members import check_no_duplicates, headless_household_alert
from jumin.registry.workflows.move_out import MOVE_OUT_REASONS

REASON_MAX_LENGTH = 200


@dataclass(frozen=True)
class Cancellation:
    """A request to cancel committed change ``change_id`` for ``atena_numbers`` (empty: every mover).

    ``reason`` is why (e.g. 「届出人の錯誤」); it goes to the audit entry. A cancellation on the
    person's application (standard 4.6.1.1-a, 4.2.0.5-a) carries the application date.
    """

    change_id: int
    reason: str
    atena_numbers: Sequence[str] = ()
    on_application: bool = False
    application_date: date | None = None
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Restore:
    """One mover's compensating rows: the current row they follow and what the draft holds.

    The first row restores the record before the cancelled change; ``restated`` re-states the later
    changes on it, the last of them being the person's record after the cancellation.
    """

    resident: Resident
    current: ResidentSnapshot
    copy_of: ResidentSnapshot | None  # the earlier row restored; None: the current row, changed
    columns: dict[str, Any]
    restated: list[Restated] = field(default_factory=list)

    @property
    def atena_number(self) -> str:
        return self.resident.atena_number

    def result(self, column: str) -> Any:
        """The value of ``column`` (an attname) in the person's record after the cancellation."""
        if self.restated:
            return self.restated[-1].value(column)
        return row_values(self.copy_of or self.current, self.columns)[column]

    def set_result(self, column: str, value: Any) -> None:
        """Change ``column`` of the person's resulting record (their last row in the draft)."""
        (self.restated[-1].columns if self.restated else self.columns)[column] = value

    @property
    def result_household(self) -> Household:
        household_id = self.result("household_id")
        for row in (self.copy_of, self.current, *(r.source for r in self.restated)):
            if row is not None and row.household_id == household_id:
                return row.household
        return Household.objects.get(pk=household_id)

    @property
    def result_status(self) -> str:
        return str(self.result("status"))

    @property
    def result_is_head(self) -> bool:
        return bool(self.result("is_head"))


def _target(change_id: int) -> tuple[Change, ChangeReason | None]:
    """The committed change to cancel and its reason; None for a 転出確定 (not a ChangeReason)."""
    target = Change.objects.filter(pk=change_id).first()
    if target is None or target.state != ChangeState.COMMITTED:
        raise refusal(
            "change_id",
            "取り消す異動が見つかりません。取り消せるのは本登録済みの異動だけです。",
            "履歴から本登録済みの異動を選んでください。確認待ちの異動は破棄してください。",
            "registry.cancel_target_not_found",
        )
    if target.reason == MOVE_OUT_CONFIRMED_REASON:
        return target, None
    try:
        reason = ChangeReason(target.reason)
    except ValueError:
        raise refusal(
            "change_id",
            "この履歴は移行などで作られたもので、取り消せる異動ではありません。",
            "誤りがある場合は職権修正または誤記修正で処理してください。",
            "registry.cancel_not_an_event",
        ) from None
    if reason in CANCELLATION_REASONS:
        raise refusal(
            "change_id",
            "異動の取消しを取り消すことはできません。",
            "元の異動が正しかった場合は、その異動を改めて入力してください。",
            "registry.cancel_of_cancellation",
        )
    if reason in GENERATION_REASONS:
        # Administrative, not a 4.1–4.5 event (4.6.0.1-a): 改製 and 再製 open a new generation.
        raise refusal(
            "change_id",
            f"{reason.value}は異動の取消しの対象ではありません。",
            f"{reason.value}後の記載に誤りがある場合は、職権修正または誤記修正で処理してください。",
            "registry.cancel_of_reorganisation",
        )
    return target, reason


def _movers(target: Change, atena_numbers: Sequence[str]) -> list[ResidentSnapshot]:
    rows = list(
        target.snapshots.filter(history_no__isnull=False)
        .select_related("resident", "household")
        .order_by("member_order", "resident__atena_number")
    )
    # The 職権 世帯主変更 the change made necessary (workflows.head_by_ex_officio) is undone with it,
    # so the former head comes back as the only head.
    followers = list(
        ResidentSnapshot.objects.filter(
            change__follows=target, change__state=ChangeState.COMMITTED, history_no__isnull=False
        )
        .select_related("resident", "household")
        .order_by("member_order", "resident__atena_number")
    )
    numbers = [n.strip() for n in atena_numbers if n.strip()]
    if not numbers:
        return rows + followers
    check_no_duplicates(numbers, field="atena_numbers")
    by_atena = {row.resident.atena_number: row for row in rows}
    if any(number not in by_atena for number in numbers):
        raise refusal(
            "atena_numbers",
            "取り消す異動の異動者でない方が指定されています。",
            "取り消す異動の異動者の宛名番号だけを指定してください（空欄なら異動者全員）。",
            "registry.not_a_mover_of_change",
        )
    selected = [row for row in rows if row.resident.atena_number in set(numbers)]
    head_returns = any((earlier := _earlier_row(row)) is not None and earlier.is_head for row in selected)
    return selected + (followers if head_returns else [])


def _check_cancellable(target: Change, row: ResidentSnapshot) -> None:
    others = Change.objects.filter(cancels=target, snapshots__resident=row.resident)
    if others.filter(state=ChangeState.COMMITTED).exists():
        raise refusal(
            "change_id",
            "この異動は、指定された方について既に取り消されています。",
            "取消し済みの異動は取り消せません。履歴を確認してください。",
            "registry.already_cancelled",
        )
    if others.filter(state=ChangeState.DRAFT).exists():
        raise refusal(
            "change_id",
            "この異動の取消しが確認待ちになっています。",
            "確認待ちの取消しを本登録するか破棄してから入力してください。",
            "registry.cancellation_pending",
        )


def _earlier_row(row: ResidentSnapshot) -> ResidentSnapshot | None:
    assert row.history_no is not None
    return (
        ResidentSnapshot.objects.filter(resident=row.resident, history_no__lt=row.history_no)
        .select_related("household")
        .order_by("-history_no")
        .first()
    )


def _with_later_changes(
    row: ResidentSnapshot, copy_of: ResidentSnapshot | None, columns: dict[str, Any]
) -> _Restore:
    """The restoring row (``copy_of`` or ``row`` with ``columns``) and the later rows re-stated on it."""
    current = row.resident.current
    assert current is not None  # a committed row's person always has a current row
    if current.pk == row.pk:
        return _Restore(row.resident, row, copy_of, columns)
    restated = restate(row_values(copy_of or row, columns), row, later_rows(row))
    return _Restore(row.resident, current, copy_of or row, columns, restated)


def _restore(row: ResidentSnapshot, kind: ChangeReason, today: date) -> _Restore:
    row = newest_statement(row)  # re-stated by an earlier cancellation: that row is the change now
    earlier = _earlier_row(row)
    # A returning person (再転入) has an earlier row, their former 除票: it comes back like any other.
    if kind is ChangeReason.CANCELLATION_REMOVAL and earlier is None:
        return _with_later_changes(
            row,
            None,
            {
                "status": ResidentStatus.REMOVED,
                "removal_reason": ChangeReason.CANCELLATION_REMOVAL,
                "removal_date": today,
                "removal_event_date": recorded_dates.to_json(today),
            },
        )
    if earlier is None:
        raise _nothing_to_restore()
    return _with_later_changes(row, earlier, {})


def _nothing_to_restore() -> DomainError:
    return refusal(
        "change_id",
        "取り消す異動の前の住民票がないため、元に戻せません。",
        "職権修正または職権消除で処理してください。",
        "registry.nothing_to_restore",
    )


def _restore_planned(row: ResidentSnapshot, today: date) -> _Restore:
    """The row before a 転出確定: its 確定 items empty, the removal date the planned one again (G.1);
    whether the person is still a 転出予定者 is decided for today, as the 転出 itself does."""
    row = newest_statement(row)
    earlier = _earlier_row(row)
    if earlier is None:
        raise _nothing_to_restore()
    columns: dict[str, Any] = {}
    if earlier.removal_reason in MOVE_OUT_REASONS and earlier.removal_date is not None:
        planned = status_on(today, earlier.removal_date) is MoveOutStatus.PLANNED_MOVER
        columns["status"] = ResidentStatus.PLANNED_MOVE_OUT if planned else ResidentStatus.REMOVED
    return _with_later_changes(row, earlier, columns)


def _place_in_households(restores: list[_Restore]) -> list[Alert]:
    """Fix member orders that collide, check 世帯主, and say when a former household is formed again."""
    movers = {r.resident.pk for r in restores}
    alerts: list[Alert] = []
    affected: dict[int, Household] = {}
    incoming: dict[int, list[_Restore]] = defaultdict(list)
    for restore in restores:
        affected[restore.current.household_id] = restore.current.household
        if restore.result_status != ResidentStatus.REMOVED:
            affected[restore.result_household.pk] = restore.result_household
            incoming[restore.result_household.pk].append(restore)
    for pk, household in affected.items():
        staying = [m for m in current_members(household) if m.resident_id not in movers]
        arriving = incoming.get(pk, [])
        # Formed again only when nobody is in it now (a returning 職権 世帯主 may still be there).
        if arriving and not staying and all(r.current.household_id != pk for r in arriving):
            alerts.append(
                Alert(
                    field="atena_numbers",
                    message="元の世帯には現在住民がいないため、取り消す方だけで元の世帯番号の世帯として戻ります。",
                    code="registry.cancel_household_formed_again",
                )
            )
        taken = {m.member_order for m in staying}
        for restore in arriving:
            order = restore.result("member_order")
            if order in taken:  # someone joined after this person left: append (ORD-2)
                order = max(taken) + 1
                restore.set_result("member_order", order)
            taken.add(order)
        heads = sum(m.is_head for m in staying) + sum(r.result_is_head for r in arriving)
        if heads > 1:
            raise refusal(
                "atena_numbers",
                "取り消すと、同じ世帯に世帯主が2人になります。",
                "後に入力した世帯主変更を先に取り消すか、同じ異動の他の異動者も一緒に取り消してください。",
                "registry.cancel_head_conflict",
            )
        if heads == 0 and (staying or arriving):
            left = [m.resident.atena_number for m in staying] + [r.atena_number for r in arriving]
            headless = headless_household_alert(left, left)
            if headless:
                alerts.append(headless)
    return alerts


def _check(
    cancellation: Cancellation, today: date
) -> tuple[Change, ChangeReason, list[_Restore], list[Alert]]:
    reason_text = cancellation.reason.strip()
    if not reason_text:
        raise refusal(
            "reason",
            "取消しの理由が入力されていません。",
            "取り消す理由（例: 届出人の錯誤）を入力してください。",
            "registry.reason_required",
        )
    if len(reason_text) > REASON_MAX_LENGTH:
        raise refusal(
            "reason",
            f"取消しの理由が{REASON_MAX_LENGTH}文字を超えています。",
            "理由を短く入力してください。",
            "registry.reason_too_long",
        )
    if cancellation.on_application:
        if cancellation.application_date is None:
            raise refusal(
                "application_date",
                "申出による取消しの申出日が入力されていません。",
                "申出を受けた日を入力してください。",
                "registry.application_date_required",
            )
        if cancellation.application_date > today:
            raise refusal(
                "application_date",
                "申出日が未来の日付です。",
                "本日以前の日付を入力してください。",
                "registry.future_application_date",
            )
    elif cancellation.application_date is not None:
        raise refusal(
            "application_date",
            "職権による取消しに申出日が入力されています。",
            "申出による取消しにするか、申出日を空欄にしてください。",
            "registry.application_date_without_application",
        )
    target, target_reason = _target(cancellation.change_id)
    # A 転出確定 amends the removal record (確定 items beside the 予定 ones): its cancellation is a 修正.
    kind = ChangeReason.CANCELLATION_AMENDMENT if target_reason is None else cancellation_of(target_reason)
    rows = _movers(target, cancellation.atena_numbers)
    if not rows:
        raise refusal(
            "change_id",
            "取り消す異動に異動者がいません。",
            "履歴から別の異動を選んでください。",
            "registry.cancel_target_not_found",
        )
    if archived_resident_ids([row.resident_id for row in rows]):
        # 4.6.0.1-b: an archived 除票 is not restored automatically; the clerk re-enters the prior data.
        raise refusal(
            "change_id",
            "取り消す異動の異動者の住民票は除票データベースに移されているため、取消しで自動的に元に戻せません。",
            "取り消す前の記載内容を職権記載または職権修正で改めて入力してください。",
            "registry.cancel_archived",
        )
    for row in rows:
        _check_cancellable(target, row)
    if target_reason is None:  # nobody changes household: only the 予定 state comes back
        return target, kind, [_restore_planned(row, today) for row in rows], []
    restores = [_restore(row, kind, today) for row in rows]
    alerts = _place_in_households(restores)
    return target, kind, restores, alerts


def record_cancellation(*, actor: Any, purpose: str, cancellation: Cancellation) -> DraftRecorded:
    """Enter a 異動の取消し as a draft (standard 4.6.0.1); another clerk commits it with commit_change."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_CANCELLATION_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    today = timezone.localdate()
    target, kind, restores, alerts = _check(cancellation, today)
    acknowledged = require_acknowledged(alerts, cancellation.acknowledged_alerts)
    alerts += services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_CANCELLATION_RECORD,
        atena_numbers=[r.atena_number for r in restores],
        household_numbers=[r.result_household.number for r in restores],
    )
    with transaction.atomic():
        change = Change.objects.create(
            reason=kind,
            change_date=today,
            notification_date=cancellation.application_date,
            notification_kind="申出" if cancellation.on_application else "職権",
            made_by=actor,
            made_at=timezone.now(),
            cancels=target,
        )
        for restore in restores:
            draft_from_current(
                restore.resident, restore.current, change, copy_of=restore.copy_of, **restore.columns
            )
            # Each re-stated row is based on the one before it in this draft (commit numbers them in order).
            assert restore.current.history_no is not None
            for based_on, step in enumerate(restore.restated, start=restore.current.history_no + 1):
                draft_from_current(
                    restore.resident,
                    restore.current,
                    change,
                    copy_of=step.source,
                    based_on_history_no=based_on,
                    restates=step.source,
                    **step.columns,
                )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_CANCELLATION_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=audit_reason(f"cancels={target.pk}", cancellation.reason.strip(), acknowledged),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(r.atena_number for r in restores),
        household_number=restores[0].result_household.number,
        alerts=tuple(alerts),
    )
