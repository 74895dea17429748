"""EUC runs on the database task backend: the request only queues, the task worker extracts (standard
10.1-c "no impact on online work"; jumin.task_worker; docs/euc.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jumin import task_worker
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.cli import main as jumin_main
from jumin.registry.euc import services
from jumin.registry.euc.writers import OutputFormat
from jumin.registry.models import Resident
from jumin.registry.models_euc import EucRun
from jumin.registry.services import DraftRecorded
from tests.registry.conftest import PURPOSE, logged_in

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def database_tasks(settings: Any) -> None:
    """The task backend of normal and demo runs (the test settings run jobs at once)."""
    settings.TASKS = DATABASE_TASKS


def queue(actor: User, django_capture_on_commit_callbacks: Any, **overrides: Any) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return services.request_extraction(
            actor=actor,
            purpose=PURPOSE,
            raw=overrides.pop("raw", {"items": ["atena_number"]}),
            output_format=OutputFormat.CSV,
        )


def test_the_request_returns_with_the_run_queued_and_the_worker_then_runs_it(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    client = logged_in(make_clerk("euc", Permission.EUC_EXTRACT))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/registry/euc/runs",
            {"purpose": PURPOSE, "definition": {"items": ["atena_number"]}, "output_format": "csv"},
            content_type="application/json",
        )
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    # Committed and answered, but not extracted: the job waits in the database for the worker.
    assert EucRun.objects.get(pk=run_id).state == EucRun.State.QUEUED
    [job] = DBTaskResult.objects.all()
    assert (job.status, job.task_path, job.args_kwargs["args"]) == (
        "READY",
        "jumin.registry.euc.tasks.run_euc_job",
        [run_id],
    )

    assert task_worker.run_ready() == 1

    run = EucRun.objects.get(pk=run_id)
    assert (run.state, run.row_count) == (EucRun.State.DONE, len(family.atena_numbers))
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL"
    assert task_worker.run_ready() == 0  # a job runs once


def test_a_failing_job_is_recorded_failed_on_the_run_and_the_task(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    run_id = queue(make_clerk("euc", Permission.EUC_EXTRACT), django_capture_on_commit_callbacks)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "write_csv", broken)
        assert task_worker.run_ready() == 1
    assert EucRun.objects.get(pk=run_id).state == EucRun.State.FAILED
    assert DBTaskResult.objects.get().status == "FAILED"


def test_a_stopping_worker_finishes_the_current_job_and_leaves_the_next_queued(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    clerk = make_clerk("euc", Permission.EUC_EXTRACT)
    first = queue(clerk, django_capture_on_commit_callbacks)
    second = queue(clerk, django_capture_on_commit_callbacks)
    stop = threading.Event()
    stop.set()  # as SIGTERM in `jumin serve` does

    assert task_worker.run_ready(stop=stop) == 1
    states = {pk: EucRun.objects.get(pk=pk).state for pk in (first, second)}
    assert sorted(states.values()) == sorted([EucRun.State.DONE, EucRun.State.QUEUED])


@pytest.mark.parametrize("job_lost", [False, True], ids=["queued", "job lost, recovered at start"])
def test_jumin_tasks_worker_once_runs_the_ready_jobs(
    family: DraftRecorded,
    make_clerk: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
    capsys: pytest.CaptureFixture[str],
    job_lost: bool,
) -> None:
    run_id = queue(make_clerk("euc", Permission.EUC_EXTRACT), django_capture_on_commit_callbacks)
    if job_lost:
        DBTaskResult.objects.all().delete()
    assert jumin_main(["tasks-worker", "--once"]) == 0
    assert capsys.readouterr().out.strip() == "RAN 1"
    assert EucRun.objects.get(pk=run_id).state == EucRun.State.DONE


def test_housekeeping_prunes_task_rows_finished_over_14_days_ago_and_keeps_the_run(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    clerk = make_clerk("euc", Permission.EUC_EXTRACT)
    old, recent = (queue(clerk, django_capture_on_commit_callbacks) for _ in range(2))
    assert task_worker.run_ready() == 2
    DBTaskResult.objects.filter(args_kwargs__args=[old]).update(
        finished_at=timezone.now() - timedelta(days=15)
    )

    services.prune_finished_jobs()

    assert [job.args_kwargs["args"] for job in DBTaskResult.objects.all()] == [[recent]]
    assert EucRun.objects.get(pk=old).state == EucRun.State.DONE


def test_the_run_and_its_job_are_stored_in_one_transaction(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    clerk = make_clerk("euc", Permission.EUC_EXTRACT)
    # No on-commit callback runs here: the job row exists because it was written with the run row.
    run_id = services.request_extraction(
        actor=clerk, purpose=PURPOSE, raw={"items": ["atena_number"]}, output_format=OutputFormat.CSV
    )
    assert [job.args_kwargs["args"] for job in DBTaskResult.objects.all()] == [[run_id]]

    def request_then_fail() -> None:
        with transaction.atomic():
            services.request_extraction(
                actor=clerk, purpose=PURPOSE, raw={"items": ["atena_number"]}, output_format=OutputFormat.CSV
            )
            raise RuntimeError("the request's transaction rolls back")

    with pytest.raises(RuntimeError):
        request_then_fail()
    assert (EucRun.objects.count(), DBTaskResult.objects.count()) == (1, 1)  # neither row of the second


def recoveries() -> list[str]:
    return list(
        AuditEntry.objects.filter(action=AuditAction.EUC_RUN_RECOVER)
        .order_by("seq")
        .values_list("reason", flat=True)
    )


def test_a_run_whose_job_was_lost_is_queued_again_once_at_worker_start_then_failed(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    run_id = queue(make_clerk("euc", Permission.EUC_EXTRACT), django_capture_on_commit_callbacks)
    DBTaskResult.objects.all().delete()  # as if the process died between the commit and the queueing

    task_worker.run_start_checks()

    run = EucRun.objects.get(pk=run_id)
    assert (run.state, run.requeued_at is not None) == (EucRun.State.QUEUED, True)
    assert [job.status for job in DBTaskResult.objects.all()] == ["READY"]
    assert recoveries() == [f"euc run {run_id} requeued: job missing"]
    task_worker.run_start_checks()  # a job is waiting: nothing to do
    assert len(recoveries()) == 1

    DBTaskResult.objects.all().delete()  # lost a second time
    task_worker.run_start_checks()
    run.refresh_from_db()
    assert (run.state, run.error) == (EucRun.State.FAILED, services.LOST_MESSAGE)
    assert recoveries()[-1] == f"euc run {run_id} marked failed: job missing"


def test_a_job_running_for_hours_at_worker_start_is_taken_for_dead_and_cannot_finish_later(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    clerk = make_clerk("euc", Permission.EUC_EXTRACT)
    stale, recent = (queue(clerk, django_capture_on_commit_callbacks) for _ in range(2))
    now = timezone.now()
    started = {stale: now - timedelta(hours=services.STALE_RUNNING_HOURS + 1), recent: now}
    for run_id, started_at in started.items():
        DBTaskResult.objects.filter(args_kwargs__args=[run_id]).update(
            status="RUNNING", started_at=started_at
        )

    task_worker.run_start_checks()

    assert EucRun.objects.get(pk=stale).state == EucRun.State.FAILED
    assert EucRun.objects.get(pk=recent).state == EucRun.State.QUEUED  # another worker may be running it
    assert recoveries() == [f"euc run {stale} marked failed: job finished or stale"]
    services.run_extraction(stale)  # the killed job's run, if it ever came back, changes nothing
    assert EucRun.objects.get(pk=stale).state == EucRun.State.FAILED
    assert not AuditEntry.objects.filter(action=AuditAction.EUC_EXTRACTION_RUN).exists()


def state_on_results_screen(client: Any, run_id: int) -> str:
    """The 状態 cell of one run on /registry/euc/results/ (the clerk's view of it)."""
    page = client.post(reverse("registry:euc_results"), {"purpose": PURPOSE})
    [shown] = [run for run in page.context["runs"] if run.run_id == run_id]
    assert shown.state_label in page.content.decode()
    return f"{shown.state_label}{'：' + shown.error if shown.error else ''}"


def test_the_results_screen_shows_waiting_then_running_then_done(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    clerk = make_clerk("euc", Permission.EUC_EXTRACT)
    client = logged_in(clerk)
    run_id = queue(clerk, django_capture_on_commit_callbacks)
    assert state_on_results_screen(client, run_id) == "待機中"
    seen_while_running: list[str] = []
    real_extract = services.extract

    def extract_and_look(definition: Any) -> Any:
        seen_while_running.append(state_on_results_screen(client, run_id))
        return real_extract(definition)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "extract", extract_and_look)
        assert task_worker.run_ready() == 1
    assert seen_while_running == ["実行中"]
    assert state_on_results_screen(client, run_id) == "完了"
    run = EucRun.objects.get(pk=run_id)
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.started_at <= run.finished_at


def test_a_failed_run_shows_a_japanese_reason_without_personal_data(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    clerk = make_clerk("euc", Permission.EUC_EXTRACT)
    run_id = queue(clerk, django_capture_on_commit_callbacks)
    surname = Resident.objects.get(atena_number=family.atena_numbers[0]).current.surname

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError(f"cannot write {surname}")  # an error text that names a person

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "write_csv", broken)
        assert task_worker.run_ready() == 1
    shown = state_on_results_screen(logged_in(clerk), run_id)
    assert shown == "失敗：抽出中にエラーが発生しました。システム担当へ連絡してください。"
    assert surname not in EucRun.objects.get(pk=run_id).error


def test_a_run_left_running_by_a_lost_job_is_queued_again_and_then_completes(
    family: DraftRecorded, make_clerk: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    run_id = queue(make_clerk("euc", Permission.EUC_EXTRACT), django_capture_on_commit_callbacks)
    EucRun.objects.filter(pk=run_id).update(state=EucRun.State.RUNNING, started_at=timezone.now())
    DBTaskResult.objects.all().delete()  # the job died after marking its run 実行中

    task_worker.run_start_checks()

    run = EucRun.objects.get(pk=run_id)
    assert (run.state, run.started_at, run.requeued_at is not None) == (EucRun.State.QUEUED, None, True)
    assert task_worker.run_ready() == 1
    assert EucRun.objects.get(pk=run_id).state == EucRun.State.DONE
