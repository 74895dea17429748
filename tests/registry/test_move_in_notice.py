"""転入通知 receipt (転出確定) and the 未着 list: standard 4.1.3.1.1-a, 4.1.3.1.4-a; algorithms.md G.1."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry.models import RegistryEvent, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.ex_officio import record_ex_officio_removal
from jumin.registry.workflows.move_in_notice import MoveInNotice, missing_notices, record_move_in_notice
from jumin.registry.workflows.move_out import record_move_out
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_ex_officio import removal
from tests.registry.test_move_out import DESTINATION, current, family, move_out, today

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

CONFIRMED = "福岡県福岡市中央区天神1丁目1番1号"


def moved_out(clerk: User, reviewer: User, numbers: list[str], planned: date) -> DraftRecorded:
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out(numbers, planned_date=planned, notification_date=today()),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def notice(numbers: list[str], **overrides: Any) -> MoveInNotice:
    values: dict[str, Any] = {
        "atena_numbers": numbers,
        "notice_date": today(),
        "move_in_date": today(),
        "destination": CONFIRMED,
    }
    values.update(overrides)
    return MoveInNotice(**values)


def receive(clerk: User, reviewer: User, received: MoveInNotice) -> ResidentSnapshot:
    draft = record_move_in_notice(actor=clerk, purpose=PURPOSE, notice=received)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return current(received.atena_numbers[0])


def test_a_notice_before_the_planned_date_moves_removal_back_and_keeps_the_planned_values(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    planned = today() + timedelta(days=10)
    moved_out(clerk, reviewer, [child], planned)  # MO-1 / MO-5: planned in the future
    before = current(child)
    assert before.status == ResidentStatus.PLANNED_MOVE_OUT
    moved_in = today() - timedelta(days=2)
    after = receive(clerk, reviewer, notice([child], move_in_date=moved_in))
    assert after.history_no == before.history_no + 1  # appended, never overwritten
    assert (after.planned_destination, after.removal_reason) == (DESTINATION, ChangeReason.DOMESTIC_MOVE_OUT)
    assert (after.confirmed_destination, after.confirmed_move_out_date, after.move_in_notice_date) == (
        CONFIRMED,
        moved_in,
        today(),
    )
    assert after.confirmed_notification_kind == "届出"
    assert (after.removal_date, after.status) == (moved_in, ResidentStatus.REMOVED)
    assert ResidentSnapshot.objects.get(pk=before.pk).removal_date == planned  # the old row stays
    event = RegistryEvent.objects.filter(atena_number=child).latest("subject_seq")
    assert event.event_type == "resident.move_out_confirmed"


def test_a_notice_after_the_planned_date_keeps_the_planned_removal_date(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    planned = today() - timedelta(days=10)
    moved_out(clerk, reviewer, [child], planned)
    after = receive(clerk, reviewer, notice([child], move_in_date=today() - timedelta(days=5)))  # MO-2
    assert (after.removal_date, after.status) == (planned, ResidentStatus.REMOVED)


def test_a_person_removed_by_ex_officio_is_accepted_without_recomputing_the_removal_date(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    draft = record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal([child]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    removed_on = current(child).removal_date
    after = receive(clerk, reviewer, notice([child], move_in_date=today() - timedelta(days=30)))
    assert after.removal_date == removed_on
    assert after.confirmed_destination == CONFIRMED


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"notice_date": date.max}, "registry.future_notice"),
        ({"move_in_date": date.max}, "registry.move_in_after_notice"),
        ({"destination": "  "}, "registry.destination_required"),
        ({"notification_kind": "不明"}, "registry.notice_kind"),
        ({"atena_numbers": []}, "registry.no_members"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_changes(
    family: DraftRecorded, clerk: User, reviewer: User, overrides: dict[str, Any], code: str
) -> None:
    child = family.atena_numbers[2]
    moved_out(clerk, reviewer, [child], today())
    before = current(child).pk
    with pytest.raises(DomainError) as refused:
        record_move_in_notice(actor=clerk, purpose=PURPOSE, notice=notice([child], **overrides))
    assert refused.value.code == code
    assert refused.value.field
    assert refused.value.remedy
    assert current(child).pk == before


def test_a_resident_who_did_not_move_out_and_a_second_notice_are_refused(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head, _wife, child = family.atena_numbers
    with pytest.raises(DomainError) as resident:
        record_move_in_notice(actor=clerk, purpose=PURPOSE, notice=notice([head]))
    assert resident.value.code == "registry.not_moved_out"
    moved_out(clerk, reviewer, [child], today())
    receive(clerk, reviewer, notice([child]))
    with pytest.raises(DomainError) as twice:
        record_move_in_notice(actor=clerk, purpose=PURPOSE, notice=notice([child]))
    assert twice.value.code == "registry.notice_already_received"


def test_the_missing_list_shows_old_move_outs_without_a_notice_and_is_audited(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    _head, wife, child = family.atena_numbers
    moved_out(clerk, reviewer, [child], today() - timedelta(days=20))
    moved_out(clerk, reviewer, [wife], today() - timedelta(days=5))
    listed = missing_notices(actor=clerk, purpose=PURPOSE)  # default: 14 days
    assert [(m.atena_number, m.days_waiting, m.planned_destination) for m in listed] == [
        (child, 20, DESTINATION)
    ]
    assert {m.atena_number for m in missing_notices(actor=clerk, purpose=PURPOSE, days=0)} == {wife, child}
    receive(clerk, reviewer, notice([child], move_in_date=today() - timedelta(days=19)))
    assert missing_notices(actor=clerk, purpose=PURPOSE) == []
    entry = AuditEntry.objects.filter(action="resident:move_in_notice:list").latest("seq")
    assert (entry.result_count, entry.reason) == (0, "days=14")


def test_the_screens_and_api(
    family: DraftRecorded, clerk: User, reviewer: User, make_staff: Callable[..., object]
) -> None:
    child = family.atena_numbers[2]
    moved_out(clerk, reviewer, [child], today() - timedelta(days=20))
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:missing_notices"),
        Permission.RESIDENT_VIEW,
        data={"purpose": PURPOSE},
    )
    page = logged_in(clerk).post(reverse("registry:missing_notices"), {"purpose": PURPOSE}).content.decode()
    assert child in page
    entered = logged_in(clerk).post(
        reverse("registry:move_in_notice"),
        {
            "purpose": PURPOSE,
            "atena_numbers": child,
            "notice_date": today().isoformat(),
            "move_in_date": today().isoformat(),
            "destination": CONFIRMED,
            "notification_kind": "届出",
        },
    )
    assert "仮登録しました" in entered.content.decode()
    api = logged_in(reviewer)  # another clerk: the screen's draft locks the person (standard 10.3-d)

    def post(number: str) -> Any:
        body = {
            "purpose": PURPOSE,
            "atena_numbers": [number],
            "notice_date": today().isoformat(),
            "move_in_date": today().isoformat(),
            "destination": CONFIRMED,
        }
        return api.post("/api/registry/review/move-in-notices", body, content_type="application/json")

    locked = post(child)
    assert (locked.status_code, locked.json()["code"]) == (400, "registry.resident_locked")
    wife = family.atena_numbers[1]
    moved_out(clerk, reviewer, [wife], today() - timedelta(days=1))
    accepted = post(wife)
    assert accepted.status_code == 201
    assert accepted.json()["atena_numbers"] == [wife]
