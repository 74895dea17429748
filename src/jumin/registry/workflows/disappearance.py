"""失踪 and 失踪宣告の取消し as drafts (standard 4.2.2.2-a, 1.1.8-a; records.md §7 職権消除/職権記載).

A 失踪宣告 reaches the registry as the 本籍地's notice (住基法9条2項) or the 失踪届. The person is
removed by 職権消除: the 異動事由 stays the standard 「職権消除」 (1.2.2-a keeps a one-to-one mapping of
reasons), the 除票's 消除事由 is 「失踪宣告」, and the date of deemed death (失踪期間満了日) is kept as
entered, 不詳 forms included (like 死亡, see death.py), with its sortable day as the 消除日.

The revocation of a 失踪宣告 (民法32条) is a new 職権記載 of the same person, not an 異動の取消し:
the removal was right when it was made (a court decision notified by the 本籍地), and 異動の取消し
would put the person back into the former household and address (4.6.0.1-d), which after a
失踪期間 of years is rarely where they live. The clerk enters where the person lives now; the
宛名番号 and 住民票コード are reused, as on a 再転入. docs/workflows/disappearance.md.
"""

from __future__ import annotations

from collections.abc import Collection
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
from jumin.domain.errors import Alert, refusal
from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.relationships import RelationshipKind, parse_relationship
from jumin.domain.resident import DISAPPEARANCE_REMOVAL_REASON, ResidentStatus
from jumin.domain.uncertain_dates import UncertainDate
from jumin.registry import numbering, preset_notes, services_restrictions
from jumin.registry.honseki_candidates import honseki_update
from jumin.registry.models import Change, Household
from jumin.registry.services import Address, DraftRecorded
from jumin.registry.snapshots import current_of, draft_from_current
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.ex_officio import ExOfficioAction, RecordBook, _write
from jumin.registry.workflows.head_by_ex_officio import follow_up, with_follow_up
from jumin.registry.workflows.household import head_change_alert
from jumin.registry.workflows.household_members import existing_household

MUNICIPALITY_MAX_LENGTH = 60
TEXT_MAX_LENGTH = 200
LEGAL_BASIS = "住民基本台帳法第8条、同法施行令第12条（同法第9条第2項の通知）"


@dataclass(frozen=True)
class FamilyRegisterNotice:
    """The 本籍地's notice (法9条2項) a 失踪 action follows: when it arrived and who sent it."""

    notice_date: date
    notifying_municipality: str
    findings: str = ""


@dataclass(frozen=True)
class Disappearance:
    """A 失踪宣告: who, the date of deemed death as entered (不詳 allowed), the court's final date."""

    atena_number: str
    deemed_death_date: RecordedDate
    decision_date: date
    notice: FamilyRegisterNotice
    # 本籍・筆頭者 of the notice when the record's differ; blank keeps the record's (standard 4.2.0.3-a).
    honseki: str = ""
    hittousha: str = ""
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


@dataclass(frozen=True)
class DisappearanceRevocation:
    """失踪宣告の取消し: the person is recorded again where they live now (a new or existing household)."""

    atena_number: str
    revocation_date: date
    notice: FamilyRegisterNotice
    address: Address
    address_set_date: RecordedDate
    household_number: str | None = None
    relationship: str = "世帯主"
    previous_address: str = "不明"
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


def _authorize(actor: Any, purpose: str) -> None:
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_DISAPPEARANCE_RECORD,
        purpose=purpose,
        subject_type="change",
    )


def _check_notice(notice: FamilyRegisterNotice, decided: date, today: date) -> None:
    """The notice date is not in the future and not before the court decision it reports."""
    if notice.notice_date > today:
        raise refusal(
            "notice_date",
            "通知日が未来の日付です。",
            "本籍地からの通知（または届出）を受けた日を入力してください。",
            "registry.future_notification",
        )
    if decided > notice.notice_date:
        raise refusal(
            "decision_date",
            "裁判の確定日が通知日より後です。",
            "通知に記載された裁判確定日を入力してください。",
            "registry.decision_after_notice",
        )
    municipality = notice.notifying_municipality.strip()
    if not municipality or len(municipality) > MUNICIPALITY_MAX_LENGTH:
        raise refusal(
            "notifying_municipality",
            f"通知した市区町村が空欄か、{MUNICIPALITY_MAX_LENGTH}文字を超えています。",
            "通知を送った本籍地の市区町村名を入力してください（例: 長崎県佐世保市）。",
            "registry.notifying_municipality_required",
        )
    if len(notice.findings.strip()) > TEXT_MAX_LENGTH:
        raise refusal(
            "findings",
            f"確認した事実が{TEXT_MAX_LENGTH}文字を超えています。",
            "短く入力してください。",
            "registry.record_book_too_long",
        )


