"""The SQLite backend (``jumin.sqlite_backend``): the process-wide write gate, one writer thread at a time,
and the background WAL checkpoints of `jumin serve`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler

from jumin.settings.env import database_settings
from jumin.sqlite_backend import checkpoints
from jumin.sqlite_backend.base import write_gate
from tests.messaging.conftest import WAIT


@pytest.fixture(autouse=True)
def own_databases(django_db_blocker: Any) -> Iterator[None]:
    """These tests open their own SQLite files, outside the test database."""
    with django_db_blocker.unblock():
        yield


def open_database(path: Path) -> Any:
    """A connection of the project's SQLite settings to ``path`` (made in the calling thread)."""
    settings = database_settings(f"sqlite:///{path}", base_dir=path.parent)
    return ConnectionHandler({"default": settings})["default"]


def in_thread(work: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def begin(connection: Any) -> None:
    """What ``transaction.atomic`` does first on SQLite."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def end(connection: Any, how: str) -> None:
    getattr(connection, how)()
    connection.set_autocommit(True)


def test_a_second_writer_thread_begins_only_after_the_first_commits(tmp_path: Path) -> None:
    path = tmp_path / "gated.sqlite3"
    first_began, second_began, first_may_commit = threading.Event(), threading.Event(), threading.Event()
    rows: list[tuple[int, ...]] = []

    def first() -> None:
        connection = open_database(path)
        connection.cursor().execute("CREATE TABLE t (n INTEGER)")
        begin(connection)
        connection.cursor().execute("INSERT INTO t VALUES (1)")
        first_began.set()
        first_may_commit.wait(WAIT)
        end(connection, "commit")
        connection.close()

    def second() -> None:
        connection = open_database(path)
        begin(connection)  # waits at the gate, not in SQLite's busy handler
        second_began.set()
        connection.cursor().execute("INSERT INTO t VALUES (2)")
        rows.extend(connection.cursor().execute("SELECT n FROM t ORDER BY n").fetchall())
        end(connection, "commit")
        connection.close()

    one = in_thread(first)
    assert first_began.wait(WAIT)
    two = in_thread(second)
    assert not second_began.wait(0.3)  # still at the gate while the first transaction is open
    first_may_commit.set()
    one.join(WAIT)
    two.join(WAIT)
    assert second_began.is_set()
    assert rows == [(1,), (2,)]
    assert not write_gate(str(path)).locked()


def test_the_gate_opens_on_rollback_and_when_a_connection_closes_inside_a_transaction(tmp_path: Path) -> None:
    path = tmp_path / "gated.sqlite3"
    gate = write_gate(str(path))
    states: list[bool] = []

    def work() -> None:
        connection = open_database(path)
        begin(connection)
        states.append(gate.locked())
        end(connection, "rollback")
        states.append(gate.locked())
        begin(connection)
        states.append(gate.locked())
        connection.close()  # e.g. a broken connection thrown away by the worker
        states.append(gate.locked())

    in_thread(work).join(WAIT)
    assert states == [True, False, True, False]


def test_an_in_memory_database_is_not_gated(tmp_path: Path) -> None:
    states: list[bool] = []

    def work() -> None:
        settings = {**database_settings("sqlite:///:memory:", base_dir=tmp_path), "NAME": ":memory:"}
        connection = ConnectionHandler({"default": settings})["default"]
        begin(connection)
        states.append(write_gate(":memory:").locked())
        end(connection, "rollback")

    in_thread(work).join(WAIT)
    assert states == [False]


def test_a_process_that_checkpoints_in_the_background_leaves_its_commits_free_of_checkpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "checkpointed.sqlite3"
    seen: list[Any] = []

    def work() -> None:
        connection = open_database(path)
        seen.append(connection.cursor().execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        connection.close()
        monkeypatch.setattr(checkpoints, "autocheckpoint_pages", checkpoints.BACKSTOP_PAGES)
        connection = open_database(path)
        cursor = connection.cursor()
        seen.append(cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        cursor.execute("CREATE TABLE t (n INTEGER, filler TEXT)")
        for n in range(300):  # about 300 log pages: under the backstop, so no commit checkpointed them
            begin(connection)
            cursor.execute("INSERT INTO t VALUES (%s, %s)", [n, "x" * 3000])
            end(connection, "commit")
        busy, log, done = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        seen.append((busy, log > 300, done == log))
        connection.close()

    in_thread(work).join(WAIT)
    assert seen == [1000, checkpoints.BACKSTOP_PAGES, (0, True, True)]


def test_the_background_checkpointer_starts_only_for_a_sqlite_database_file(db: None) -> None:
    # The test database is in memory (SQLite) or PostgreSQL: no log to checkpoint, nothing changes.
    assert checkpoints.start_checkpointer(threading.Event()) is None
    assert checkpoints.autocheckpoint_pages is None
