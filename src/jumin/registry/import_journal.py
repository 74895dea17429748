"""The journal a first SQLite load writes through: the rollback journal instead of the write-ahead log.

In WAL mode every page of a load is written twice: into the log at the commit, then into the
database by the checkpoint (1.7 GiB each for 1,000,000 residents, the largest serial part of P1,
performance.md). With the rollback journal, pages appended to the file have no old content to
save, so the load is written once; with ``synchronous=FULL`` the commit is as durable as in WAL
mode and a crash mid-load is rolled back from the journal by the next connection.

SQLite leaves WAL mode only when no other connection has the database open, so this is tried for
a first migration into an empty registry and gives up at once otherwise (the load then runs in WAL
mode, as before). While it runs, other connections cannot open the database; they can once the
load is over, because the mode goes back to WAL (docs/workflows/import.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)

WAL = "wal"
ROLLBACK = "delete"
SYNCHRONOUS_FULL = 2


@dataclass(frozen=True)
class JournalState:
    """What a load changed on its connection, to be put back after it."""

    synchronous: int


def _query(statement: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(statement)  # fixed PRAGMA statements from this module
        return str(cursor.fetchone()[0]).lower()


def enter_rollback_journal() -> JournalState | None:
    """Switch this SQLite connection from WAL to the rollback journal; None when it cannot or need not.

    Must be called outside a transaction. The database's other connections make SQLite refuse the
    switch ("database is locked"), which is not an error here: the load keeps WAL mode.
    """
    if connection.vendor != "sqlite" or _query("PRAGMA journal_mode") != WAL:
        return None
    try:
        switched = _query(f"PRAGMA journal_mode = {ROLLBACK}")
    except OperationalError:
        return None
    if switched != ROLLBACK:
        return None
    # FULL: the journal is synced before the database is changed, so a crash always rolls back.
    previous = sqlite_setting("synchronous", SYNCHRONOUS_FULL)
    assert previous is not None  # SQLite, checked above
    return JournalState(synchronous=previous)


def sqlite_setting(name: str, value: int | None) -> int | None:
    """SQLite only: set the connection's integer setting ``name`` (None: leave it); return the old value."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")  # a fixed setting name from the registry's import modules
        previous = int(cursor.fetchone()[0])
        if value is not None:
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    return previous


def leave_rollback_journal(previous: JournalState) -> None:
    """Back to WAL mode and the connection's previous ``synchronous`` after the load's commit or rollback."""
    sqlite_setting("synchronous", previous.synchronous)
    try:
        _query(f"PRAGMA journal_mode = {WAL}")
    except OperationalError:
        # Another connection opened meanwhile; Jumin's connections switch to WAL as they open
        # (settings/env.py), so the database is back in WAL mode with the next one.
        logger.warning("registry import: WAL mode not restored on the loading connection")
