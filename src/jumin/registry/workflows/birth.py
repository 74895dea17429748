"""出生 as a draft: standard 4.2.1.2, 4.2.0.3, system.md F06 steps 1–2. Recorded by 職権 from the
出生届 (a 戸籍 filing).

The child joins an existing household at the end of its order (ORD-2) with a new 宛名番号; the date of
birth is also the date the child became a resident and set the address. The 住民票コード is taken from
the pool at commit (services.commit_change), which in the same transaction asks the national node
for the child's 個人番号 through the CS (registry.number_designation, F06 steps 3–4).
"""

from __future__ import annotations

import dataclasses
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
from jumin.domain.member_order import append_new_members
from jumin.domain.relationship_proof import BIRTH_NOTIFICATION_KIND, RelationshipProof
from jumin.domain.relationships import CHILD, Relationship, RelationshipKind
from jumin.domain.resident import (
    TRANSITIONAL_BY_BIRTH,
    TRANSITIONAL_CATEGORY,
    ChangeReason,
    PersonFacts,
    ResidentKind,
    ResidentStatus,
    check_person,
    transitional_stay_ends_on,
    with_checked_relationship_proof,
)
from jumin.domain.uncertain_dates import UncertainDate
from jumin.registry import numbering, preset_notes, services_restrictions
from jumin.registry.models import Change, Household, Resident, ResidentSnapshot
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.household import current_members


@dataclass(frozen=True)
class Birth:
    """A birth notified from the 戸籍 side: the child's facts (birth date included) and the household."""

    child: PersonFacts
    household_number: str
    notification_date: date
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


def is_child_relationship(relationship: Relationship) -> bool:
    """子, or a chain ending in の子 (孫 is 「子の子」): the only 続柄 a newborn can have to the head."""
    return relationship.kind is RelationshipKind.CHAIN and relationship.terms[-1] == CHILD


def _household(number: str) -> tuple[Household, list[ResidentSnapshot]]:
    household = Household.objects.filter(number=number.strip()).first()
    members = current_members(household) if household is not None else []
    if household is None or not members:
        raise refusal(
            "household_number",
            "指定された世帯がありません。",
            "世帯番号を確認してください。",
            "registry.household_not_found",
        )
    return household, members


def _check(birth: Birth, today: date) -> tuple[PersonFacts, list[Alert]]:
    if not is_child_relationship(birth.child.relationship):
        raise refusal(
            "relationship",
            "出生した方の続柄は「子」または「○○の子」でなければなりません。",
            "世帯主から見た続柄（例: 子、子の子）を入力してください。",
            "registry.birth_relationship",
        )
    born = recorded_dates.sort_date_of(birth.child.birth_date)
    exact = not isinstance(birth.child.birth_date, UncertainDate)
    if exact and born > today:
        raise refusal(
            "birth_date",
            "出生日が未来の日付です。",
            "出生届に記載された出生日を入力してください。",
            "registry.future_birth",
        )
    if birth.notification_date > today:
        raise refusal(
            "notification_date",
            "届出日が未来の日付です。",
            "届出を受け付けた日を入力してください。",
            "registry.future_notification",
        )
    if exact and birth.notification_date < born:
        raise refusal(
            "notification_date",
            "届出日が出生日より前です。",
            "出生日以後の日付を届出日に入力してください。",
            "registry.notified_before_birth",
        )
    facts, alerts = check_person(_transitional_by_birth(birth.child))
    facts = with_checked_relationship_proof(
        _proved_by_birth_notification(facts, birth.notification_date), field="child.relationship_proof"
    )
    return facts, alerts + _transitional_stay_alerts(facts, today)


def _proved_by_birth_notification(child: PersonFacts, notified_on: date) -> PersonFacts:
    """A foreign child's 続柄 is proved by the 出生届 accepted here (standard 1.1.11-c) unless the clerk
    recorded another document."""
    if child.kind is not ResidentKind.FOREIGN or child.relationship_proof is not None:
        return child
    proof = RelationshipProof(kind=BIRTH_NOTIFICATION_KIND, reference=f"届出日 {notified_on.isoformat()}")
    return dataclasses.replace(child, relationship_proof=proof)


