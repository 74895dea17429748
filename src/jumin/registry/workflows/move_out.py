"""転出 (move-out) as a draft: standard 4.1.3, algorithms.md G, system.md F03 (planned part).

A future planned date makes the people 転出予定者 (still residents); a date today or earlier makes them
除票. The removal date is G.1's min(P, I); the 転入通知 date I is not received by this slice, so it is P.
A notification more than 14 days after the move is recorded by 職権 (G.2).

職権転出 (standard 4.2.0.2-a): with ``ex_officio`` there is no 届出 (no 届出日): the 転出 is 届出区分 「職権」
with a 職権記録書 (workflows.ex_officio_events), its date is not in the future nor after the day the move
was found, and, like a late 転出, it is no 特例転出 (the 転出証明書 is issued on paper, if asked for).

特例転出 (F03 step 3b): when the 転入予定地's 市町村コード is given, every mover holding a valid card gets
the 特例転出サイン; their commit sends the 転出証明書情報 through the CS (``registry.special_moves``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import Alert, refusal
from jumin.domain.moveout import (
    MoveOutHandling,
    MoveOutStatus,
    late_notification_decision,
    removal_date,
    status_on,
)
from jumin.domain.resident import (
    SPECIAL_ADOPTION_DISSOLUTION_NOTE,
    SPECIAL_ADOPTION_NOTE,
    ChangeReason,
    ResidentStatus,
)
from jumin.registry import address_codes, preset_notes, services_restrictions
from jumin.registry.cards import holds_active_card
from jumin.registry.models import Change, Resident, ResidentSnapshot
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import current_of, draft_from_current
from jumin.registry.workflows import ex_officio_events
from jumin.registry.workflows.ex_officio_events import ExOfficioBasis
from jumin.registry.workflows.head_by_ex_officio import follow_up, with_follow_up
from jumin.registry.workflows.household import head_change_alert

MOVE_OUT_REASONS = (ChangeReason.DOMESTIC_MOVE_OUT, ChangeReason.MOVE_OUT_ABROAD)
DESTINATION_MAX_LENGTH = 200
#: The flag on a draft whose 転出先（予定） postal code the dictionary did not give (std 1.1.17-a).
DESTINATION_POSTAL_CODE_UNKNOWN = address_codes.unknown_alert(
    "destination_postal_code", "転出先（予定）", "registry.move_out_destination_postal_code_unknown"
)


@dataclass(frozen=True)
class MoveOut:
    """A 転出届 (standard 4.1.3): who leaves (all or part of one household), when and where to."""

    atena_numbers: Sequence[str]
    planned_date: date
    destination: str  # 転出先 (予定): an address, or the municipality alone
    notification_date: date | None  # None for a 職権転出
    reason: ChangeReason = ChangeReason.DOMESTIC_MOVE_OUT
    # 転入予定地 市町村コード (6 digits with check digit); "" when unknown (then no 特例転出).
    destination_municipality_code: str = ""
    ex_officio: ExOfficioBasis | None = None  # 職権転出 (4.2.0.2-a)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""
    # 転出先（予定）の郵便番号 as typed; "" to look it up in the address dictionary (1.1.17-a).
    destination_postal_code: str = ""


def adoptee_moving_out(move_out: MoveOut) -> bool:
    """Whether this is an adoptee's 国内転出 under a 特別養子縁組 (standard 1.1.5-b, 1.1.14-c): its
    留意事項 opens with the fixed wording 「特別養子縁組」 (not 「特別養子縁組解消」). Only then may the
    destination be left blank, so the adoptee's new home is not disclosed."""
    note = move_out.attention_note.strip()
    return (
        move_out.reason is ChangeReason.DOMESTIC_MOVE_OUT
        and note.startswith(SPECIAL_ADOPTION_NOTE)
        and not note.startswith(SPECIAL_ADOPTION_DISSOLUTION_NOTE)
    )


