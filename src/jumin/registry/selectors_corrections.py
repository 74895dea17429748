"""Reads for 異動の取消し and 職権: a person's changes with their links, and the 職権記載等通知書 data.

Both read personal data, so both are authorised and audited in one transaction (controls.md C-42),
and both see only committed changes (drafts are invisible, standard 4.0.8-b).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import dropwhile
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize, mask, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_results
from jumin.domain import recorded_dates
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import CANCELLATION_REASONS, GENERATION_REASONS, ChangeReason, cancellation_of
from jumin.registry.models import Change, ChangeState, ExOfficioRecord, ResidentSnapshot
from jumin.registry.outbox import MOVE_OUT_CONFIRMED_REASON
from jumin.registry.workflows.cancellation_replay import undone_rows
from jumin.registry.workflows.ex_officio import CORRECTABLE_ITEMS

_MASKED_ITEMS = {"honseki": Permission.FIELD_HONSEKI_VIEW, "hittousha": Permission.FIELD_HONSEKI_VIEW}


@dataclass(frozen=True)
class HistoryEntry:
    """One committed row of a person with its change, and what later happened to it.

    ``cancelled_by`` is the change that cancelled this one for this person; ``corrected_by`` the
    履歴番号 of the 誤記修正 row that corrected an error entered in this row (the row stays).
    ``restates`` (a row of an 異動の取消し) is the change this row re-states on the restored record,
    ``restated_in`` (an original row) the 履歴番号 of its re-statement (standard 4.6.0.1-a).
    """

    history_no: int
    change_id: int
    reason: str
    change_date: str
    notification_kind: str
    status: str
    household_number: str
    relationship: str
    address: str
    katagaki: str
    cancels: int | None
    cancelled_by: int | None
    corrected_by: int | None
    cancellable: bool
    restates: int | None = None
    restated_in: int | None = None


def _is_cancellable_reason(reason: str) -> bool:
    # A 転出確定 is cancelled back to the 予定 state (workflows.cancellation._restore_planned).
    if reason == MOVE_OUT_CONFIRMED_REASON:
        return True
    # A 改製 or 再製 is administrative and opens a generation: never cancelled (cancellation._target).
    return (
        reason in {r.value for r in ChangeReason}
        and reason not in CANCELLATION_REASONS
        and reason not in GENERATION_REASONS
    )


def _replays_later(reason: str) -> bool:
    """Whether a change of this reason can be cancelled under later changes (they are re-stated,
    standard 4.6.0.1-a): an amendment. Undoing a recording or a removal changes the kind of record
    (resident or 除票) every later change was made on, so those are cancelled latest first."""
    if reason == MOVE_OUT_CONFIRMED_REASON:
        return True
    return cancellation_of(ChangeReason(reason)) is ChangeReason.CANCELLATION_AMENDMENT


def _nothing_on_top(rows: list[ResidentSnapshot], row_id: int) -> bool:
    """Whether every row after ``row_id`` is undone (cancelled with its cancellation, or re-stated)."""
    later = list(dropwhile(lambda row: row.pk != row_id, rows))[1:]
    return len(undone_rows(later)) == len(later)


def _standing_row_ids(rows: list[ResidentSnapshot]) -> dict[int, int]:
    """Each row's id mapped to the id of its newest re-statement (itself when never re-stated)."""
    restated = {row.restates_id: row.pk for row in rows if row.restates_id is not None}
    standing: dict[int, int] = {}
    for row in rows:
        newest = row.pk
        while newest in restated:
            newest = restated[newest]
        standing[row.pk] = newest
    return standing


def change_history(*, actor: Any, purpose: str, atena_number: str) -> list[HistoryEntry]:
    """Every committed row of one person, oldest first, marked with cancellations and corrections."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_HISTORY_VIEW,
        purpose=purpose,
        subject_type="resident",
        subject_id=atena_number,
    )
    with transaction.atomic():
        rows = list(
            ResidentSnapshot.objects.filter(resident__atena_number=atena_number, history_no__isnull=False)
            .select_related("change", "household", "resident", "restates")
            .order_by("history_no")
        )
        if not rows:
            raise DomainError(
                field="atena_number",
                reason="該当する住民が見つかりません。",
                remedy="宛名番号を確認してください。",
                code="registry.resident_not_found",
            )
        resident = rows[0].resident
        history_of_change = {row.change_id: row.history_no for row in rows}
        cancelled_by = dict(
            Change.objects.filter(
                cancels_id__in=list(history_of_change),
                state=ChangeState.COMMITTED,
                snapshots__resident=resident,
            ).values_list("cancels_id", "pk")
        )
        restated_in = {row.restates_id: row.history_no for row in rows if row.restates_id is not None}
        standing = _standing_row_ids(rows)
        corrected_by: dict[int, int] = {}
        for record in ExOfficioRecord.objects.filter(change_id__in=list(history_of_change)):
            wrong = record.corrected_rows.get(atena_number)
            if wrong is not None:
                corrected_by[int(wrong)] = int(history_of_change[record.change_id] or 0)
        entries = [
            HistoryEntry(
                history_no=int(row.history_no or 0),
                change_id=row.change_id,
                reason=row.change.reason,
                change_date=row.change.change_date.isoformat(),
                notification_kind=row.change.notification_kind,
                status=row.status,
                household_number=row.household.number,
                relationship=row.relationship,
                address=row.address,
                katagaki=row.katagaki,
                cancels=row.change.cancels_id,
                cancelled_by=cancelled_by.get(row.change_id),
                corrected_by=corrected_by.get(int(row.history_no or 0)),
                cancellable=(
                    row.change_id not in cancelled_by
                    and _is_cancellable_reason(row.change.reason)
                    and (_nothing_on_top(rows, standing[row.pk]) or _replays_later(row.change.reason))
                ),
                restates=row.restates.change_id if row.restates is not None else None,
                restated_in=restated_in.get(row.pk),
            )
            for row in rows
        ]
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_HISTORY_VIEW,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
        )
    return entries


@dataclass(frozen=True)
class NoticeItem:
    """One corrected item: its label, the value before and the value after."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class NoticePerson:
    """Who the notice is about and where it is sent (the row after the action)."""

    atena_number: str
    name: str
    address: str
    katagaki: str
    items: list[NoticeItem]


