"""住基法30条の46 and 30条の47 registrations of foreign residents (standard 4.5.1-a, 4.5.2-a) as drafts.

Both are recorded as a 国外転入等 (records.md §7), like a move-in from abroad, with these differences:

* 30条の46: a 中長期在留者, 特別永住者, 一時庇護許可者 or 仮滞在許可者 arriving from abroad notifies within
  14 days of setting an address. The 外国人住民となった年月日 is the day the address was set.
* 30条の47: a person already living here becomes one of those categories (e.g. a short-term visitor
  granted a status of residence) and notifies within 14 days of becoming one. The 外国人住民となった
  年月日 is that day; the address may have been set earlier.

転入前住所 may be blank (4.5.1-a). A notification more than 14 days late is an alert the clerk must
acknowledge. The notification doubles as the 入管法 residence notification (住居地届出, 1.1.2-c): the
30条の45 items record that it was made, the basis, and whether the person came in on a landing permit.
A 経過滞在者 (by birth or loss of nationality) is recorded by those workflows, never here.

A person known by their 住民票コード or 在留カード番号 who has a 除票 here is a returning resident:
their 宛名番号 is reused (standard 4.1.1.2-a); one who is still a resident is refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.errors import Alert, refusal
from jumin.domain.relationships import RelationshipKind
from jumin.domain.resident import (
    ChangeReason,
    PersonFacts,
    ResidentKind,
    ResidentStatus,
    check_person,
    with_checked_relationship_proof,
)
from jumin.registry import numbering, preset_notes, services_restrictions
from jumin.registry.models import Change, Resident, ResidentSearchKey, ResidentSnapshot
from jumin.registry.removed_archive import archived_keys
from jumin.registry.services import (
    Address,
    DraftRecorded,
    _household_for,
    _member_order,
    _person_columns,
    _possible_duplicates,
    returning_resident,
)
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.household_members import LATE_NOTIFICATION_DAYS

REGISTRABLE_CATEGORIES = ("中長期在留者", "特別永住者", "一時庇護許可者", "仮滞在許可者")
TEXT_MAX_LENGTH = 200


class RegistrationBasis(StrEnum):
    """Which article the notification is made under."""

    ARRIVAL = "法30条の46"
    STATUS_ACQUIRED = "法30条の47"


@dataclass(frozen=True)
class ForeignRegistration:
    """A 30条の46 or 30条の47 notification for ``members`` at ``address``.

    ``became_foreign_resident_on`` is required for 30条の47 (the day the person became a
    中長期在留者 etc.); for 30条の46 it is the day the address was set and may be omitted.
    """

    basis: RegistrationBasis
    members: Sequence[PersonFacts]
    address: Address
    address_set_date: date
    notification_date: date
    previous_address: str = ""
    became_foreign_resident_on: date | None = None
    household_number: str | None = None
    landing_permit: bool = False
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


def _start_date(registration: ForeignRegistration) -> date:
    """The 外国人住民となった年月日, from which the 14 days run."""
    became = registration.became_foreign_resident_on
    if registration.basis is RegistrationBasis.ARRIVAL:
        if became is not None and became != registration.address_set_date:
            raise refusal(
                "became_foreign_resident_on",
                "法30条の46の届出では、外国人住民となった日は住所を定めた日です。",
                "外国人住民となった日を空欄にするか、住所を定めた日と同じ日にしてください。",
                "registry.arrival_start_is_address_date",
            )
        return registration.address_set_date
    if became is None:
        raise refusal(
            "became_foreign_resident_on",
            "中長期在留者等となった日が入力されていません。",
            "在留資格の取得・変更等により中長期在留者等となった日を入力してください。",
            "registry.status_date_required",
        )
    if became < registration.address_set_date:
        raise refusal(
            "became_foreign_resident_on",
            "中長期在留者等となった日が住所を定めた日より前です。",
            "既に中長期在留者等である方が国外から来て住所を定めた場合は、法30条の46の届出として入力してください。",
            "registry.status_before_address",
        )
    return became


def _check_dates(registration: ForeignRegistration, start: date, today: date) -> list[Alert]:
    for name, label, value in (
        ("address_set_date", "住所を定めた日", registration.address_set_date),
        ("became_foreign_resident_on", "中長期在留者等となった日", start),
        ("notification_date", "届出日", registration.notification_date),
    ):
        if value > today:
            raise refusal(
                name,
                f"{label}が未来の日付です。",
                "本日以前の日付を入力してください。",
                "registry.future_event_date",
            )
    if registration.notification_date < start:
        raise refusal(
            "notification_date",
            "届出日が外国人住民となった日より前です。",
            "外国人住民となった日以後の日付を届出日に入力してください。",
            "registry.notified_before_move",
        )
    if (registration.notification_date - start).days > LATE_NOTIFICATION_DAYS:
        what = (
            "住所を定めた日"
            if registration.basis is RegistrationBasis.ARRIVAL
            else "中長期在留者等となった日"
        )
        return [
            Alert(
                field="notification_date",
                message=f"{what}から14日を超えた届出です（{registration.basis.value}）。",
                code="registry.late_foreign_registration",
            )
        ]
    return []


def _check_member(facts: PersonFacts, index: int) -> PersonFacts:
    if facts.kind is not ResidentKind.FOREIGN:
        raise refusal(
            f"members[{index}].kind",
            "法30条の46・47の届出は外国人住民の届出です。",
            "日本人の方は転入届として入力してください。",
            "registry.foreign_registration_japanese",
        )
    # The category first: a 経過滞在者 belongs to 出生 or 国籍喪失, whatever else is missing.
    if facts.foreign is not None and facts.foreign.category not in REGISTRABLE_CATEGORIES:
        raise refusal(
            f"members[{index}].foreign_category",
            "法30条の46・47で記載できるのは中長期在留者・特別永住者・一時庇護許可者・仮滞在許可者です。",
            "経過滞在者は出生または国籍喪失の入力で記載してください。",
            "registry.foreign_registration_category",
        )
    checked, _ = check_person(facts)
    return with_checked_relationship_proof(checked, field=f"members[{index}].relationship_proof")


def _returning(facts: PersonFacts, index: int) -> Resident | None:
    """A former resident by 住民票コード or 在留カード番号: reused if removed, refused if current
    (standard 4.1.1.2-a)."""
    previous = returning_resident(facts)
    if previous is not None:
        return previous
    card = facts.foreign.residence_card_number if facts.foreign else ""
    if not card:
        return None
    # A 除票 in the 除票データベース keeps its 在留カード番号 in the archive's keys (standard 1.1.5-f).
    people = {
        key.resident_id: key.resident
        for keys in (ResidentSearchKey.objects.all(), archived_keys())
        for key in keys.filter(residence_card_number=card).select_related("resident__current")
    }
    if any(p.current is not None and p.current.status != ResidentStatus.REMOVED for p in people.values()):
        raise refusal(
            f"members[{index}].residence_card_number",
            "この在留カード番号の方は既に住民として記録されています。",
            "転居または法30条の50通知による修正として処理してください。",
            "registry.move_in_of_current_resident",
        )
    return next(iter(people.values()), None)


def _check(
    registration: ForeignRegistration, today: date
) -> tuple[date, list[PersonFacts], list[Resident | None], list[Alert]]:
    if not registration.members:
        raise refusal(
            "members",
            "届出をする方が入力されていません。",
            "1人以上入力してください。",
            "registry.no_members",
        )
    if not registration.address.address.strip():
        raise refusal(
            "address", "住所が入力されていません。", "住所を入力してください。", "registry.address_required"
        )
    if len(registration.previous_address) > TEXT_MAX_LENGTH:
        raise refusal(
            "previous_address",
            f"転入前住所が{TEXT_MAX_LENGTH}文字を超えています。",
            "短く入力してください（ない場合は空欄）。",
            "registry.previous_address_too_long",
        )
    start = _start_date(registration)
    alerts = _check_dates(registration, start, today)
    members = [_check_member(facts, i) for i, facts in enumerate(registration.members)]
    heads = [f for f in members if f.relationship.kind is RelationshipKind.HEAD]
    if registration.household_number is None and len(heads) != 1:
        raise refusal(
            "relationship",
            "新しい世帯には世帯主が1人必要です。",
            "続柄が「世帯主」の方を1人だけ指定してください。",
            "registry.one_head_required",
        )
    if registration.household_number is not None and heads:
        raise refusal(
            "relationship",
            "既存の世帯に世帯主として加わることはできません。",
            "世帯主の変更は世帯変更届で処理してください。",
            "registry.head_joins_household",
        )
    returning = [_returning(facts, i) for i, facts in enumerate(members)]
    for facts, previous in zip(members, returning, strict=True):
        if previous is None:
            alerts += _possible_duplicates(facts)
    return start, members, returning, alerts


def _foreign_columns(facts: PersonFacts, registration: ForeignRegistration) -> dict[str, Any]:
    assert facts.foreign is not None
    return {
        **dataclasses.asdict(facts.foreign),
        "registration_basis": registration.basis.value,
        # The notification is also the 入管法 住居地届出 (standard 1.1.2-c).
        "residence_notification": True,
        "landing_permit_move_in": registration.landing_permit,
    }


def record_foreign_registration(
    *, actor: Any, purpose: str, registration: ForeignRegistration
) -> DraftRecorded:
    """Enter a 30条の46 or 30条の47 notification as a draft (standard 4.5.1-a, 4.5.2-a)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_FOREIGN_REGISTRATION_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    note = preset_notes.checked_note(registration.attention_note)
    today = timezone.localdate()
    start, members, returning, alerts = _check(registration, today)
    acknowledged = require_acknowledged(alerts, registration.acknowledged_alerts)
    # A returning former resident's own 抑止 and the household joined (as for a 転入).
    alerts += services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_FOREIGN_REGISTRATION_RECORD,
        atena_numbers=[p.atena_number for p in returning if p is not None],
        household_numbers=[registration.household_number or ""],
    )
    became = recorded_dates.to_json(start)
    address_set = recorded_dates.to_json(registration.address_set_date)
    with transaction.atomic():
        change = Change.objects.create(
            reason=ChangeReason.MOVE_IN_FROM_ABROAD,
            change_date=start,
            notification_date=registration.notification_date,
            notification_kind="届出",
            made_by=actor,
            made_at=timezone.now(),
            attention_note=note,
        )
        household, existing_order, de_facto_head = _household_for(registration.household_number)
        residents = [
            previous
            or Resident.objects.create(atena_number=numbering.issue_number(numbering.ATENA), kind=facts.kind)
            for facts, previous in zip(members, returning, strict=True)
        ]
        order = _member_order(members, residents, existing_order)
        for facts, resident in zip(members, residents, strict=True):
            ResidentSnapshot.objects.create(
                resident=resident,
                change=change,
                based_on_history_no=resident.current.history_no if resident.current else None,
                status=ResidentStatus.RESIDENT,
                **{**_person_columns(facts), "foreign": _foreign_columns(facts, registration)},
                household=household,
                is_head=facts.relationship.kind is RelationshipKind.HEAD,
                relationship=facts.relationship.text,
                member_order=order.index(resident.atena_number) + 1,
                de_facto_head=de_facto_head,
                postal_code=registration.address.postal_code,
                address_code=registration.address.address_code,
                address=registration.address.address,
                katagaki=registration.address.katagaki,
                previous_address=registration.previous_address.strip(),
                became_resident_date=became,
                became_resident_reason=ChangeReason.MOVE_IN_FROM_ABROAD,
                address_set_date=address_set,
            )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_FOREIGN_REGISTRATION_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=audit_reason(registration.basis.value, acknowledged),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(r.atena_number for r in residents),
        household_number=household.number,
        alerts=tuple(alerts),
    )
