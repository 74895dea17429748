"""A process killed in the middle of a 3-person 転入 leaves no partial household (issue 4).

The node is a real process (kill_move_in_process.py) on its own database of the engine the suite
runs on: a SQLite file, or a fresh database on the PostgreSQL server of JUMIN_DATABASE_URL. It is
SIGKILLed inside the transaction once the people are written while entering the draft (their rows
are one INSERT), and after two of the three rows are numbered while committing it (本登録); a later
process then finds the state before that transaction, and a retry completes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest

SCRIPT = Path(__file__).with_name("kill_move_in_process.py")
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300  # a hang is a failure, not a measurement


@contextlib.contextmanager
def node_database(tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database for the node process, on the engine this suite uses."""
    url = os.environ.get("JUMIN_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'node.sqlite3'}"
        return
    import psycopg  # only needed on PostgreSQL

    parsed = urlparse(url)
    name = f"jumin_kill_{uuid.uuid4().hex[:12]}"
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(parsed._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Node:
    """Runs the commands of a node script (default kill_move_in_process.py) against one database."""

    def __init__(self, url: str, home: Path, script: Path = SCRIPT) -> None:
        self.script = script
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUMIN_", "DJANGO_"))}
        env.update(
            JUMIN_DEMO="1",
            JUMIN_HOME=str(home),
            JUMIN_DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="jumin.settings.test",
            PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        )
        self.env = env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(self.script), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def killed(self, *args: str) -> None:
        done = self.run(*args)
        assert done.returncode == -signal.SIGKILL, (done.returncode, done.stderr[-3000:])

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.ok("inspect").strip().splitlines()[-1]))


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with node_database(tmp_path) as url:
        prepared = Node(url, tmp_path)
        assert "PREPARED" in prepared.ok("prepare")
        yield prepared


def draft_id(output: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith("DRAFT ")]
    return line.split()[1]


def assert_fully_committed(state: dict[str, Any]) -> None:
    assert set(state["changes"].values()) == {"committed"}
    assert (state["current_residents"], state["committed_rows"], state["draft_rows"]) == (3, 3, 0)
    assert state["households_with_rows"] == 1
    assert state["events"] == 3
    assert state["open_locks"] == 0
    assert ["resident:change:commit", "done"] in state["audit"]


def test_a_commit_killed_after_two_of_three_people_leaves_the_draft_as_it_was(node: Node) -> None:
    change = draft_id(node.ok("record"))
    before = node.state()
    assert before["changes"] == {change: "draft"}
    # New people are not locked (nobody else can name them before 本登録, standard 10.3-d).
    assert (before["draft_rows"], before["committed_rows"], before["open_locks"]) == (3, 0, 0)

    node.killed("commit-and-die", change)

    after = node.state()
    # Nothing of the commit transaction survives: no numbered row, no current person, no
    # search key, no outbox event, no commit audit entry, no lock left behind; the draft is as before.
    assert after == before
    assert after["committed_rows"] == after["current_residents"] == after["search_keys"] == 0
    assert after["events"] == 0
    assert ["resident:change:commit", "done"] not in after["audit"]

    assert "COMMITTED" in node.ok("commit", change)
    assert_fully_committed(node.state())


def test_a_draft_killed_after_its_people_are_written_leaves_nothing(node: Node) -> None:
    before = node.state()
    node.killed("record-and-die")

    after = node.state()
    # No change, household, person, row, lock or audit entry of the killed 転入.
    assert after == before
    assert (after["changes"], after["residents"], after["households"], after["draft_rows"]) == ({}, 0, 0, 0)
    assert after["audit"] == []

    change = draft_id(node.ok("record"))
    assert "COMMITTED" in node.ok("commit", change)
    assert_fully_committed(node.state())