@dataclass(frozen=True)
class ExOfficioNotice:
    """The contents of a 職権記載等通知書 (standard 4.2.0.1-a): what, on which basis, when, for whom."""

    change_id: int
    action: str
    legal_basis: str
    grounds: str
    change_date: str
    committed_on: str
    notice_required: bool
    minor_case: str
    persons: list[NoticePerson]


def _shown(item: str, row: ResidentSnapshot, visible: frozenset[Permission]) -> str:
    if item == "birth_date":
        return recorded_dates.display(recorded_dates.from_json(row.birth_date))
    value = str(getattr(row, item))
    permission = _MASKED_ITEMS.get(item)
    return mask(value, visible=permission in visible) if permission and value else value


def _committed_ex_officio_record(change_id: int) -> ExOfficioRecord:
    record = (
        ExOfficioRecord.objects.select_related("change", "change__made_by", "change__reviewed_by")
        .filter(change_id=change_id, change__state=ChangeState.COMMITTED)
        .first()
    )
    if record is None:
        raise refusal(
            "change_id",
            "本登録済みの職権による異動が見つかりません。",
            "異動番号を確認してください。確認待ちの異動の通知書は作れません。",
            "registry.no_such_ex_officio_change",
        )
    return record


def _notice_contents(record: ExOfficioRecord, visible: frozenset[Permission]) -> ExOfficioNotice:
    """What the change did to each person (items before and after, C-10 masked) and on which basis."""
    persons = []
    for row in record.change.snapshots.select_related("resident").order_by("member_order"):
        before = ResidentSnapshot.objects.filter(
            resident=row.resident, history_no=row.based_on_history_no
        ).first()
        items = [
            NoticeItem(
                label=CORRECTABLE_ITEMS[item],
                before=_shown(item, before, visible) if before else "",
                after=_shown(item, row, visible),
            )
            for item in record.changed_items
        ]
        persons.append(
            NoticePerson(
                atena_number=row.resident.atena_number,
                name=f"{row.surname}　{row.given_name}".strip("　"),
                address=row.address,
                katagaki=row.katagaki,
                items=items,
            )
        )
    reviewed = record.change.reviewed_at
    return ExOfficioNotice(
        change_id=record.change_id,
        action=record.action,
        legal_basis=record.legal_basis,
        grounds=record.grounds,
        change_date=record.change.change_date.isoformat(),
        committed_on=timezone.localtime(reviewed).date().isoformat() if reviewed else "",
        notice_required=record.notice_required,
        minor_case=record.minor_case,
        persons=persons,
    )


def ex_officio_notice(*, actor: Any, purpose: str, change_id: int) -> ExOfficioNotice:
    """The data of the 職権記載等通知書 of one committed ex officio change, audited as viewed."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_EX_OFFICIO_NOTICE_VIEW,
        purpose=purpose,
        subject_type="change",
        subject_id=str(change_id),
    )
    with transaction.atomic():
        notice = _notice_contents(_committed_ex_officio_record(change_id), visible_fields(actor))
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_EX_OFFICIO_NOTICE_VIEW,
            subject_type="change",
            subject_id=str(change_id),
            purpose=purpose,
        )
    return notice


@dataclass(frozen=True)
class ExOfficioRecordSheet:
    """The 職権記録書 itself (standard 4.2.0.1-a, 施行令12条): the notice's contents and the office's own
    facts — when the facts were found, what was found and in which documents, who entered and who
    decided the change. Internal: never sent to the person."""

    notice: ExOfficioNotice
    found_on: str
    findings: str
    entered_by: str
    entered_on: str
    decided_by: str
    # The change's 届出日: the 申出日 of an action on application (4.2.0.5-a), else the 戸籍届出・通知日.
    on_application: bool
    notified_on: str


def ex_officio_record_sheet(*, actor: Any, purpose: str, change_id: int) -> ExOfficioRecordSheet:
    """The 職権記録書 of one committed ex officio change, audited as viewed, naming each person on it."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_EX_OFFICIO_RECORD_VIEW,
        purpose=purpose,
        subject_type="change",
        subject_id=str(change_id),
    )
    with transaction.atomic():
        record = _committed_ex_officio_record(change_id)
        change = record.change
        sheet = ExOfficioRecordSheet(
            notice=_notice_contents(record, visible_fields(actor)),
            found_on=record.found_on.isoformat(),
            findings=record.findings,
            entered_by=str(change.made_by) if change.made_by else "",
            entered_on=timezone.localtime(change.made_at).date().isoformat() if change.made_at else "",
            decided_by=str(change.reviewed_by) if change.reviewed_by else "",
            on_application=change.notification_kind == "申出",
            notified_on=change.notification_date.isoformat() if change.notification_date else "",
        )
        # Every person on the sheet is named, so their access history finds the entry (C-42, C-48).
        record_results(
            actor,
            "resident",
            [person.atena_number for person in sheet.notice.persons],
            purpose,
            "change_id",
            action=AuditAction.RESIDENT_EX_OFFICIO_RECORD_VIEW,
            reason=f"change {change_id}",
        )
    return sheet
