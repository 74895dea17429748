"""死亡 (standard 4.2.2.1, system.md F07) through the service, API and screen."""

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
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.household import current_members
from jumin.registry.workflows.move_out import record_move_out
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import current, family, move_out, today

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

DIED = date(2026, 11, 5)


def death(atena: str, **overrides: Any) -> Death:
    values: dict[str, Any] = {"atena_number": atena, "death_date": DIED, "notification_date": DIED}
    values.update(overrides)
    return Death(**values)


def test_a_death_commits_to_a_removal_with_history_number_two(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    wife = family.atena_numbers[1]
    before = current(wife)
    draft = record_death(actor=clerk, purpose=PURPOSE, death=death(wife, informant="同居の親族"))
    assert draft.alerts == ()
    assert AuditEntry.objects.filter(action="resident:death:record", outcome="done").count() == 1
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.change_date, change.notification_kind) == (ChangeReason.DEATH, DIED, "職権")
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    now = current(wife)
    assert (now.history_no, now.status, now.removal_reason, now.removal_date) == (
        2,
        ResidentStatus.REMOVED,
        ChangeReason.DEATH,
        DIED,
    )
    assert ResidentSnapshot.objects.get(pk=before.pk).status == ResidentStatus.RESIDENT
    members = current_members(now.household)
    assert wife not in [m.resident.atena_number for m in members]


def test_an_unknown_day_of_death_is_accepted_and_removed_on_its_sort_date(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    parsed = parse_date_input("令和8年10月上旬", field_kind=DateFieldKind.EVENT_DEATH)
    draft = record_death(
        actor=clerk, purpose=PURPOSE, death=death(family.atena_numbers[2], death_date=parsed.value)
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    removed = current(family.atena_numbers[2])
    assert removed.removal_date == parsed.sort_date
    # The 不詳 form itself is kept, not only its sort date (standard 1.1.8-a).
    assert removed.removal_event_date is not None
    assert recorded_dates.display(recorded_dates.from_json(removed.removal_event_date)) == "令和8年10月上旬"


def test_the_death_of_the_head_needs_a_head_change(family: DraftRecorded, clerk: User) -> None:
    draft = record_death(actor=clerk, purpose=PURPOSE, death=death(family.atena_numbers[0]))
    assert [a.code for a in draft.alerts] == ["registry.head_change_request"]
    assert family.atena_numbers[1] in draft.alerts[0].message


def test_a_planned_mover_can_die_before_leaving(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    child = family.atena_numbers[2]
    planned = record_move_out(
        actor=clerk, purpose=PURPOSE, move_out=move_out([child], planned_date=today() + timedelta(days=20))
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=planned.change_id)
    draft = record_death(actor=clerk, purpose=PURPOSE, death=death(child))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (current(child).status, current(child).removal_reason) == (
        ResidentStatus.REMOVED,
        ChangeReason.DEATH,
    )


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"atena_number": "999999999999"}, "registry.resident_not_found"),
        ({"death_date": date.max, "notification_date": DIED}, "registry.future_death"),
        ({"notification_date": date.max}, "registry.future_notification"),
        ({"notification_date": DIED - timedelta(days=1)}, "registry.notified_before_death"),
        ({"death_date": date(1950, 1, 1)}, "registry.death_before_birth"),
        ({"informant": "あ" * 41}, "registry.informant_too_long"),
    ],
)
def test_bad_death_input_is_refused_and_writes_nothing(
    family: DraftRecorded, clerk: User, overrides: dict[str, Any], code: str
) -> None:
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_death(actor=clerk, purpose=PURPOSE, death=death(family.atena_numbers[0], **overrides))
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert Change.objects.count() == changes


def test_a_removed_person_cannot_die_again(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    first = record_death(actor=clerk, purpose=PURPOSE, death=death(family.atena_numbers[2]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=first.change_id)
    with pytest.raises(DomainError) as raised:
        record_death(actor=clerk, purpose=PURPOSE, death=death(family.atena_numbers[2]))
    assert raised.value.code == "registry.not_a_resident"


@pytest.mark.parametrize("text", ["令和8年13月1日", "昨日", ""])
def test_a_malformed_death_date_is_refused(text: str) -> None:
    with pytest.raises(DomainError):
        parse_date_input(text, field_kind=DateFieldKind.EVENT_DEATH, field="death_date")


def test_a_clerk_without_permission_is_refused_and_nothing_is_written(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    changes = Change.objects.count()
    with pytest.raises(AccessRefused):
        record_death(actor=make_clerk("nobody"), purpose=PURPOSE, death=death(family.atena_numbers[0]))
    assert Change.objects.count() == changes
    assert AuditEntry.objects.get(action="resident:death:record").outcome == "refused"


def api_body(atena: str, **overrides: str) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "atena_number": atena,
        "death_date": "令和8年11月5日",
        "notification_date": DIED.isoformat(),
        **overrides,
    }


def test_the_death_api_records_a_draft_and_refuses_a_malformed_date(
    family: DraftRecorded, clerk: User
) -> None:
    client = logged_in(clerk)
    url = "/api/registry/events/death"
    response = client.post(
        url, json.dumps(api_body(family.atena_numbers[1])), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    bad = api_body(family.atena_numbers[1], death_date="令和8年13月1日")
    response = client.post(url, json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "death_date"


def test_the_death_api_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/events/death",
        Permission.RESIDENT_RECORD,
        data=json.dumps(api_body(family.atena_numbers[1])),
        content_type="application/json",
        success_status=(201,),
    )


def screen_data(atena: str, **overrides: str) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "atena_number": atena,
        "death_date": "令和8年11月5日",
        "notification_date": DIED.isoformat(),
        "informant": "同居の親族",
        **overrides,
    }


def test_the_death_screen_records_a_draft_and_shows_errors(family: DraftRecorded, clerk: User) -> None:
    client = logged_in(clerk)
    response = client.post(reverse("registry:death"), screen_data(family.atena_numbers[0]))
    assert "仮登録しました" in response.content.decode()
    assert "世帯主変更が必要" in response.content.decode()
    response = client.post(reverse("registry:death"), screen_data(family.atena_numbers[1], death_date="昨日"))
    assert 'role="alert"' in response.content.decode()
    assert client.get(reverse("registry:death")).status_code == 200


def test_the_death_screen_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:death"),
        Permission.RESIDENT_RECORD,
        data=screen_data(family.atena_numbers[1]),
    )


def test_today_is_after_the_fixed_dates_used_here() -> None:
    assert timezone.localdate() >= DIED
