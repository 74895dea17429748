"""The node's own daily deletions: run once per period, only on the node kind that owns them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jumin.audit import listings
from jumin.audit.models import ListedSubject
from jumin.audit.services import record_results
from jumin.messaging import housekeeping, tasks
from jumin.messaging.envelope import NodeRef
from jumin.messaging.housekeeping import Housekeeper
from jumin.messaging.testing import TestFederation


def ours(names: list[str]) -> list[str]:
    """The jobs this module registered (the apps' real jobs run too)."""
    return [name for name in names if name.startswith("test.")]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def nodes(db: None, tmp_path: Path) -> Iterator[TestFederation]:
    """Two nodes of different kinds in this process (tests/messaging's own ``federation`` is over TLS)."""
    refs = [NodeRef("prefecture", "420000"), NodeRef("municipality", "422029")]
    with TestFederation(tmp_path / "nodes", refs) as fed:
        yield fed


@pytest.fixture
def runs() -> Iterator[list[str]]:
    seen: list[str] = []
    housekeeping.register("test.prefecture_job", lambda: seen.append("prefecture"), kind="prefecture")
    housekeeping.register("test.municipality_job", lambda: seen.append("municipality"), kind="municipality")
    yield seen
    housekeeping.unregister("test.prefecture_job")
    housekeeping.unregister("test.municipality_job")


def test_a_job_runs_at_start_then_once_per_period_on_its_node_kind_only(
    nodes: TestFederation, runs: list[str]
) -> None:
    clock = Clock()
    keeper = Housekeeper(period=3600, clock=clock)
    with nodes.acting_as(NodeRef("prefecture", "420000")):
        assert "test.prefecture_job" in keeper.run_due()
        clock.now += 3599
        assert "test.prefecture_job" not in keeper.run_due()
        clock.now += 1
        assert "test.prefecture_job" in keeper.run_due()
    assert runs == ["prefecture", "prefecture"]


def test_a_failing_job_is_logged_waits_a_period_and_never_stops_the_others(
    nodes: TestFederation, runs: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("disk full")

    housekeeping.register("test.broken", broken, kind="municipality")
    try:
        clock = Clock()
        keeper = Housekeeper(period=60, clock=clock)
        with nodes.acting_as(NodeRef("municipality", "422029")):
            assert ours(keeper.run_due()) == ["test.municipality_job"]
            assert ours(keeper.run_due()) == []  # the broken one is not retried in a tight loop
            clock.now += 60
            assert ours(keeper.run_due()) == ["test.municipality_job"]
    finally:
        housekeeping.unregister("test.broken")
    assert "housekeeping job test.broken failed" in caplog.text
    assert runs == ["municipality", "municipality"]


def run_the_worker_until_it_has_housekept(nodes: TestFederation) -> None:
    """Run the municipality node's worker until its housekeeper has run once (at most 30 s)."""
    stop = threading.Event()

    class StopAfterOne(Housekeeper):
        def run_due(self) -> list[str]:
            ran = super().run_due()
            stop.set()
            return ran

    watchdog = threading.Timer(30, stop.set)  # a regression fails the test instead of hanging the suite
    watchdog.start()
    try:
        with nodes.acting_as(NodeRef("municipality", "422029")):
            tasks.run_worker(stop, interval=0.01, housekeeper=StopAfterOne())
    finally:
        watchdog.cancel()


def test_the_delivery_worker_runs_the_housekeeping(nodes: TestFederation, runs: list[str]) -> None:
    # The worker keeps its connection across rounds and never closes one inside a transaction, so
    # the test's own (PostgreSQL) transaction survives it.
    run_the_worker_until_it_has_housekept(nodes)
    assert runs == ["municipality"]


def test_the_delivery_worker_copies_new_search_listings_into_the_per_person_index(
    nodes: TestFederation, runs: list[str]
) -> None:
    search = record_results(None, "resident", ["r1", "r2"], "resident_counter", "kana_name")
    assert listings.indexed_through() < search.id
    run_the_worker_until_it_has_housekept(nodes)
    assert listings.indexed_through() == search.id
    assert ListedSubject.objects.filter(entry_id=search.id).count() == 2


def test_a_failing_round_does_not_hold_back_the_housekeeping(
    nodes: TestFederation, runs: list[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_round(node: object = None, courier: object = None) -> None:
        raise RuntimeError("peer down: 住民 山田太郎")

    monkeypatch.setattr(tasks, "run_round", broken_round)
    run_the_worker_until_it_has_housekept(nodes)
    assert runs == ["municipality"]
    assert "delivery round failed (RuntimeError)" in caplog.text
    assert "山田" not in caplog.text  # the error's text may quote personal data (C-54)


def test_every_retention_rule_of_the_jukinet_apps_is_registered() -> None:
    registered = {name: job.kind for name, job in housekeeping._jobs.items()}
    assert registered["prefecture.purge_temporary_numbers"] == "prefecture"
    assert registered["prefecture.purge_provision_records"] == "prefecture"
    assert registered["cs.purge_sending_addresses"] == "municipality"
    assert registered["cs.purge_wide_area_issuances"] == "municipality"
    assert registered["certificates.purge_expired_history"] == "municipality"
    assert registered["registry.resync_cs_marks"] == "municipality"
    assert registered["national.expire_cards"] == "national"
