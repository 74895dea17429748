"""失踪 and 失踪宣告の取消し (standard 4.2.2.2-a, 1.1.8-a) through the service, API and screen."""

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
from jumin.domain import recorded_dates
from jumin.domain.errors import DomainError
from jumin.domain.resident import DISAPPEARANCE_REMOVAL_REASON, ChangeReason, ResidentStatus
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry.models import Change, ExOfficioRecord
from jumin.registry.search import SearchCriteria, search_residents
from jumin.registry.services import Address, DraftRecorded, commit_change
from jumin.registry.workflows.disappearance import (
    Disappearance,
    DisappearanceRevocation,
    FamilyRegisterNotice,
    record_disappearance,
    record_disappearance_revocation,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import current, family

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

DEEMED = date(2026, 11, 3)
DECIDED = date(2026, 11, 12)
NOTIFIED = date(2026, 11, 15)
MUNICIPALITY = "長崎県佐世保市"


def notice(**overrides: Any) -> FamilyRegisterNotice:
    values: dict[str, Any] = {"notice_date": NOTIFIED, "notifying_municipality": MUNICIPALITY}
    values.update(overrides)
    return FamilyRegisterNotice(**values)


def disappearance(atena: str, **overrides: Any) -> Disappearance:
    values: dict[str, Any] = {
        "atena_number": atena,
        "deemed_death_date": DEEMED,
        "decision_date": DECIDED,
        "notice": notice(),
    }
    values.update(overrides)
    return Disappearance(**values)


def removed_by_disappearance(atena: str, clerk: User, reviewer: User) -> None:
    draft = record_disappearance(actor=clerk, purpose=PURPOSE, disappearance=disappearance(atena))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)


def test_a_disappearance_commits_to_an_ex_officio_removal_with_reason_shissou_sengen(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    wife = family.atena_numbers[1]
    draft = record_disappearance(actor=clerk, purpose=PURPOSE, disappearance=disappearance(wife))
    assert draft.alerts == ()
    change = Change.objects.get(pk=draft.change_id)
    # The 異動事由 stays the standard 職権消除 (1.2.2-a); the 戸籍 notice date is recorded (4.2.0.4-a).
    assert (change.reason, change.notification_kind, change.notification_date, change.change_date) == (
        ChangeReason.EX_OFFICIO_REMOVAL,
        "職権",
        NOTIFIED,
        DEEMED,
    )
    book = ExOfficioRecord.objects.get(change=change)
    assert MUNICIPALITY in book.grounds
    assert "失踪宣告" in book.grounds
    assert book.notice_required is False
    assert book.found_on == NOTIFIED
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    now = current(wife)
    assert (now.status, now.removal_reason, now.removal_date, now.history_no) == (
        ResidentStatus.REMOVED,
        DISAPPEARANCE_REMOVAL_REASON,
        DEEMED,
        2,
    )
    assert AuditEntry.objects.filter(action="resident:disappearance:record", outcome="done").count() == 1


def test_an_unknown_deemed_death_date_is_kept_as_entered(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    parsed = parse_date_input("令和8年10月上旬", field_kind=DateFieldKind.EVENT_DISAPPEARANCE)
    draft = record_disappearance(
        actor=clerk,
        purpose=PURPOSE,
        disappearance=disappearance(family.atena_numbers[2], deemed_death_date=parsed.value),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    removed = current(family.atena_numbers[2])
    assert removed.removal_date == parsed.sort_date
    assert removed.removal_event_date is not None
    assert recorded_dates.display(recorded_dates.from_json(removed.removal_event_date)) == "令和8年10月上旬"


def test_the_disappearance_of_the_head_warns_that_a_head_change_is_needed(
    family: DraftRecorded, clerk: User
) -> None:
    draft = record_disappearance(
        actor=clerk, purpose=PURPOSE, disappearance=disappearance(family.atena_numbers[0])
    )
    assert [a.code for a in draft.alerts] == ["registry.head_change_request"]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"atena_number": "999999999999"}, "registry.resident_not_found"),
        ({"decision_date": date.max}, "registry.future_decision"),
        ({"notice": notice(notice_date=date.max)}, "registry.future_notification"),
        ({"notice": notice(notice_date=DECIDED - timedelta(days=1))}, "registry.decision_after_notice"),
        ({"deemed_death_date": DECIDED + timedelta(days=1)}, "registry.deemed_death_after_decision"),
        ({"deemed_death_date": date(1950, 1, 1)}, "registry.death_before_birth"),
        ({"notice": notice(notifying_municipality=" ")}, "registry.notifying_municipality_required"),
        ({"notice": notice(findings="あ" * 201)}, "registry.record_book_too_long"),
    ],
)
def test_bad_disappearance_input_is_refused_and_writes_nothing(
    family: DraftRecorded, clerk: User, overrides: dict[str, Any], code: str
) -> None:
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_disappearance(
            actor=clerk, purpose=PURPOSE, disappearance=disappearance(family.atena_numbers[2], **overrides)
        )
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert Change.objects.count() == changes


