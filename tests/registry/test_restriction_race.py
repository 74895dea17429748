"""A 抑止 set while a 本登録 or a 証明書交付 is between its check and its writes is never missed
(standard 3.1-b; issues 4, 6).

Two threads of a node process (restriction_race_process.py), each on its own connection to a fresh
PostgreSQL database: the 本登録 of a child's 転出 and a 異動入力 抑止 (error) on the child or on the
household. Whichever goes first is paused inside its transaction until the other waits on its row
lock: a 抑止 written first is seen by the commit, which is refused; a commit checked first finishes,
and the 抑止 is set after it. The same for a 住民票の写し of the child and a 証明書発行 抑止 (issuance
mode): the issuance locks the printed persons and their households before its check. SQLite has one
write lock for the whole database, taken when a transaction begins (restriction_locks), so the race
cannot be staged there: skipped, and test_restriction_locks.py and
tests/certificates/test_issuance_locks.py check on both engines that the locks are taken before the
check.
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


def race(node: Node, first: str, scope: str, process: str = "commit") -> dict[str, str]:
    return dict(json.loads(node.ok("race", first, scope, process).strip().splitlines()[-1]))


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


@pytest.mark.parametrize("scope", ["person", "household"])
def test_a_suppression_written_before_the_issuance_checks_refuses_the_issuance(
    node: Node, scope: str
) -> None:
    outcome = race(node, "setter", scope, "issuance")
    assert (outcome["set"], outcome["issuance"]) == ("set", "certificates.restricted")
    assert (outcome["issuances"], outcome["suppressions"]) == ("0", "1")


@pytest.mark.parametrize("scope", ["person", "household"])
def test_a_suppression_set_while_the_issuance_holds_its_locks_is_set_after_it(node: Node, scope: str) -> None:
    outcome = race(node, "issuance", scope, "issuance")
    assert (outcome["issuance"], outcome["set"]) == ("issued", "set")
    assert (outcome["issuances"], outcome["suppressions"], outcome["set_after_commit"]) == ("1", "1", "True")
