"""転出 (standard 4.1.3, algorithms.md G, system.md F03 planned part) through the service, API and screen."""

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
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.search import SearchCriteria, search_residents
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.household import current_members
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.conftest import family as family  # re-exported: other tests import it from here
from tests.registry.test_move_in import family_move_in

pytestmark = pytest.mark.django_db

DESTINATION = "福岡県福岡市"


def today() -> date:
    return timezone.localdate()


def move_out(numbers: tuple[str, ...] | list[str], **overrides: Any) -> MoveOut:
    values: dict[str, Any] = {
        "atena_numbers": list(numbers),
        "planned_date": today(),
        "destination": DESTINATION,
        "notification_date": today(),
    }
    values.update(overrides)
    return MoveOut(**values)


def test_a_move_out_today_is_a_draft_that_commits_to_a_removal_keeping_the_old_row(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    whole = family.atena_numbers
    before = {n: current(n) for n in whole}
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(whole))
    assert draft.alerts == ()
    assert {current(n).pk for n in whole} == {s.pk for s in before.values()}  # invisible until commit
    assert AuditEntry.objects.filter(action="resident:move_out:record", outcome="done").count() == 1
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    for number in whole:
        now = current(number)
        assert now.history_no == 2
        assert (now.status, now.removal_reason, now.removal_date) == (
            ResidentStatus.REMOVED,
            ChangeReason.DOMESTIC_MOVE_OUT,
            today(),
        )
        assert now.planned_destination == DESTINATION
        assert now.juminhyo_code == before[number].juminhyo_code
        old = ResidentSnapshot.objects.get(pk=before[number].pk)
        assert (old.history_no, old.status, old.removal_date) == (1, ResidentStatus.RESIDENT, None)
    assert Change.objects.get(pk=draft.change_id).notification_kind == "届出"


def test_mo_4_and_mo_s1_a_future_planned_date_makes_a_planned_mover_with_the_planned_values(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    planned = today() + timedelta(days=10)
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out(
            family.atena_numbers[2:], planned_date=planned, reason=ChangeReason.MOVE_OUT_ABROAD
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    child = current(family.atena_numbers[2])
    # No 転入通知 yet: the removal date is the planned date alone (G.1 MO-4).
    assert (child.status, child.removal_reason, child.removal_date, child.planned_destination) == (
        ResidentStatus.PLANNED_MOVE_OUT,
        ChangeReason.MOVE_OUT_ABROAD,
        planned,
        DESTINATION,
    )
    # A planned mover is still a resident and still a member of the household.
    assert family.atena_numbers[2] in [m.resident.atena_number for m in current_members(child.household)]


def test_mo_s2_a_planned_date_of_today_removes_at_once(family: DraftRecorded, clerk: User) -> None:
    record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(family.atena_numbers[2:]))
    assert ResidentSnapshot.objects.get(history_no__isnull=True).status == ResidentStatus.REMOVED


@pytest.mark.parametrize(
    ("days", "kind", "alerts"),
    [
        pytest.param(-7, "届出", [], id="LT-1"),
        pytest.param(0, "届出", [], id="LT-2"),
        pytest.param(14, "届出", [], id="LT-3"),
        pytest.param(15, "職権", ["moveout.late_notification"], id="LT-4"),
    ],
)
def test_a_notification_more_than_14_days_late_is_recorded_ex_officio(
    family: DraftRecorded, clerk: User, days: int, kind: str, alerts: list[str]
) -> None:
    planned = today() - timedelta(days=max(days, 0))
    notified = planned + timedelta(days=days)
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out(family.atena_numbers[2:], planned_date=planned, notification_date=notified),
    )
    assert [a.code for a in draft.alerts] == alerts
    assert Change.objects.get(pk=draft.change_id).notification_kind == kind
    if alerts:
        assert "除票の写し" in draft.alerts[0].message


def test_the_head_leaving_alone_needs_a_head_change_naming_the_first_remaining_member(
    family: DraftRecorded, clerk: User
) -> None:
    head, wife, _child = family.atena_numbers
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    assert [a.code for a in draft.alerts] == ["registry.head_change_request"]
    assert wife in draft.alerts[0].message


def test_a_part_of_the_household_without_the_head_needs_no_head_change(
    family: DraftRecorded, clerk: User
) -> None:
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(family.atena_numbers[1:]))
    assert draft.alerts == ()


def test_a_removed_person_leaves_search_and_the_household_members(
    family: DraftRecorded, clerk: User, reviewer: User, make_clerk: Callable[..., User]
) -> None:
    child = family.atena_numbers[2]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    searcher = make_clerk("searcher", Permission.RESIDENT_SEARCH)

    def hits(**extra: Any) -> list[str]:
        criteria = SearchCriteria(kana_name="アオキミナ", **extra)
        return [
            h.atena_number for h in search_residents(actor=searcher, purpose=PURPOSE, criteria=criteria).hits
        ]

    assert hits() == []
    assert hits(include_removed=True) == [child]
    members = current_members(current(family.atena_numbers[0]).household)
    assert [m.resident.atena_number for m in members] == list(family.atena_numbers[:2])


