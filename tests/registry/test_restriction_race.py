"""A 抑止 set while a 本登録 is between its check and its writes is never missed (standard 3.1-b; issue 4).

Two threads of a node process (restriction_race_process.py), each on its own connection to a fresh
PostgreSQL database: the 本登録 of a child's 転出 and a 異動入力 抑止 (error) on the child or on the
household. Whichever goes first is paused inside its transaction until the other waits on its row
lock: a 抑止 written first is seen by the commit, which is refused; a commit checked first finishes,
and the 抑止 is set after it. SQLite has one write lock for the whole database, taken when a
transaction begins (restriction_locks), so the race cannot be staged there: skipped, and
test_restriction_locks.py checks on both engines that the locks are taken before the check.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.test_kill_move_in import Node, node_database

SCRIPT = Path(__file__).with_name("restriction_race_process.py")

pytestmark = pytest.mark.skipif(
    not os.environ.get("JUMIN_DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="row locks between two connections: PostgreSQL only (SQLite serialises whole transactions)",
)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    home = tmp_path_factory.mktemp("race-node")
    with node_database(home) as url:
        prepared = Node(url, home, script=SCRIPT)
        assert "PREPARED" in prepared.ok("prepare")
        yield prepared


def race(node: Node, first: str, scope: str) -> dict[str, str]:
    return dict(json.loads(node.ok("race", first, scope).strip().splitlines()[-1]))


@pytest.mark.parametrize("scope", ["person", "household"])
def test_a_suppression_written_before_the_commit_checks_refuses_the_commit(node: Node, scope: str) -> None:
    outcome = race(node, "setter", scope)
    assert (outcome["set"], outcome["commit"]) == ("set", "registry.restricted")
    assert (outcome["change_state"], outcome["suppressions"]) == ("draft", "1")


@pytest.mark.parametrize("scope", ["person", "household"])
def test_a_suppression_set_while_the_commit_holds_its_locks_is_set_after_it(node: Node, scope: str) -> None:
    outcome = race(node, "commit", scope)
    assert (outcome["commit"], outcome["set"]) == ("committed", "set")
    assert (outcome["change_state"], outcome["suppressions"], outcome["set_after_commit"]) == (
        "committed",
        "1",
        "True",
    )
