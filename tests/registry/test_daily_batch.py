"""Daily registry batch: planned move-outs whose date has come (standard 1.1.5-a, 9.1; daily-batch.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.resident import ResidentStatus
from jumin.registry.batch import PLANNED_DATE_REACHED_REASON, overdue_move_outs, run_daily_batch
from jumin.registry.models import Change, DailyBatchRun, RegistryEvent, ResidentSearchKey, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.move_in_notice import record_move_in_notice
from jumin.registry.workflows.move_out import record_move_out
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_in_notice import notice
from tests.registry.test_move_out import current, family, move_out, today

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

BATCH_PURPOSE = "registry_batch"


@pytest.fixture
def operator(make_clerk: Callable[..., User]) -> User:
    return make_clerk("batch", Permission.RESIDENT_BATCH_RUN, Permission.RESIDENT_VIEW)


def planned_move_out(clerk: User, reviewer: User, atena: list[str], days_ahead: int) -> date:
    planned = today() + timedelta(days=days_ahead)
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(atena, planned_date=planned))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return planned


def test_on_the_planned_date_a_planned_mover_becomes_a_removal_by_an_appended_row(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    child = family.atena_numbers[2]
    planned = planned_move_out(clerk, reviewer, [child], 5)
    before = current(child)
    assert before.status == ResidentStatus.PLANNED_MOVE_OUT
    early = run_daily_batch(actor=operator, purpose=BATCH_PURPOSE, today=planned - timedelta(days=1))
    assert (early.removed_count, early.overdue_count) == (0, 0)
    assert current(child).pk == before.pk
    result = run_daily_batch(actor=operator, purpose=BATCH_PURPOSE, today=planned)
    assert (result.removed_count, result.overdue_count, result.already_ran) == (1, 1, False)
    after = current(child)
    assert (after.status, after.history_no, after.removal_date) == (
        ResidentStatus.REMOVED,
        before.history_no + 1,
        planned,
    )
    assert after.planned_destination == before.planned_destination
    assert ResidentSnapshot.objects.get(pk=before.pk).status == ResidentStatus.PLANNED_MOVE_OUT  # kept
    change = Change.objects.get(pk=result.change_id)
    assert (change.reason, change.state) == (PLANNED_DATE_REACHED_REASON, "committed")
    assert RegistryEvent.objects.filter(change=change, atena_number=child).exists()
    assert set(
        ResidentSearchKey.objects.filter(resident__atena_number=child).values_list("status", flat=True)
    ) == {ResidentStatus.REMOVED}
    assert current(family.atena_numbers[0]).status == ResidentStatus.RESIDENT  # others untouched
    listed = overdue_move_outs(actor=operator, purpose=BATCH_PURPOSE, today=planned + timedelta(days=3))
    assert [(row.atena_number, row.days_overdue, row.status) for row in listed] == [
        (child, 3, "転出（除票）")
    ]


def test_a_second_run_on_the_same_day_does_nothing_and_says_so(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    planned = planned_move_out(clerk, reviewer, [family.atena_numbers[2]], 2)
    first = run_daily_batch(actor=operator, purpose=BATCH_PURPOSE, today=planned)
    changes = Change.objects.count()
    again = run_daily_batch(actor=operator, purpose=BATCH_PURPOSE, today=planned)
    assert again.already_ran
    assert (again.removed_count, again.change_id) == (first.removed_count, first.change_id)
    assert Change.objects.count() == changes
    assert DailyBatchRun.objects.count() == 1
    reasons = list(
        AuditEntry.objects.filter(action="resident:daily_batch:run", outcome="done")
        .order_by("seq")
        .values_list("reason", flat=True)
    )
    assert reasons[-1] == "already_ran"
    assert reasons[0].startswith("removed=1 ")


def test_a_person_held_by_another_clerks_draft_is_left_for_the_next_run(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    child = family.atena_numbers[2]
    planned = planned_move_out(clerk, reviewer, [child], 3)
    before = current(child)
    record_move_in_notice(actor=clerk, purpose=PURPOSE, notice=notice([child]))  # an open draft
    result = run_daily_batch(actor=operator, purpose=BATCH_PURPOSE, today=planned)
    assert (result.removed_count, result.change_id) == (0, None)
    assert current(child).pk == before.pk
    entry = AuditEntry.objects.filter(action="resident:daily_batch:run").latest("seq")
    assert "left_locked=1" in entry.reason


def test_a_received_move_in_notice_takes_the_person_off_the_follow_up_list(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    child = family.atena_numbers[2]
    planned_move_out(clerk, reviewer, [child], 0)  # removed at once: planned date today
    assert [row.atena_number for row in overdue_move_outs(actor=operator, purpose=BATCH_PURPOSE)] == [child]
    draft = record_move_in_notice(actor=clerk, purpose=PURPOSE, notice=notice([child]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert overdue_move_outs(actor=operator, purpose=BATCH_PURPOSE) == []


def test_running_needs_the_batch_right(family: DraftRecorded, clerk: User) -> None:
    with pytest.raises(AccessRefused):
        run_daily_batch(actor=clerk, purpose=BATCH_PURPOSE)
    assert not DailyBatchRun.objects.exists()


def test_management_command_runs_once_per_day_as_the_operator(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    planned = planned_move_out(clerk, reviewer, [family.atena_numbers[2]], 1)
    out = StringIO()
    call_command("daily_registry_batch", operator=operator.username, date=planned.isoformat(), stdout=out)
    assert "除票とした転出予定者 1人" in out.getvalue()
    out = StringIO()
    call_command("daily_registry_batch", operator=operator.username, date=planned.isoformat(), stdout=out)
    assert "実行済み" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("daily_registry_batch", operator="nobody")
    with pytest.raises(CommandError):
        call_command("daily_registry_batch", operator=clerk.username)  # no batch right
    with pytest.raises(CommandError):
        call_command("daily_registry_batch", operator=operator.username, date="2026-13-01")


def test_screen_and_api_permission_matrix(
    family: DraftRecorded, clerk: User, reviewer: User, make_staff: Callable[..., Any]
) -> None:
    child = family.atena_numbers[2]
    planned_move_out(clerk, reviewer, [child], 0)
    url = reverse("registry:daily_batch")
    assert_permission_triple(
        make_staff, "post", url, Permission.RESIDENT_VIEW, data={"purpose": PURPOSE, "list": ""}
    )
    assert_permission_triple(
        make_staff, "post", url, Permission.RESIDENT_BATCH_RUN, data={"purpose": PURPOSE, "run": ""}
    )
    body = json.dumps({"purpose": PURPOSE})
    api = "/api/registry/programs/batch"
    assert_permission_triple(
        make_staff,
        "post",
        f"{api}/overdue-move-outs",
        Permission.RESIDENT_VIEW,
        data=body,
        content_type="application/json",
    )
    assert_permission_triple(
        make_staff,
        "post",
        f"{api}/daily",
        Permission.RESIDENT_BATCH_RUN,
        data=body,
        content_type="application/json",
    )
    page = logged_in(clerk).post(url, {"purpose": PURPOSE, "list": ""}).content.decode()
    assert child in page