def _book(notice: FamilyRegisterNotice, grounds: str, default_findings: str) -> RecordBook:
    """The 職権記録書 of a 失踪 action: the 戸籍 notice is the fact found (4.2.0.1-a, 4.2.0.4-a)."""
    return RecordBook(
        legal_basis=LEGAL_BASIS,
        found_on=notice.notice_date,
        grounds=f"{grounds}（{notice.notifying_municipality.strip()}からの通知）",
        findings=notice.findings.strip() or default_findings,
    )


def _audit(actor: Any, purpose: str, change: Change, action: ExOfficioAction, acknowledged: str) -> None:
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_DISAPPEARANCE_RECORD,
        subject_type="change",
        subject_id=str(change.pk),
        purpose=purpose,
        reason=audit_reason(action.value, acknowledged),
    )


def record_disappearance(*, actor: Any, purpose: str, disappearance: Disappearance) -> DraftRecorded:
    """Enter the 職権消除 of a 失踪宣告 as a draft (standard 4.2.2.2-a); another clerk commits it."""
    _authorize(actor, purpose)
    note = preset_notes.checked_note(disappearance.attention_note)
    today = timezone.localdate()
    deemed = recorded_dates.sort_date_of(disappearance.deemed_death_date)
    exact = not isinstance(disappearance.deemed_death_date, UncertainDate)
    if disappearance.decision_date > today:
        raise refusal(
            "decision_date",
            "裁判の確定日が未来の日付です。",
            "通知に記載された失踪宣告の裁判確定日を入力してください。",
            "registry.future_decision",
        )
    _check_notice(disappearance.notice, disappearance.decision_date, today)
    # The 失踪期間 ends before the court can declare it (民法30条・31条).
    if exact and deemed > disappearance.decision_date:
        raise refusal(
            "deemed_death_date",
            "死亡とみなされる日が裁判の確定日より後です。",
            "通知に記載された「死亡とみなされる日」（失踪期間満了日）を入力してください。",
            "registry.deemed_death_after_decision",
        )
    resident, current = current_of(disappearance.atena_number.strip())
    if current.status == ResidentStatus.REMOVED:
        raise refusal(
            "atena_number",
            "この方は既に消除されています（除票）。",
            "現に住民である方の宛名番号を入力してください。",
            "registry.not_a_resident",
        )
    if exact and deemed < current.birth_sort_date:
        raise refusal(
            "deemed_death_date",
            "死亡とみなされる日が生年月日より前です。",
            "死亡とみなされる日を確認してください。",
            "registry.death_before_birth",
        )
    honseki = honseki_update(disappearance.honseki, disappearance.hittousha, current)
    head_alert = head_change_alert(current.household, {resident.atena_number})
    alerts: list[Alert] = [head_alert] if head_alert else []
    alerts += services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_DISAPPEARANCE_RECORD,
        atena_numbers=[resident.atena_number],
    )
    action = ExOfficioAction.REMOVAL
    book = _book(
        disappearance.notice,
        "失踪宣告",
        f"失踪宣告の裁判確定日 {disappearance.decision_date.isoformat()}",
    )
    with transaction.atomic():
        change = _write(
            actor=actor,
            action=action,
            change_date=deemed,
            record=book,
            # The missing person cannot be sent a notice, and no notification was missed (4.2.0.1-a).
            notice_required=False,
            notification_date=disappearance.notice.notice_date,
            attention_note=note,
        )
        draft_from_current(
            resident,
            current,
            change,
            status=ResidentStatus.REMOVED,
            removal_reason=DISAPPEARANCE_REMOVAL_REASON,
            removal_date=deemed,
            removal_event_date=recorded_dates.to_json(disappearance.deemed_death_date),
            **honseki,
        )
        follow = follow_up(
            actor=actor,
            purpose=purpose,
            primary=change,
            household=current.household,
            leavers={resident.atena_number},
        )
        _audit(actor, purpose, change, action, "")
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=(resident.atena_number,),
        household_number=current.household.number,
        alerts=tuple(with_follow_up(alerts, follow)),
    )


