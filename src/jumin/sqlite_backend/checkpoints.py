"""WAL checkpoints off the commit path, for a long-running node process (`jumin serve`).

In WAL mode SQLite copies the log back into the database file (a checkpoint, with two ``fsync`` calls)
inside the commit that lets the log pass ``wal_autocheckpoint`` pages (1,000 by default). On a node that
commit is a received batch's or its receipts', while the next hop waits for it: in the P5 chain a
checkpoint made about a third of each commit's time (docs/benchmarks.md). ``start_checkpointer`` moves
that work to a thread of its own, which checkpoints every ``INTERVAL_SECONDS`` (``PASSIVE``: it never
waits for a writer or blocks one), and raises the threshold of this process's new connections to
``BACKSTOP_PAGES``, so a commit still checkpoints if the thread falls behind and the log stays bounded.
Durability is unchanged: ``synchronous=NORMAL`` already syncs at checkpoints only, and every committed
transaction is in the log before the commit returns.
"""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, connection

logger = logging.getLogger("jumin.sqlite")

#: Seconds between background checkpoints.
INTERVAL_SECONDS = 1.0
#: Log pages after which a committing connection of this process checkpoints itself (a backstop).
BACKSTOP_PAGES = 10_000

#: ``wal_autocheckpoint`` for the process's new connections; None keeps SQLite's default.
autocheckpoint_pages: int | None = None


def checkpoint() -> tuple[int, int, int]:
    """One ``PASSIVE`` checkpoint on this thread's connection: (busy, log pages, pages checkpointed)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, log, done = cursor.fetchone()
    return int(busy), int(log), int(done)


def _run(stop: threading.Event, interval: float) -> None:
    try:
        while not stop.wait(interval):
            try:
                checkpoint()
            except DatabaseError as error:  # the type only: the next interval tries again
                logger.warning("background checkpoint failed (%s)", type(error).__name__)
    finally:
        connection.close()


def start_checkpointer(stop: threading.Event, interval: float = INTERVAL_SECONDS) -> threading.Thread | None:
    """Checkpoint in a daemon thread until ``stop`` is set (a file SQLite database only; else None).

    Call it before the process's other threads open their connections: connections opened from now on
    leave checkpoints to the thread up to ``BACKSTOP_PAGES``.
    """
    global autocheckpoint_pages
    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or name == ":memory:" or "mode=memory" in name:
        return None  # another engine, or an in-memory database (no log to checkpoint)
    autocheckpoint_pages = BACKSTOP_PAGES
    connection.close()  # this thread's connection, if start-up opened one, reopens with the threshold
    thread = threading.Thread(target=_run, args=(stop, interval), name="wal-checkpoint", daemon=True)
    thread.start()
    return thread
