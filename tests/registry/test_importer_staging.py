"""The staged bulk load (registry.import_staging, performance.md P1) against the in-process load.

On SQLite a load that owns its transaction has its workers write segment files that it copies with
INSERT … SELECT. pytest-django wraps every test in a transaction, so the load runs in its own process
on a fresh database (staged_load_process.py); on PostgreSQL the same checks cover its worker path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jumin.population import write_population
from jumin.registry.import_staging import _sequenced
from tests.registry.test_importer_programs import with_program_dates
from tests.registry.test_kill_move_in import Node, node_database

SCRIPT = Path(__file__).with_name("staged_load_process.py")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("staged-load")
    population = home / "pop.jsonl"
    with population.open("w", encoding="utf-8") as out:
        write_population(out, 150, "422029", seed=5)
    # Every third line with its programs' dates (standard 1.1.1-a): their rows are copied too.
    lines = [json.loads(line) for line in population.read_text(encoding="utf-8").splitlines()]
    dated = [with_program_dates(r) if i % 3 == 0 else r for i, r in enumerate(lines)]
    population.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in dated), encoding="utf-8")
    with node_database(home) as url:
        yield dict(json.loads(Node(url, home, script=SCRIPT).ok(str(population)).strip().splitlines()[-1]))


def test_a_staged_load_writes_the_rows_of_the_in_process_load(outcome: dict[str, Any]) -> None:
    # Two staged loads, cut inside a household, write what one in-process load writes.
    assert outcome["staged"] == outcome["direct"]
    assert "ResidentSearchKey" in outcome["direct"]
    assert "national_health_insurance" in outcome["direct"]  # ProgramRecord rows were written
    if outcome["engine"] == "sqlite":
        assert outcome["loaded"]["copied"] >= 2  # segments were copied, not rows sent back


def test_the_results_and_audit_entries_name_what_each_load_wrote(outcome: dict[str, Any]) -> None:
    first_residents, first_households, second_residents, second_households = outcome["results"]
    assert first_residents + second_residents == 165  # 150 living and their 除票
    assert first_households > 0
    assert second_households >= 0
    first_digest, second_digest = outcome["digests"]
    assert outcome["reasons"] == [
        f"{first_residents} residents from a file with sha256 {first_digest}",
        f"{second_residents} residents from a file with sha256 {second_digest}",
    ]


def test_a_bad_line_after_copied_segments_leaves_nothing_behind(outcome: dict[str, Any]) -> None:
    failed = outcome["failed"]
    assert (failed["code"], failed["field"], failed["unchanged"]) == (
        "import.individual_number",
        "line 163",
        True,
    )
    assert failed["import_entries"] == 0
    assert (failed["attached"], failed["files"]) == ([], [])
    if outcome["engine"] == "sqlite":
        assert failed["copied"] >= 1  # the refusal came after segments were already copied


def test_a_staged_load_of_registered_people_is_refused_and_changes_nothing(outcome: dict[str, Any]) -> None:
    duplicate = outcome["duplicate"]
    assert (duplicate["code"], duplicate["unchanged"]) == ("import.duplicate", True)
    assert duplicate["field"].startswith("lines 1-")
    assert (duplicate["attached"], duplicate["files"]) == ([], [])
    assert (outcome["loaded"]["attached"], outcome["loaded"]["files"]) == ([], [])


def test_a_first_load_runs_in_the_rollback_journal_and_leaves_wal_behind(
    outcome: dict[str, Any],
) -> None:
    # registry.import_journal: failed-beside-a-reader, failed, first part (empty registry), second part.
    if outcome["engine"] != "sqlite":
        assert outcome["modes_during"] == [None, None]
        return
    beside_a_reader = outcome["failed_beside_a_reader"]
    assert (beside_a_reader["code"], beside_a_reader["unchanged"], beside_a_reader["mode"]) == (
        "import.individual_number",
        True,
        "wal",
    )
    # The refused loads built no index; the two parts did: the first into an empty registry.
    assert outcome["modes_during"] == ["delete", "wal"]
    assert outcome["failed"]["mode"] == "wal"
    assert outcome["mode_after"] == "wal"


def test_a_first_load_killed_before_its_commit_leaves_an_empty_intact_registry(tmp_path: Path) -> None:
    population = tmp_path / "pop.jsonl"
    with population.open("w", encoding="utf-8") as out:
        write_population(out, 60, "422029", seed=7)
    with node_database(tmp_path) as url:
        node = Node(url, tmp_path, script=SCRIPT)
        node.killed(str(population), "die")
        state = json.loads(node.ok(str(population), "inspect").strip().splitlines()[-1])
    assert {name: state["counts"][name] for name in ("Household", "Resident", "ResidentSnapshot")} == {
        "Household": 0,
        "Resident": 0,
        "ResidentSnapshot": 0,
    }
    assert state["counts"]["ResidentSearchKey"] == 0
    if url.startswith("sqlite"):
        assert (state["journal_mode"], state["integrity"]) == ("wal", ["ok"])


def test_staged_key_rows_sort_in_file_order_whatever_order_chunks_are_written() -> None:
    # Two chunks of two people each (ids 10-11 and 12-13), the later one written first by its worker.
    later = _sequenced([(12, "a"), (12, "b"), (13, "c")], first_resident=12, residents=2)
    earlier = _sequenced([(10, "d"), (11, "e"), (11, "f")], first_resident=10, residents=2)
    assert [row[1:] for row in sorted(later + earlier)] == [
        (10, "d"),
        (11, "e"),
        (11, "f"),
        (12, "a"),
        (12, "b"),
        (13, "c"),
    ]
    with pytest.raises(RuntimeError):
        _sequenced([(1, "x")] * 9, first_resident=1, residents=1)
