"""A process killed in the middle of the 除票 archive move leaves no half-moved person (standard 9.3-a).

The node is a real process (kill_removed_archive_process.py) on its own database of the engine the suite
runs on (test_kill_move_in.node_database). It is SIGKILLed inside the second person's transaction, after
their rows are copied into the 除票データベース and before their search keys move; a later process
finds the first person fully moved (copied, keys moved, person and rows marked) and the second
untouched, and a retry moves the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.registry.test_kill_move_in import Node, node_database

SCRIPT = Path(__file__).with_name("kill_removed_archive_process.py")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    with node_database(tmp_path) as url:
        prepared = Node(url, tmp_path, SCRIPT)
        prepared.ok("prepare")
        yield prepared


def moved(person: dict[str, Any]) -> bool:
    return (
        person["entries"] == 1
        and person["copied_rows"] == person["live_rows"]
        and person["live_keys"] == 0
        and person["archived_keys"] > 0
        and person["moves_audited"] == 1
        and person["person_marked"]
        and person["marked_rows"] == person["live_rows"]
    )


def untouched(person: dict[str, Any]) -> bool:
    return (person["entries"], person["copied_rows"], person["archived_keys"], person["moves_audited"]) == (
        0,
        0,
        0,
        0,
    ) and (person["live_keys"] > 0, person["person_marked"], person["marked_rows"]) == (True, False, 0)


def test_a_run_killed_inside_a_persons_move_leaves_them_untouched_and_the_retry_finishes(node: Node) -> None:
    before = node.state()
    assert len(before) == 3
    assert all(untouched(person) for person in before.values())

    node.killed("archive-and-die")

    after = node.state()
    first, second, third = (after[key] for key in sorted(after, key=int))
    assert moved(first)
    assert untouched(second)  # its copied rows went with the killed transaction
    assert untouched(third)

    assert "MOVED 2" in node.ok("archive")
    assert all(moved(person) for person in node.state().values())
    assert "MOVED 0" in node.ok("archive")  # idempotent