def test_the_notification_before_the_move_is_normal(family: DraftRecorded, clerk: User) -> None:
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out(family.atena_numbers[2:], planned_date=today() + timedelta(days=30)),
    )
    assert draft.alerts == ()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"atena_numbers": []}, "registry.no_members"),
        ({"atena_numbers": ["999999999999"]}, "registry.resident_not_found"),
        ({"destination": "  "}, "registry.destination_required"),
        ({"destination": "あ" * 201}, "registry.destination_too_long"),
        ({"reason": ChangeReason.DEATH}, "registry.move_out_reason"),
        ({"notification_date": date.max}, "registry.future_notification"),
    ],
)
def test_bad_move_out_input_is_refused_and_writes_nothing(
    family: DraftRecorded, clerk: User, overrides: dict[str, Any], code: str
) -> None:
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(family.atena_numbers, **overrides))
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert Change.objects.count() == changes
    assert not AuditEntry.objects.filter(action="resident:move_out:record", outcome="done").exists()


def test_the_same_person_twice_is_refused(family: DraftRecorded, clerk: User) -> None:
    head = family.atena_numbers[0]
    with pytest.raises(DomainError) as raised:
        record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head, head]))
    assert raised.value.code == "registry.duplicate_member"


def test_people_of_two_households_are_refused(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    other = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=other.change_id)
    with pytest.raises(DomainError) as raised:
        record_move_out(
            actor=clerk, purpose=PURPOSE, move_out=move_out([family.atena_numbers[2], other.atena_numbers[2]])
        )
    assert raised.value.code == "registry.members_of_several_households"


@pytest.mark.parametrize(
    ("first_planned", "code"),
    [(0, "registry.not_a_resident"), (10, "registry.already_moving_out")],
    ids=["removed", "planned"],
)
def test_only_current_residents_can_move_out(
    family: DraftRecorded, clerk: User, reviewer: User, first_planned: int, code: str
) -> None:
    child = family.atena_numbers[2:]
    first = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out(child, planned_date=today() + timedelta(days=first_planned)),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=first.change_id)
    with pytest.raises(DomainError) as raised:
        record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(child))
    assert raised.value.code == code


def test_a_draft_never_committed_is_not_a_removal(family: DraftRecorded, clerk: User) -> None:
    record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(family.atena_numbers))
    assert {current(n).status for n in family.atena_numbers} == {ResidentStatus.RESIDENT}


def test_a_clerk_without_permission_is_refused_and_nothing_is_written(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    changes = Change.objects.count()
    with pytest.raises(AccessRefused):
        record_move_out(actor=make_clerk("nobody"), purpose=PURPOSE, move_out=move_out(family.atena_numbers))
    assert Change.objects.count() == changes
    assert AuditEntry.objects.get(action="resident:move_out:record").outcome == "refused"


def api_body(numbers: tuple[str, ...]) -> dict[str, Any]:
    return {
        "purpose": PURPOSE,
        "atena_numbers": list(numbers),
        "planned_date": today().isoformat(),
        "destination": DESTINATION,
        "notification_date": today().isoformat(),
        "reason": ChangeReason.MOVE_OUT_ABROAD,
    }


def test_the_move_out_api_records_a_draft_and_reports_errors(family: DraftRecorded, clerk: User) -> None:
    client = logged_in(clerk)
    url = "/api/registry/events/move-out"
    response = client.post(
        url, json.dumps(api_body(family.atena_numbers[:1])), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["alerts"][0]["code"] == "registry.head_change_request"
    bad = {**api_body(family.atena_numbers[1:]), "destination": ""}
    response = client.post(url, json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "destination"


def test_the_move_out_api_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    # The one successful call records a draft (a second would be held back: standard 4.0.8-a).
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/events/move-out",
        Permission.RESIDENT_RECORD,
        data=json.dumps(api_body(family.atena_numbers)),
        content_type="application/json",
        success_status=(201,),
    )


def screen_data(numbers: tuple[str, ...]) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "atena_numbers": "\n".join(numbers),
        "reason": ChangeReason.DOMESTIC_MOVE_OUT,
        "planned_date": today().isoformat(),
        "destination": DESTINATION,
        "notification_date": today().isoformat(),
    }


def test_the_move_out_screen_records_a_draft_and_shows_errors(family: DraftRecorded, clerk: User) -> None:
    client = logged_in(clerk)
    response = client.post(reverse("registry:move_out"), screen_data(family.atena_numbers))
    assert response.status_code == 200
    assert "仮登録しました" in response.content.decode()
    response = client.post(reverse("registry:move_out"), screen_data(("999999999999",)))
    assert "該当する住民が見つかりません" in response.content.decode()
    assert client.get(reverse("registry:move_out")).status_code == 200


def test_the_move_out_screen_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:move_out"),
        Permission.RESIDENT_RECORD,
        data=screen_data(family.atena_numbers),
    )
