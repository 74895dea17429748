"""`jumin bench`: measure the figures of performance.md that landed features support.

Prints one JSON object keyed by figure id, plus `meta` and `skipped` (issue 10). Each latency
is a distribution after a warm-up; each rate is measured over the whole run. Never part of
`make test` (a small smoke run is, without timing assertions).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jumin.settings.env import BASE_DIR_DEFAULT

NOT_LANDED: dict[str, str] = {}
#: P5 runs three SQLite `jumin serve` nodes whatever the bench's engine: the PostgreSQL pass would
#: only repeat the SQLite pass's figure (as tests/cli/test_federation.py, which is SQLite-only too).
P5_ON_POSTGRESQL = "P5: the three local nodes run on SQLite whatever the engine; measured in the SQLite pass"
FIGURES = tuple(f"P{i}" for i in range(1, 11))
#: P2–P4 measure on the population P1 loads, so selecting one of them runs P1 too.
NEEDS_POPULATION = frozenset({"P2", "P3", "P4"})
NOT_SELECTED = "not selected (--only)"


def select_figures(only: str | None) -> frozenset[str]:
    """The figures a run measures: every figure, or the comma-separated ids of ``--only`` (plus P1
    when P2–P4 need its population). An unknown id is refused with the list of valid ones."""
    if not only:
        return frozenset(FIGURES)
    chosen = {item.strip().upper() for item in only.split(",") if item.strip()}
    unknown = sorted(chosen - set(FIGURES))
    if unknown or not chosen:
        named = ", ".join(unknown) or "(none)"
        raise ValueError(f"--only: unknown figure {named}; choose from {', '.join(FIGURES)}")
    if chosen & NEEDS_POPULATION:
        chosen.add("P1")
    return frozenset(chosen)


def percentiles(samples_ms: list[float]) -> dict[str, float | int]:
    """p50/p95/p99 and the count of a latency sample, in milliseconds."""
    ordered = sorted(samples_ms)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 4),
        "p95_ms": round(cuts[94], 4),
        "p99_ms": round(cuts[98], 4),
        "count": len(ordered),
    }


def timed(operation: Callable[[], object], *, warmup: int, count: int) -> list[float]:
    """Run the operation warmup + count times and return the measured latencies in ms."""
    for _ in range(warmup):
        operation()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH is intended)
            cwd=BASE_DIR_DEFAULT,
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def bench_dir() -> Path:
    """Where benchmark databases and generated populations live (var/bench below JUMIN_HOME)."""
    path = Path(os.environ.get("JUMIN_HOME", BASE_DIR_DEFAULT)) / "var" / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _prepare_database() -> None:
    if "JUMIN_DATABASE_URL" not in os.environ:
        db = bench_dir() / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.environ["JUMIN_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("JUMIN_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def run(
    *, residents: int, json_path: str | None, audit_entries: int | None = None, only: str | None = None
) -> int:
    """Measure, print the JSON object and optionally write it to json_path.

    Sizes other than the population come from JUMIN_BENCH_AUDIT_CHAIN (P7, default 200,000),
    JUMIN_BENCH_AUDIT_ROWS (P8, default 2,000,000), JUMIN_BENCH_MOVE_INS (P3, default 300;
    JUMIN_BENCH_P3_CLIENTS processes at once for the sustained rate, default 2 on PostgreSQL, 0 on SQLite),
    JUMIN_BENCH_CERTIFICATES (P4, default 200), JUMIN_BENCH_P5_UPDATES (P5, default 2,000; gives up
    after JUMIN_BENCH_P5_TIMEOUT seconds, default 120), JUMIN_BENCH_CONSISTENCY_RECORDS (P6, default
    the population) and JUMIN_BENCH_PROVISION_ROWS (P10, default the population, at most 100,000),
    so that the smoke run in the test suite stays small. ``only`` ("P7,P8,P9") measures just those
    figures (``select_figures``); the others are listed in ``skipped`` as not selected.
    """
    wanted = select_figures(only)
    if audit_entries is None:
        audit_entries = int(os.environ.get("JUMIN_BENCH_AUDIT_CHAIN", "200000"))
    _prepare_database()
    from django.db import connection

    from jumin.cli import bench_audit, bench_registry

    results: dict[str, Any] = {}
    skipped = dict(NOT_LANDED)
    skipped.update({figure: NOT_SELECTED for figure in FIGURES if figure not in wanted})
    if "P1" in wanted:
        results["P1"] = bench_registry.measure_bulk_load(residents)
    if "P2" in wanted:
        from jumin.registry.bench_search import measure_search

        searches = int(os.environ.get("JUMIN_BENCH_SEARCHES", "1000"))
        results["P2"] = measure_search(searches, index_listings=True)
    if "P3" in wanted:
        # The sustained rate is a PostgreSQL figure: several clients by default there, none on SQLite.
        clients = os.environ.get("JUMIN_BENCH_P3_CLIENTS", "2" if connection.vendor == "postgresql" else "0")
        results["P3"] = bench_registry.measure_move_in(
            int(os.environ.get("JUMIN_BENCH_MOVE_INS", "300")), clients=int(clients)
        )
    if "P4" in wanted:
        from jumin.cli.bench_certificates import measure_certificates

        results["P4"] = measure_certificates(int(os.environ.get("JUMIN_BENCH_CERTIFICATES", "200")))
    if "P5" in wanted and connection.vendor == "sqlite":
        from jumin.cli.bench_network import measure_identity_chain

        results["P5"] = measure_identity_chain(
            int(os.environ.get("JUMIN_BENCH_P5_UPDATES", "2000")),
            base=bench_dir(),
            timeout=float(os.environ.get("JUMIN_BENCH_P5_TIMEOUT", "120")),
        )
    elif "P5" in wanted:
        skipped["P5"] = P5_ON_POSTGRESQL
    if "P6" in wanted:
        from jumin.cli.bench_jukinet import bench_cs_consistency

        results["P6"] = bench_cs_consistency(
            int(os.environ.get("JUMIN_BENCH_CONSISTENCY_RECORDS", str(residents))), bench_dir() / "p6-nodes"
        )
    if "P10" in wanted:
        from jumin.cli.bench_provision import bench_bulk_provision

        rows = int(os.environ.get("JUMIN_BENCH_PROVISION_ROWS", str(min(residents, 100_000))))
        provision = bench_bulk_provision(rows)
        # performance.md P10: a 100,000-row condition list within 60 s; a smaller list is not the target size.
        results["P10"] = {**provision, "target": 60, "met": rows >= 100_000 and provision["seconds"] <= 60}
    if "P7" in wanted:
        results["P7"] = bench_audit.measure_chain_verification(audit_entries)
    if "P9" in wanted:
        results["P9"] = bench_audit.measure_audit_overhead()
    if "P8" in wanted:
        # P8 last: it grows the same log to JUMIN_BENCH_AUDIT_ROWS rows (10,000,000 takes minutes to build).
        results["P8"] = bench_audit.measure_access_history(
            int(os.environ.get("JUMIN_BENCH_AUDIT_ROWS", "2000000"))
        )
    report: dict[str, Any] = {
        **results,
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "residents": residents,
            "audit_entries": audit_entries,
            "engine": connection.vendor,
            "python": sys.version.split()[0],
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "commit": _commit(),
        },
        "skipped": skipped,
    }
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(text + "\n", encoding="utf-8")
    return 0