def _household_columns(revocation: DisappearanceRevocation) -> dict[str, Any]:
    """世帯 columns of the recorded person: head of a new household, or a member appended to one."""
    relationship = parse_relationship(revocation.relationship, field="relationship")
    is_head = relationship.kind is RelationshipKind.HEAD
    if revocation.household_number is None:
        if not is_head:
            raise refusal(
                "relationship",
                "新しい世帯には世帯主が1人必要です。",
                "続柄を「世帯主」にするか、加わる世帯の世帯番号を入力してください。",
                "registry.one_head_required",
            )
        household = Household.objects.create(number=numbering.issue_number(numbering.HOUSEHOLD))
        return {"household": household, "is_head": True, "relationship": relationship.text, "member_order": 1}
    if is_head:
        raise refusal(
            "relationship",
            "既存の世帯に世帯主として記載することはできません。",
            "世帯主の変更は世帯変更（世帯主変更）で処理してください。",
            "registry.head_joins_household",
        )
    household, members = existing_household(revocation.household_number.strip(), field="household_number")
    order = max(member.current.member_order for member in members) + 1  # joiners are appended (ORD-2)
    columns = {"household": household, "is_head": False, "relationship": relationship.text}
    return {**columns, "member_order": order}


def record_disappearance_revocation(
    *, actor: Any, purpose: str, revocation: DisappearanceRevocation
) -> DraftRecorded:
    """Enter the 職権記載 after a 失踪宣告 is revoked, reusing the person's 宛名番号 (docstring above)."""
    _authorize(actor, purpose)
    note = preset_notes.checked_note(revocation.attention_note)
    today = timezone.localdate()
    if revocation.revocation_date > today:
        raise refusal(
            "revocation_date",
            "取消しの裁判確定日が未来の日付です。",
            "通知に記載された裁判確定日を入力してください。",
            "registry.future_decision",
        )
    _check_notice(revocation.notice, revocation.revocation_date, today)
    if not revocation.address.address.strip():
        raise refusal(
            "address",
            "住所が入力されていません。",
            "現に住んでいる場所を入力してください。",
            "registry.address_required",
        )
    address_set = recorded_dates.sort_date_of(revocation.address_set_date)
    if address_set > today:
        raise refusal(
            "address_set_date",
            "住所を定めた日が未来の日付です。",
            "本日以前の日付を入力してください（standard 4.0.3-a）。",
            "registry.future_event_date",
        )
    if len(revocation.previous_address.strip()) > TEXT_MAX_LENGTH:
        raise refusal(
            "previous_address",
            f"前住所が{TEXT_MAX_LENGTH}文字を超えています。",
            "短く入力してください（分からない場合は「不明」）。",
            "registry.previous_address_too_long",
        )
    resident, current = current_of(revocation.atena_number.strip())
    if current.status != ResidentStatus.REMOVED or current.removal_reason != DISAPPEARANCE_REMOVAL_REASON:
        raise refusal(
            "atena_number",
            "この方は失踪宣告により消除された方ではありません。",
            "失踪宣告で消除された方（除票）の宛名番号を入力してください。",
            "registry.not_removed_by_disappearance",
        )
    acknowledged = require_acknowledged([], revocation.acknowledged_alerts)
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_DISAPPEARANCE_RECORD,
        atena_numbers=[resident.atena_number],
        household_numbers=[(revocation.household_number or "").strip()],
    )
    action = ExOfficioAction.RECORDING
    book = _book(
        revocation.notice,
        "失踪宣告の取消し",
        f"失踪宣告取消しの裁判確定日 {revocation.revocation_date.isoformat()}",
    )
    set_json = recorded_dates.to_json(revocation.address_set_date)
    with transaction.atomic():
        household_columns = _household_columns(revocation)
        change = _write(
            actor=actor,
            action=action,
            change_date=address_set,
            record=book,
            notice_required=False,  # follows the 戸籍 notice; no notification was missed (4.2.0.1-a)
            notification_date=revocation.notice.notice_date,
            attention_note=note,
        )
        draft_from_current(
            resident,
            current,
            change,
            status=ResidentStatus.RESIDENT,
            removal_reason="",
            removal_date=None,
            removal_event_date=None,
            planned_destination="",
            postal_code=revocation.address.postal_code,
            address_code=revocation.address.address_code,
            address=revocation.address.address.strip(),
            katagaki=revocation.address.katagaki,
            previous_address=revocation.previous_address.strip(),
            became_resident_date=set_json,
            became_resident_reason=action.value,
            address_set_date=set_json,
            **household_columns,
        )
        _audit(actor, purpose, change, action, acknowledged)
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=(resident.atena_number,),
        household_number=household_columns["household"].number,
        alerts=tuple(entry_alerts),
    )
