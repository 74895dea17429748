"""The background task worker: runs the jobs queued in the database (django-tasks-db), such as EUC
extractions, outside the clerk's request (standard 10.1-c "no impact on online work"; ADR 0001).

``jumin serve`` runs ``run_worker`` in a thread next to the delivery worker; ``jumin tasks-worker`` runs it
on its own (``--once``: the jobs ready now, then exit). Claiming a job (row lock, one worker per job) and
recording its success or failure are the package's (``get_locked``, ``claim``, ``Worker.run_task``).
Before its first round a worker runs the start-up checks apps registered (``on_start``), e.g. EUC's
recovery of runs whose job was lost. After each round it runs the periodic steps apps registered
(``every``) that are due, e.g. the 宛名 delivery from the registry's outbox (docs/atena.md).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from jumin.messaging.tasks import close_connections, keep_connections_usable

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "default"

_START_CHECKS: dict[str, Callable[[], object]] = {}


def on_start(name: str, check: Callable[[], object]) -> None:
    """Register a check every worker runs once when it starts (apps register theirs on import)."""
    _START_CHECKS[name] = check


def run_start_checks() -> None:
    """Run the registered start-up checks; one that fails is logged by type only and the rest still run
    (a database error's text may quote row data, controls.md C-54)."""
    for name, check in sorted(_START_CHECKS.items()):
        try:
            check()
        except Exception as error:
            logger.error("worker start-up check %s failed (%s)", name, type(error).__name__)


@dataclass
class _Step:
    run: Callable[[], object]
    seconds: Callable[[], float]  # read each time, so a changed setting takes effect
    next_due: float = float("-inf")


_STEPS: dict[str, _Step] = {}
FAILED_STEP_SECONDS = 60.0


def every(name: str, run: Callable[[], object], *, seconds: Callable[[], float]) -> None:
    """Register a step every worker runs after a round when ``seconds()`` have passed since its last run
    (0: after every round). Apps register theirs on import."""
    _STEPS[name] = _Step(run=run, seconds=seconds)


def run_due_steps(clock: Callable[[], float] = time.monotonic) -> list[str]:
    """Run the registered steps that are due; one that fails is logged by type only (C-54), waits its
    interval like one that succeeded (``FAILED_STEP_SECONDS`` when the interval itself cannot be read,
    e.g. a bad setting), and the others still run. Returns the names run."""
    ran = []
    for name, step in sorted(_STEPS.items()):
        now = clock()
        if now < step.next_due:
            continue
        step.next_due = now + FAILED_STEP_SECONDS
        try:
            step.next_due = now + step.seconds()
            step.run()
            ran.append(name)
        except Exception as error:
            logger.error("worker step %s failed (%s)", name, type(error).__name__)
    return ran


def _runner(backend_name: str) -> Worker:
    """The package's worker, used for running one claimed job (signals, success or failure recorded)."""
    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=backend_name,
        startup_delay=False,
        max_tasks=None,
        worker_id=f"jumin-{os.getpid()}-{threading.get_native_id()}",
        excluded_queue_names=[],
    )


def _claim(runner: Worker) -> DBTaskResult[Any, Any] | None:
    """Lock and claim the next ready job (one worker per job), or None when none is ready now."""
    ready = DBTaskResult.objects.ready().filter(backend_name=runner.backend_name)
    if not ready.exists():  # an idle node takes no write lock (SQLite: one writer per node)
        return None
    try:
        with exclusive_transaction(ready.db):
            job = ready.get_locked()
            if job is not None:
                job.claim(runner.worker_id)
            return job
    except OperationalError as error:
        if is_locked_database_exception(error):  # SQLite busy with another writer: the next round
            return None
        raise


def run_ready(*, backend_name: str = DEFAULT_BACKEND, stop: threading.Event | None = None) -> int:
    """Run the jobs that are ready, one after another, and return how many ran; with ``stop`` set, stop
    after the job that is running (never inside one).

    A job that raises is recorded as failed by the package (its traceback in the task row) and the
    next job runs; the job itself records its outcome for the clerk (e.g. ``EucRun.state``). The
    package's own loop is not used: it closes the connection every round, even inside a transaction."""
    runner = _runner(backend_name)
    ran = 0
    while True:
        keep_connections_usable()
        job = _claim(runner)
        if job is None:
            return ran
        runner.run_task(job)
        ran += 1
        if stop is not None and stop.is_set():
            return ran


def run_worker(stop: threading.Event, *, interval: float = 1.0, backend_name: str = DEFAULT_BACKEND) -> None:
    """Run ready jobs until ``stop`` is set, looking again every ``interval`` seconds when idle.

    A job already running finishes before the worker stops (SIGTERM in ``jumin serve`` sets ``stop``).
    An unexpected error (e.g. the database restarting) is logged by type only, since a database error's
    text may quote row data (controls.md C-54), and the next round tries again."""
    try:
        keep_connections_usable()
        run_start_checks()
        while not stop.is_set():
            try:
                ran = run_ready(backend_name=backend_name, stop=stop)
                if ran:
                    logger.info("ran %d background jobs", ran)
            except Exception as error:
                logger.error("background job round failed (%s)", type(error).__name__)
            keep_connections_usable()
            run_due_steps()
            stop.wait(interval)
    finally:
        close_connections()