def _check(move_out: MoveOut, today: date) -> list[tuple[Resident, ResidentSnapshot]]:
    if move_out.reason not in MOVE_OUT_REASONS:
        raise refusal(
            "reason",
            "転出の異動事由ではありません。",
            "国内転出または国外転出を選んでください。",
            "registry.move_out_reason",
        )
    numbers = [n.strip() for n in move_out.atena_numbers]
    if not numbers or any(not n for n in numbers):
        raise refusal(
            "atena_numbers",
            "転出する方が入力されていません。",
            "転出する方の宛名番号を1人以上入力してください。",
            "registry.no_members",
        )
    if len(set(numbers)) != len(numbers):
        raise refusal(
            "atena_numbers",
            "同じ宛名番号が2回以上入力されています。",
            "1人につき1回だけ入力してください。",
            "registry.duplicate_member",
        )
    destination = move_out.destination.strip()
    if not destination and not adoptee_moving_out(move_out):
        raise refusal(
            "destination",
            "転出先が入力されていません。",
            "転出先の住所（市区町村名だけでも可。国外の場合は国名）を入力してください。"
            "特別養子縁組による転出で転出先を記載しない場合は、留意事項に「特別養子縁組」を記載してください。",
            "registry.destination_required",
        )
    if len(destination) > DESTINATION_MAX_LENGTH:
        raise refusal(
            "destination",
            f"転出先が{DESTINATION_MAX_LENGTH}文字を超えています。",
            "転出先を短く入力してください。",
            "registry.destination_too_long",
        )
    code = move_out.destination_municipality_code.strip()
    if code:
        validate_lgcode(code, field="destination_municipality_code")
        if move_out.reason is not ChangeReason.DOMESTIC_MOVE_OUT:
            raise refusal(
                "destination_municipality_code",
                "国外転出に転入予定地の市町村コードは指定できません。",
                "市町村コードを空欄にしてください。",
                "registry.destination_code_abroad",
            )
    ex_officio_events.check_basis(
        move_out.ex_officio,
        event_date=move_out.planned_date,
        notification_date=move_out.notification_date,
        field="planned_date",
    )
    if move_out.notification_date is not None and move_out.notification_date > today:
        raise refusal(
            "notification_date",
            "届出日が未来の日付です。",
            "届出を受け付けた日を入力してください。",
            "registry.future_notification",
        )
    people = [current_of(number) for number in numbers]
    for _resident, current in people:
        if current.status == ResidentStatus.REMOVED:
            raise refusal(
                "atena_numbers",
                "既に消除された方（除票）が含まれています。",
                "現に住民である方の宛名番号を入力してください。",
                "registry.not_a_resident",
            )
        if current.status == ResidentStatus.PLANNED_MOVE_OUT:
            raise refusal(
                "atena_numbers",
                "既に転出予定の方が含まれています。",
                "転出予定の内容を変える場合は、先の転出を取り消してから入力してください。",
                "registry.already_moving_out",
            )
    if len({current.household_id for _resident, current in people}) != 1:
        raise refusal(
            "atena_numbers",
            "異なる世帯の方が含まれています。",
            "転出は世帯ごとに入力してください。",
            "registry.members_of_several_households",
        )
    return people


def record_move_out(*, actor: Any, purpose: str, move_out: MoveOut) -> DraftRecorded:
    """Enter a 転出 as a draft (standard 4.1.3); another clerk commits it with ``commit_change``."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_MOVE_OUT_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    today = timezone.localdate()
    people = _check(move_out, today)
    note = preset_notes.checked_note(move_out.attention_note)
    removal = removal_date(move_out.planned_date, None)  # no 転入通知 yet (G.1, MO-4)
    status = (
        ResidentStatus.PLANNED_MOVE_OUT
        if status_on(today, removal) is MoveOutStatus.PLANNED_MOVER
        else ResidentStatus.REMOVED
    )
    # A 職権転出 has no 届出日 to be late against; it is 職権 by itself (G.2 decides only for a 届出).
    notified = move_out.notification_date
    decision = late_notification_decision(move_out.planned_date, notified) if notified is not None else None
    ex_officio = move_out.ex_officio is not None or (
        decision is not None and decision.handling is MoveOutHandling.EX_OFFICIO
    )
    alerts: list[Alert] = [decision.alert] if decision is not None and decision.alert else []
    household = people[0][1].household
    head_alert = head_change_alert(household, {resident.atena_number for resident, _ in people})
    if head_alert:
        alerts.append(head_alert)
    alerts += services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_MOVE_OUT_RECORD,
        atena_numbers=[resident.atena_number for resident, _ in people],
    )
    destination = address_codes.codes_of(
        move_out.destination,
        move_out.destination_postal_code,
        domestic=move_out.reason is ChangeReason.DOMESTIC_MOVE_OUT,
        field="destination_postal_code",
        label="転出先（予定）",
    )
    if destination.unknown:
        alerts.append(DESTINATION_POSTAL_CODE_UNKNOWN)
    columns = ex_officio_events.change_columns(move_out.ex_officio, notified)
    if ex_officio and move_out.ex_officio is None:
        columns["notification_kind"] = ex_officio_events.EX_OFFICIO  # a late 転出 keeps its 届出日
    with transaction.atomic():
        change = Change.objects.create(
            reason=move_out.reason,
            change_date=move_out.planned_date,
            **columns,
            made_by=actor,
            made_at=timezone.now(),
            attention_note=note,
        )
        if move_out.ex_officio is not None:
            ex_officio_events.write_record(change, move_out.ex_officio, action=change.reason)
        code = move_out.destination_municipality_code.strip()
        for resident, current in people:
            draft_from_current(
                resident,
                current,
                change,
                status=status,
                removal_reason=move_out.reason,
                removal_date=removal,
                planned_destination=move_out.destination.strip(),
                planned_destination_code=code,
                planned_destination_postal_code=destination.postal_code,
                planned_destination_address_code=destination.address_code,
                planned_destination_postal_unknown=destination.unknown,
                # A late notification (職権, G.2) is not a 特例転出: the 転出証明書 is issued on paper.
                special_move_out=bool(code) and not ex_officio and holds_active_card(resident),
            )
        leavers = {resident.atena_number for resident, _ in people}
        follow = follow_up(actor=actor, purpose=purpose, primary=change, household=household, leavers=leavers)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_MOVE_OUT_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=ex_officio_events.audit_reason(move_out.ex_officio),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(resident.atena_number for resident, _ in people),
        household_number=household.number,
        alerts=tuple(with_follow_up(alerts, follow)),
    )
