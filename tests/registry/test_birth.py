"""出生 (standard 4.2.1.2, 4.2.0.3, system.md F06 steps 1–2) through the service, API and screen."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.checkdigits import validate_atena_number
from jumin.domain.errors import DomainError
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import ChangeReason, ForeignResidentItems, ResidentKind, ResidentStatus, Sex
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry.models import Change, Resident
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.birth import Birth, is_child_relationship, record_birth
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.household import current_members
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in, person
from tests.registry.test_move_out import current, family

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

BORN = date(2026, 11, 3)


def birth(household: str, **overrides: Any) -> Birth:
    child = person(
        given_name="一郎",
        given_name_kana="イチロウ",
        relationship=overrides.pop("relationship", "子"),
        born=overrides.pop("born", BORN),
        honseki=overrides.pop("honseki", ""),
        hittousha="",
    )
    values: dict[str, Any] = {"child": child, "household_number": household, "notification_date": BORN}
    values.update(overrides)
    return Birth(**values)


def test_a_newborn_joins_the_household_at_the_end_and_gets_a_code_at_commit(
    family: DraftRecorded, clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_birth(actor=clerk, purpose=PURPOSE, birth=birth(family.household_number))
    (atena,) = draft.atena_numbers
    validate_atena_number(atena)
    assert AuditEntry.objects.filter(action="resident:birth:record", outcome="done").count() == 1
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.change_date, change.notification_kind) == (ChangeReason.BIRTH, BORN, "職権")
    assert Resident.objects.get(atena_number=atena).current is None  # a draft until committed
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    child = current(atena)
    head = current(family.atena_numbers[0])
    assert child.history_no == 1
    assert child.status == ResidentStatus.RESIDENT
    assert child.juminhyo_code in code_pool
    assert child.individual_number is None  # 個人番号 generation is issue 8
    assert (child.relationship, child.member_order, child.is_head) == ("子", 4, False)
    assert child.became_resident_reason == ChangeReason.BIRTH
    assert child.birth_date == child.became_resident_date == child.address_set_date
    assert (child.address, child.katagaki) == (head.address, head.katagaki)
    assert (child.honseki, child.hittousha) == (head.honseki, head.hittousha)  # copied (4.2.0.3)
    assert child.previous_address == ""
    members = [m.resident.atena_number for m in current_members(child.household)]
    assert members == [*family.atena_numbers, atena]


def test_a_newborn_after_a_death_is_placed_after_the_last_remaining_member(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    died = record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=family.atena_numbers[1], death_date=BORN, notification_date=BORN),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=died.change_id)
    draft = record_birth(
        actor=clerk, purpose=PURPOSE, birth=birth(family.household_number, relationship="子の子")
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    child = current(draft.atena_numbers[0])
    assert (child.relationship, child.member_order) == ("子の子", 4)


def test_an_unknown_birth_day_is_accepted(family: DraftRecorded, clerk: User) -> None:
    parsed = parse_date_input("令和8年11月上旬", field_kind=DateFieldKind.EVENT_BIRTH)
    draft = record_birth(
        actor=clerk, purpose=PURPOSE, birth=birth(family.household_number, born=parsed.value)
    )
    assert Change.objects.get(pk=draft.change_id).change_date == parsed.sort_date


@pytest.mark.parametrize(
    ("text", "allowed"), [("子", True), ("子の子", True), ("妻", False), ("子の妻", False)]
)
def test_only_a_child_relationship_is_allowed(text: str, allowed: bool) -> None:
    assert is_child_relationship(parse_relationship(text)) is allowed


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"relationship": "妻"}, "registry.birth_relationship"),
        ({"relationship": "世帯主"}, "registry.birth_relationship"),
        ({"relationship": "子（子の妻）"}, "registry.birth_relationship"),
        ({"household_number": "999999999999"}, "registry.household_not_found"),
        ({"born": date.max, "notification_date": BORN}, "registry.future_birth"),
        ({"notification_date": date.max}, "registry.future_notification"),
        ({"notification_date": BORN - timedelta(days=1)}, "registry.notified_before_birth"),
    ],
)
def test_bad_birth_input_is_refused_and_writes_nothing(
    family: DraftRecorded, clerk: User, overrides: dict[str, Any], code: str
) -> None:
    changes, residents = Change.objects.count(), Resident.objects.count()
    with pytest.raises(DomainError) as raised:
        record_birth(actor=clerk, purpose=PURPOSE, birth=birth(family.household_number, **overrides))
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert (Change.objects.count(), Resident.objects.count()) == (changes, residents)


def test_a_bad_name_is_refused_by_the_person_checks(family: DraftRecorded, clerk: User) -> None:
    bad = birth(family.household_number)
    child = person(surname_kana="（株）アオキ", relationship="子", born=BORN)
    with pytest.raises(DomainError) as raised:
        record_birth(
            actor=clerk,
            purpose=PURPOSE,
            birth=Birth(child=child, household_number=bad.household_number, notification_date=BORN),
        )
    assert raised.value.code == "kana.disallowed_character"


def test_a_clerk_without_permission_is_refused_and_nothing_is_written(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    changes = Change.objects.count()
    with pytest.raises(AccessRefused):
        record_birth(actor=make_clerk("nobody"), purpose=PURPOSE, birth=birth(family.household_number))
    assert Change.objects.count() == changes
    assert AuditEntry.objects.get(action="resident:birth:record").outcome == "refused"


def api_body(household: str, **child: str) -> dict[str, Any]:
    return {
        "purpose": PURPOSE,
        "household_number": household,
        "notification_date": BORN.isoformat(),
        "child": {
            "surname": "青木",
            "given_name": "一郎",
            "surname_kana": "アオキ",
            "given_name_kana": "イチロウ",
            "birth_date": "令和8年11月3日",
            "sex": Sex.MALE,
            "relationship": "子",
            **child,
        },
    }


def test_the_birth_api_records_a_draft_and_refuses_a_bad_relationship(
    family: DraftRecorded, clerk: User
) -> None:
    client = logged_in(clerk)
    url = "/api/registry/events/birth"
    response = client.post(
        url, json.dumps(api_body(family.household_number)), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["household_number"] == family.household_number
    for bad, field in [
        ({"relationship": "妻"}, "relationship"),
        ({"birth_date": "令和8年2月30日の朝"}, "child.birth_date"),
    ]:
        response = client.post(
            url, json.dumps(api_body(family.household_number, **bad)), content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["field"] == field


def test_the_birth_api_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/events/birth",
        Permission.RESIDENT_RECORD,
        data=json.dumps(api_body(family.household_number)),
        content_type="application/json",
        success_status=(201,),
    )


def screen_data(household: str, **overrides: str) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "household_number": household,
        "notification_date": BORN.isoformat(),
        "kind": "J",
        "surname": "青木",
        "given_name": "一郎",
        "surname_kana": "アオキ",
        "given_name_kana": "イチロウ",
        "birth_date": "令和8年11月3日",
        "sex": Sex.MALE,
        "relationship": "子",
        **overrides,
    }


def test_the_birth_screen_records_a_draft_and_shows_errors(family: DraftRecorded, clerk: User) -> None:
    client = logged_in(clerk)
    response = client.post(reverse("registry:birth"), screen_data(family.household_number))
    assert "仮登録しました" in response.content.decode()
    response = client.post(reverse("registry:birth"), screen_data(family.household_number, relationship="妻"))
    assert "続柄" in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert client.get(reverse("registry:birth")).status_code == 200


def test_the_birth_screen_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:birth"),
        Permission.RESIDENT_RECORD,
        data=screen_data(family.household_number),
    )


# --- 経過滞在者 by 出生 (standard 1.1.2-b; 入管法22条の2) ---------------------------------------------


def _foreign_birth(household: str, born: date) -> Birth:
    child = person(
        "NGUYEN",
        "AN",
        "グエン",
        "アン",
        relationship="子",
        born=born,
        kind=ResidentKind.FOREIGN,
        foreign=ForeignResidentItems(nationality_code="704", category="経過滞在者"),
    )
    return Birth(child=child, household_number=household, notification_date=born)


def test_1_1_2_b_a_foreign_child_born_here_is_a_transitional_resident_by_birth(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    draft = record_birth(actor=clerk, purpose=PURPOSE, birth=_foreign_birth(family.household_number, BORN))
    assert not any(alert.code == "registry.transitional_stay_elapsed" for alert in draft.alerts)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    child = current(draft.atena_numbers[0])
    assert (child.foreign["category"], child.foreign["transitional_reason"]) == ("経過滞在者", "出生")


def test_a_transitional_child_past_60_days_raises_an_alert(family: DraftRecorded, clerk: User) -> None:
    today = timezone.localdate()
    within = record_birth(
        actor=clerk,
        purpose=PURPOSE,
        birth=_foreign_birth(family.household_number, today - timedelta(days=60)),
    )
    assert "registry.transitional_stay_elapsed" not in {alert.code for alert in within.alerts}
    late = record_birth(
        actor=clerk,
        purpose=PURPOSE,
        birth=_foreign_birth(family.household_number, today - timedelta(days=61)),
    )
    assert "registry.transitional_stay_elapsed" in {alert.code for alert in late.alerts}
