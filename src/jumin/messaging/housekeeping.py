"""Automatic deletions a node runs by itself, once a day, from its own worker (``jumin serve``).

Some deletions are rules, not chores: the prefecture's temporary 個人番号 of a 国外転出者 must be gone
within one year (system.md F21), the CS's 送付先情報 one business day after linkage (F15). They must not
depend on someone remembering a cron entry, so the delivery worker that every running node already has
runs them: each registered job once when the worker starts and then every ``period``. Apps register
their jobs on import (their ``messages.py``), for the node kind that runs them. A failing job is
logged and retried at the next period; it never stops message delivery. The jobs audit themselves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from jumin.messaging import conf

logger = logging.getLogger("jumin.messaging")

DAY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Job:
    """A registered deletion: a name for the log, the node kind that runs it and the function."""

    name: str
    kind: str
    run: Callable[[], object]
    period: float | None = None
    """Seconds between runs; None for the housekeeper's (daily)."""


_jobs: dict[str, Job] = {}


def register(name: str, run: Callable[[], object], *, kind: str, period: float | None = None) -> None:
    """Register (or replace) a job for nodes of ``kind`` (municipality, prefecture, national), run
    daily, or every ``period`` seconds (e.g. the program systems' file link, every few minutes)."""
    _jobs[name] = Job(name=name, kind=kind, run=run, period=period)


def unregister(name: str) -> None:
    """Forget a job (tests register their own)."""
    _jobs.pop(name, None)


class Housekeeper:
    """Runs a node kind's jobs when due; one per worker process.

    ``kind`` defaults to the local node's kind, read once. Between runs a call costs one clock
    reading: the worker calls it every round.
    """

    def __init__(
        self,
        *,
        period: float = DAY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        kind: str | None = None,
    ) -> None:
        self.period = period
        self.clock = clock
        self.kind = kind
        self._last_run: dict[str, float] = {}
        self._next_due = float("-inf")

    def run_due(self) -> list[str]:
        """Run every job of this node's kind not run within the period; returns the names run."""
        if self.clock() < self._next_due:
            return []
        kind = self.kind or conf.local_node().ref.kind
        ran = []
        for job in list(_jobs.values()):
            if job.kind != kind:
                continue
            last = self._last_run.get(job.name)
            now = self.clock()
            if last is not None and now - last < self._period_of(job):
                continue
            self._last_run[job.name] = now  # a failure waits a period too: no tight retry loop
            try:
                result = job.run()
            except Exception as error:  # the type only: the text may quote the rows' data (C-54)
                logger.error(
                    "housekeeping job %s failed (%s); next try in %d s",
                    job.name,
                    type(error).__name__,
                    self._period_of(job),
                )
                continue
            logger.info("housekeeping job %s done: %s", job.name, result)
            ran.append(job.name)
        # Every job of this kind has a last run now; the earliest of them is the next one due.
        dues = [self._last_run[job.name] + self._period_of(job) for job in _jobs.values() if job.kind == kind]
        self._next_due = min(dues, default=self.clock() + self.period)
        return ran

    def _period_of(self, job: Job) -> float:
        return self.period if job.period is None else job.period