def test_the_removed_person_is_found_by_the_removal_reason_shissou_sengen(
    family: DraftRecorded, clerk: User, reviewer: User, make_clerk: Callable[..., User]
) -> None:
    child = family.atena_numbers[2]
    removed_by_disappearance(child, clerk, reviewer)
    searcher = make_clerk("searcher", Permission.RESIDENT_SEARCH)
    criteria = SearchCriteria(kana_name="アオキミナ", removal_reason=DISAPPEARANCE_REMOVAL_REASON)
    found = search_residents(actor=searcher, purpose=PURPOSE, criteria=criteria)
    assert [hit.atena_number for hit in found.hits] == [child]


def test_a_removed_person_cannot_disappear_again(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    removed_by_disappearance(family.atena_numbers[2], clerk, reviewer)
    with pytest.raises(DomainError) as raised:
        record_disappearance(
            actor=clerk, purpose=PURPOSE, disappearance=disappearance(family.atena_numbers[2])
        )
    assert raised.value.code == "registry.not_a_resident"


def test_a_clerk_without_permission_is_refused_and_nothing_is_written(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    with pytest.raises(AccessRefused):
        record_disappearance(
            actor=make_clerk("nobody"), purpose=PURPOSE, disappearance=disappearance(family.atena_numbers[2])
        )
    assert not Change.objects.filter(reason=ChangeReason.EX_OFFICIO_REMOVAL).exists()
    assert AuditEntry.objects.get(action="resident:disappearance:record").outcome == "refused"


# --- 失踪宣告の取消し ----------------------------------------------------------------------------------


def revocation(atena: str, **overrides: Any) -> DisappearanceRevocation:
    values: dict[str, Any] = {
        "atena_number": atena,
        "revocation_date": date(2026, 11, 18),
        "notice": notice(notice_date=date(2026, 11, 20)),
        "address": Address(address="長崎県佐世保市八幡町2番1号"),
        "address_set_date": date(2026, 11, 19),
    }
    values.update(overrides)
    return DisappearanceRevocation(**values)


def test_a_revocation_records_the_same_person_again_in_a_new_household(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    removed_by_disappearance(child, clerk, reviewer)
    removed = current(child)
    draft = record_disappearance_revocation(actor=clerk, purpose=PURPOSE, revocation=revocation(child))
    assert draft.atena_numbers == (child,)
    assert draft.household_number != family.household_number
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.notification_date) == (
        ChangeReason.EX_OFFICIO_RECORDING,
        date(2026, 11, 20),
    )
    assert "失踪宣告の取消し" in ExOfficioRecord.objects.get(change=change).grounds
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    now = current(child)
    assert (now.status, now.removal_reason, now.removal_date, now.history_no) == (
        ResidentStatus.RESIDENT,
        "",
        None,
        3,
    )
    assert (now.is_head, now.relationship, now.address, now.previous_address) == (
        True,
        "世帯主",
        "長崎県佐世保市八幡町2番1号",
        "不明",
    )
    # The same 宛名番号 and 住民票コード; the 除票 row stays in history.
    assert now.juminhyo_code == removed.juminhyo_code
    assert now.resident_id == removed.resident_id
    assert current(child).pk != removed.pk


def test_a_revocation_can_join_an_existing_household_at_its_end(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    removed_by_disappearance(child, clerk, reviewer)
    draft = record_disappearance_revocation(
        actor=clerk,
        purpose=PURPOSE,
        revocation=revocation(child, household_number=family.household_number, relationship="子"),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    now = current(child)
    assert (now.household.number, now.is_head, now.relationship) == (family.household_number, False, "子")
    assert now.member_order == current(family.atena_numbers[1]).member_order + 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"household_number": None, "relationship": "子"}, "registry.one_head_required"),
        ({"household_number": "FAMILY", "relationship": "世帯主"}, "registry.head_joins_household"),
        ({"address": Address(address=" ")}, "registry.address_required"),
        ({"address_set_date": date.max}, "registry.future_event_date"),
        ({"revocation_date": date.max}, "registry.future_decision"),
    ],
)
def test_bad_revocation_input_is_refused_and_writes_nothing(
    family: DraftRecorded, clerk: User, reviewer: User, overrides: dict[str, Any], code: str
) -> None:
    child = family.atena_numbers[2]
    removed_by_disappearance(child, clerk, reviewer)
    if overrides.get("household_number") == "FAMILY":
        overrides["household_number"] = family.household_number
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_disappearance_revocation(
            actor=clerk, purpose=PURPOSE, revocation=revocation(child, **overrides)
        )
    assert raised.value.code == code
    assert Change.objects.count() == changes