def _transitional_by_birth(child: PersonFacts) -> PersonFacts:
    """A foreign child born here is a 経過滞在者 by 出生 (住基法30条の45; standard 1.1.2-b): the
    workflow, not the clerk, records how the transitional stay arose."""
    items = child.foreign
    if items is None or items.category != TRANSITIONAL_CATEGORY:
        return child
    return dataclasses.replace(
        child, foreign=dataclasses.replace(items, transitional_reason=TRANSITIONAL_BY_BIRTH)
    )


def _transitional_stay_alerts(facts: PersonFacts, today: date) -> list[Alert]:
    """Past the 60 days a child born here may stay without a status (入管法22条の2), the clerk
    checks whether a status was obtained before recording the child as a 経過滞在者."""
    if facts.foreign is None or facts.foreign.category != TRANSITIONAL_CATEGORY:
        return []
    if today <= transitional_stay_ends_on(recorded_dates.sort_date_of(facts.birth_date)):
        return []
    return [
        Alert(
            field="foreign_category",
            message=(
                "出生から60日を過ぎています。在留資格の取得の有無を確認し、"
                "取得していれば30条の45区分と在留資格を入力してください。"
            ),
            code="registry.transitional_stay_elapsed",
        )
    ]


def record_birth(*, actor: Any, purpose: str, birth: Birth) -> DraftRecorded:
    """Enter a 出生 as a draft (standard 4.2.1.2); another clerk commits it with ``commit_change``."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_BIRTH_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    note = preset_notes.checked_note(birth.attention_note)
    household, members = _household(birth.household_number)
    head = next((m for m in members if m.is_head), members[0])
    child = birth.child
    if child.kind is ResidentKind.JAPANESE and not child.honseki.strip():
        # 本籍・筆頭者 are copied from the household when not entered (standard 4.2.0.3).
        child = dataclasses.replace(child, honseki=head.honseki, hittousha=head.hittousha)
    facts, alerts = _check(dataclasses.replace(birth, child=child), timezone.localdate())
    # The newborn has no 抑止 of their own: only the household they join can hold one.
    alerts += services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_BIRTH_RECORD,
        atena_numbers=[],
        household_numbers=[household.number],
    )
    born = recorded_dates.to_json(facts.birth_date)
    existing = [m.resident.atena_number for m in members]
    with transaction.atomic():
        change = Change.objects.create(
            reason=ChangeReason.BIRTH,
            change_date=recorded_dates.sort_date_of(facts.birth_date),
            notification_date=birth.notification_date,
            notification_kind="職権",  # recorded ex officio from the 戸籍 filing (standard 4.2.1.2)
            made_by=actor,
            made_at=timezone.now(),
            attention_note=note,
        )
        resident = Resident.objects.create(
            atena_number=numbering.issue_number(numbering.ATENA), kind=facts.kind
        )
        order = append_new_members(existing, [resident.atena_number])
        # Appended after the last member; stored positions may have gaps where people left (ORD-2).
        position = members[-1].member_order + order.index(resident.atena_number) - len(existing) + 1
        ResidentSnapshot.objects.create(
            resident=resident,
            change=change,
            status=ResidentStatus.RESIDENT,
            kind=facts.kind,
            surname=facts.surname,
            given_name=facts.given_name,
            surname_kana=facts.surname_kana,
            given_name_kana=facts.given_name_kana,
            kana_confirmed=facts.kana_confirmed,
            alias_kana_confirmed=facts.alias_kana_confirmed,
            relationship_proof=facts.relationship_proof.as_json() if facts.relationship_proof else None,
            birth_date=born,
            birth_sort_date=recorded_dates.sort_date_of(facts.birth_date),
            sex=facts.sex,
            household=household,
            is_head=False,
            relationship=facts.relationship.text,
            member_order=position,
            de_facto_head=head.de_facto_head,  # household data (standard 4.1.4.3-a)
            postal_code=head.postal_code,
            address_code=head.address_code,
            address=head.address,
            katagaki=head.katagaki,
            became_resident_date=born,
            became_resident_reason=ChangeReason.BIRTH,
            address_set_date=born,
            honseki=facts.honseki,
            hittousha=facts.hittousha,
            foreign=dataclasses.asdict(facts.foreign) if facts.foreign else None,
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_BIRTH_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=(resident.atena_number,),
        household_number=household.number,
        alerts=tuple(alerts),
    )
