"""死亡 as a draft: standard 4.2.2.1, system.md F07. Recorded by 職権 from the 死亡届 (a 戸籍 filing).

The person becomes a 除票 with 消除事由 死亡 and 消除日 = the date of death; a 不詳 date keeps the
pattern entered (standard 1.1.8) and its sortable day is used as the removal date.
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
from jumin.domain import recorded_dates
from jumin.domain.errors import Alert, refusal
from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.domain.uncertain_dates import UncertainDate
from jumin.registry import preset_notes, services_restrictions
from jumin.registry.honseki_candidates import honseki_update
from jumin.registry.models import Change
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import current_of, draft_from_current
from jumin.registry.workflows.head_by_ex_officio import follow_up, with_follow_up
from jumin.registry.workflows.household import head_change_alert

INFORMANT_MAX_LENGTH = 40


@dataclass(frozen=True)
class Death:
    """A death notified from the 戸籍 side: who, when (possibly 不詳), when notified, by whom."""

    atena_number: str
    death_date: RecordedDate
    notification_date: date
    # 届出人の資格 (e.g. 「同居の親族」): validated but not stored, the snapshot has no field for it.
    informant: str = ""
    # 本籍・筆頭者 of the 死亡届 when the record's differ (e.g. 「不明」); blank keeps the record's. The
    # screen and API offer the household's as candidates (standard 4.2.0.3-a; honseki_candidates).
    honseki: str = ""
    hittousha: str = ""
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


def record_death(*, actor: Any, purpose: str, death: Death) -> DraftRecorded:
    """Enter a 死亡 as a draft (standard 4.2.2.1); another clerk commits it with ``commit_change``."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_DEATH_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    note = preset_notes.checked_note(death.attention_note)
    today = timezone.localdate()
    died = recorded_dates.sort_date_of(death.death_date)
    exact = not isinstance(death.death_date, UncertainDate)
    if exact and died > today:
        raise refusal(
            "death_date",
            "死亡日が未来の日付です。",
            "死亡届に記載された死亡日を入力してください。",
            "registry.future_death",
        )
    if death.notification_date > today:
        raise refusal(
            "notification_date",
            "届出日が未来の日付です。",
            "届出を受け付けた日を入力してください。",
            "registry.future_notification",
        )
    if exact and death.notification_date < died:
        raise refusal(
            "notification_date",
            "届出日が死亡日より前です。",
            "死亡日以後の日付を届出日に入力してください。",
            "registry.notified_before_death",
        )
    if len(death.informant.strip()) > INFORMANT_MAX_LENGTH:
        raise refusal(
            "informant",
            f"届出人の資格が{INFORMANT_MAX_LENGTH}文字を超えています。",
            "「同居の親族」のように短く入力してください。",
            "registry.informant_too_long",
        )
    resident, current = current_of(death.atena_number.strip())
    if current.status == ResidentStatus.REMOVED:
        raise refusal(
            "atena_number",
            "この方は既に消除されています（除票）。",
            "現に住民である方の宛名番号を入力してください。",
            "registry.not_a_resident",
        )
    if exact and died < current.birth_sort_date:
        raise refusal(
            "death_date",
            "死亡日が生年月日より前です。",
            "死亡日を確認してください。",
            "registry.death_before_birth",
        )
    honseki = honseki_update(death.honseki, death.hittousha, current)
    alerts: list[Alert] = []
    head_alert = head_change_alert(current.household, {resident.atena_number})
    if head_alert:
        alerts.append(head_alert)
    alerts += services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_DEATH_RECORD,
        atena_numbers=[resident.atena_number],
    )
    with transaction.atomic():
        change = Change.objects.create(
            reason=ChangeReason.DEATH,
            change_date=died,
            notification_date=death.notification_date,
            notification_kind="職権",  # recorded ex officio from the 戸籍 filing (standard 4.2.2.1)
            made_by=actor,
            made_at=timezone.now(),
            attention_note=note,
        )
        draft_from_current(
            resident,
            current,
            change,
            status=ResidentStatus.REMOVED,
            removal_reason=ChangeReason.DEATH,
            removal_date=died,
            removal_event_date=recorded_dates.to_json(death.death_date),
            **honseki,
        )
        follow = follow_up(
            actor=actor,
            purpose=purpose,
            primary=change,
            household=current.household,
            leavers={resident.atena_number},
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_DEATH_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=(resident.atena_number,),
        household_number=current.household.number,
        alerts=tuple(with_follow_up(alerts, follow)),
    )