def test_only_a_person_removed_by_disappearance_can_be_recorded_again(
    family: DraftRecorded, clerk: User
) -> None:
    with pytest.raises(DomainError) as raised:
        record_disappearance_revocation(
            actor=clerk, purpose=PURPOSE, revocation=revocation(family.atena_numbers[2])
        )
    assert raised.value.code == "registry.not_removed_by_disappearance"


# --- API and screens --------------------------------------------------------------------------------


def api_body(atena: str, **overrides: object) -> dict[str, object]:
    return {
        "purpose": PURPOSE,
        "atena_number": atena,
        "deemed_death_date": "令和8年11月3日",
        "decision_date": DECIDED.isoformat(),
        "notice": {"notice_date": NOTIFIED.isoformat(), "notifying_municipality": MUNICIPALITY},
        **overrides,
    }


def test_the_api_records_a_disappearance_and_refuses_a_malformed_date(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    client = logged_in(clerk)
    url = "/api/registry/notices/disappearance"
    bad = api_body(family.atena_numbers[2], deemed_death_date="令和8年13月1日")
    response = client.post(url, json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "deemed_death_date"
    response = client.post(
        url, json.dumps(api_body(family.atena_numbers[2])), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=response.json()["change_id"])
    revoke = {
        "purpose": PURPOSE,
        "atena_number": family.atena_numbers[2],
        "revocation_date": "2026-11-18",
        "notice": {"notice_date": "2026-11-20", "notifying_municipality": MUNICIPALITY},
        "address": {"address": "長崎県佐世保市八幡町2番1号"},
        "address_set_date": "令和8年11月19日",
    }
    response = client.post(
        "/api/registry/notices/disappearance-revocation", json.dumps(revoke), content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_the_disappearance_api_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/notices/disappearance",
        Permission.RESIDENT_RECORD,
        data=json.dumps(api_body(family.atena_numbers[2])),
        content_type="application/json",
        success_status=(201,),
    )


def screen_data(atena: str, **overrides: str) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "atena_number": atena,
        "deemed_death_date": "令和8年11月3日",
        "decision_date": DECIDED.isoformat(),
        "notice_date": NOTIFIED.isoformat(),
        "notifying_municipality": MUNICIPALITY,
        **overrides,
    }


def test_the_screen_records_a_draft_and_shows_errors_with_the_field_label(
    family: DraftRecorded, clerk: User
) -> None:
    client = logged_in(clerk)
    url = reverse("registry:disappearance")
    assert client.get(url).status_code == 200
    page = client.post(url, screen_data(family.atena_numbers[2], decision_date="2026-11-16")).content.decode()
    assert 'role="alert"' in page
    assert "裁判の確定日" in page
    assert "項目: decision_date" not in page
    page = client.post(url, screen_data(family.atena_numbers[2])).content.decode()
    assert "仮登録しました" in page


def test_the_disappearance_screen_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:disappearance"),
        Permission.RESIDENT_RECORD,
        data=screen_data(family.atena_numbers[2]),
    )


def test_the_revocation_screen_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    removed_by_disappearance(family.atena_numbers[2], clerk, reviewer)
    data = {
        "purpose": PURPOSE,
        "atena_number": family.atena_numbers[2],
        "revocation_date": "2026-11-18",
        "notice_date": "2026-11-20",
        "notifying_municipality": MUNICIPALITY,
        "address": "長崎県佐世保市八幡町2番1号",
        "address_set_date": "令和8年11月19日",
        "relationship": "世帯主",
        "previous_address": "不明",
    }
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:disappearance_revocation"),
        Permission.RESIDENT_RECORD,
        data=data,
    )


def test_today_is_after_the_fixed_dates_used_here() -> None:
    assert timezone.localdate() >= date(2026, 11, 20)
