"""The delivery's staff screen and API, its schedule in the task worker, and `jumin atena sync`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from jumin import task_worker
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.atena import conf
from jumin.atena.models import AtenaPerson, SyncIssue
from jumin.audit.models import AuditEntry
from jumin.registry.models import RegistryEvent
from jumin.registry.services import DraftRecorded, record_move_in
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, family_move_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]) -> list[str]:
    return list(commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())).atena_numbers)


def test_the_status_screen_shows_the_lag_and_what_is_held_with_its_remedy(
    family: list[str], make_staff: Callable[..., object]
) -> None:
    assert_permission_triple(
        make_staff, "post", "/atena/status/", Permission.NETWORK_MONITOR, data={"purpose": PURPOSE}
    )
    client = make_staff([Permission.NETWORK_MONITOR])
    page = client.post("/atena/status/", {"purpose": PURPOSE}).content.decode()  # type: ignore[attr-defined]
    assert "未適用のイベント</th><td>3件" in page
    RegistryEvent.objects.create(  # a 更新順番号 after a gap: held, with the remedy
        event_type="resident.restriction_set",
        atena_number=family[0],
        subject_seq=3,
        restriction_kind="support_measure",
        restriction_id=7,
        created_at=RegistryEvent.objects.first().created_at,  # type: ignore[union-attr]
    )
    call_command("atena_sync", "--operator", make_operator().username)
    page = client.post("/atena/status/", {"purpose": PURPOSE}).content.decode()  # type: ignore[attr-defined]
    assert "未適用のイベント</th><td>0件" in page
    assert "保留しています" in page
    assert "システム管理者に連絡してください" in page
    assert family[0] in page


def make_operator() -> User:
    from tests.helpers.accounts import grant_permissions, make_user

    user = make_user(username="operator", display_name="operator")
    grant_permissions(user, [Permission.NETWORK_OPERATE, Permission.NETWORK_MONITOR])
    return user


def test_sync_on_demand_needs_the_operate_right_and_is_audited(
    make_staff: Callable[..., object], request: pytest.FixtureRequest
) -> None:
    url, data = "/api/atena/sync", {"purpose": PURPOSE}
    triple = {"data": data, "content_type": "application/json", "success_status": (202,)}
    assert_permission_triple(make_staff, "post", url, Permission.NETWORK_OPERATE, **triple)  # type: ignore[arg-type]
    request.getfixturevalue("family")
    client = make_staff([Permission.NETWORK_OPERATE])
    assert client.post(url, data, content_type="application/json").status_code == 202  # type: ignore[attr-defined]
    # The test settings run a queued task at once: the family is applied.
    assert AtenaPerson.objects.count() == 3
    assert AuditEntry.objects.filter(action="atena:sync:request", outcome="done").count() == 2


def test_the_command_refuses_an_operator_without_the_right(family: list[str]) -> None:
    from django.core.management.base import CommandError

    from tests.helpers.accounts import make_user

    with pytest.raises(CommandError):
        call_command("atena_sync", "--operator", make_user(username="nobody").username)
    assert not AtenaPerson.objects.exists()


def test_the_worker_runs_the_delivery_in_the_chosen_mode() -> None:
    with override_settings(JUMIN_ATENA_DELIVERY="realtime"):
        assert conf.interval_seconds() == 0
    with override_settings(JUMIN_ATENA_DELIVERY="near_realtime", JUMIN_ATENA_INTERVAL_MINUTES=10):
        assert conf.interval_seconds() == 600
    with override_settings(JUMIN_ATENA_INTERVAL_MINUTES=11), pytest.raises(ImproperlyConfigured):
        conf.interval_seconds()
    with override_settings(JUMIN_ATENA_DELIVERY="hourly"), pytest.raises(ImproperlyConfigured):
        conf.interval_seconds()


def test_a_step_runs_when_due_and_a_failing_one_waits_its_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(task_worker, "_STEPS", {})
    calls: list[str] = []

    def failing() -> None:
        calls.append("failing")
        raise RuntimeError("boom")

    task_worker.every("a", lambda: calls.append("a"), seconds=lambda: 300.0)
    task_worker.every("b", failing, seconds=lambda: 60.0)
    assert task_worker.run_due_steps(clock=lambda: 1000.0) == ["a"]
    assert task_worker.run_due_steps(clock=lambda: 1059.0) == []
    assert task_worker.run_due_steps(clock=lambda: 1060.0) == []  # b ran again (and failed)
    assert task_worker.run_due_steps(clock=lambda: 1300.0) == ["a"]
    assert calls == ["a", "failing", "failing", "a", "failing"]


def test_a_step_whose_interval_cannot_be_read_is_tried_again_after_a_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(task_worker, "_STEPS", {})
    calls: list[str] = []

    def bad_setting() -> float:
        raise ImproperlyConfigured("JUMIN_ATENA_INTERVAL_MINUTES")

    task_worker.every("bad", lambda: calls.append("bad"), seconds=bad_setting)
    assert task_worker.run_due_steps(clock=lambda: 0.0) == []
    assert task_worker.run_due_steps(clock=lambda: 59.0) == []
    assert task_worker._STEPS["bad"].next_due == task_worker.FAILED_STEP_SECONDS
    assert calls == []


def test_the_delivery_is_registered_as_a_worker_step(family: list[str]) -> None:
    assert "atena.sync" in task_worker._STEPS
    task_worker._STEPS["atena.sync"].run()
    assert AtenaPerson.objects.count() == 3
    assert not SyncIssue.objects.exists()


def test_jumin_atena_sync_forwards_to_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from jumin.cli import atena, build_parser

    seen: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(atena, "run_management_command", lambda name, rest: seen.append((name, rest)) or 0)
    args = build_parser().parse_args(["atena", "sync", "--operator", "op"])
    assert args.func(args) == 0
    assert seen == [("atena_sync", ["--operator", "op"])]


def test_the_status_api_answers_the_same_as_the_screen(
    family: list[str], make_staff: Callable[..., object]
) -> None:
    url, data = "/api/atena/status", {"purpose": PURPOSE}
    assert_permission_triple(
        make_staff, "post", url, Permission.NETWORK_MONITOR, data=data, content_type="application/json"
    )
    client = make_staff([Permission.NETWORK_MONITOR])
    answer = client.post(url, data, content_type="application/json").json()  # type: ignore[attr-defined]
    assert (answer["waiting"], answer["mode"], answer["interval_minutes"], answer["issues"]) == (
        3,
        "near_realtime",
        5,
        [],
    )
    assert answer["lag_seconds"] >= 0
    RegistryEvent.objects.create(  # after a gap: held
        event_type="resident.restriction_set",
        atena_number=family[0],
        subject_seq=3,
        restriction_kind="support_measure",
        restriction_id=7,
        created_at=RegistryEvent.objects.first().created_at,  # type: ignore[union-attr]
    )
    call_command("atena_sync", "--operator", make_operator().username)
    answer = client.post(url, data, content_type="application/json").json()  # type: ignore[attr-defined]
    assert [(i["atena_number"], i["subject_seq"], i["code"]) for i in answer["issues"]] == [
        (family[0], 3, "order_gap")
    ]
