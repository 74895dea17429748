"""A small run of `jumin bench` keeps the harness working (issue 10 item 4). No timing assertions."""

import json
import os
import subprocess
import sys
from pathlib import Path

LATENCY_KEYS = {"p50_ms", "p95_ms", "p99_ms", "count", "target", "met"}


def test_bench_prints_every_landed_figure_with_meta_and_skipped(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JUMIN_DATABASE_URL"}  # its own SQLite database
    env.update(
        JUMIN_HOME=str(tmp_path),
        JUMIN_BENCH_AUDIT_CHAIN="3000",
        JUMIN_BENCH_P7_RUNS="2",
        JUMIN_BENCH_AUDIT_ROWS="5000",
        JUMIN_BENCH_MOVE_INS="10",
        JUMIN_BENCH_SEARCHES="50",
        JUMIN_BENCH_CERTIFICATES="3",
        # P5 starts three real nodes (about 20 s of set-up on 2 cores, measured); a few updates suffice.
        JUMIN_BENCH_P5_UPDATES="20",
        JUMIN_BENCH_P5_TIMEOUT="120",
        JUMIN_BENCH_CONSISTENCY_RECORDS="200",
        JUMIN_BENCH_PROVISION_ROWS="60",
    )
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "jumin.cli", "bench", "--residents", "1000", "--json", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == report
    assert report["P1"]["residents"] >= 1000
    assert {"rate_per_s", "ratio", "target", "met"} <= set(report["P1"])
    assert LATENCY_KEYS | {"ratio", "index_sizes_mib"} <= set(report["P2"])
    assert LATENCY_KEYS | {"ratio"} <= set(report["P3"])
    assert LATENCY_KEYS | {"per_s_one_core", "signature_only_p95_ms"} <= set(report["P4"])
    assert {"rate_per_s", "rates_per_s", "runs", "intact", "target", "met"} <= set(report["P7"])
    assert report["P7"]["intact"] is True
    assert len(report["P7"]["rates_per_s"]) == report["P7"]["runs"] == 2
    assert set(report["P8"]) >= LATENCY_KEYS
    assert set(report["P9"]) >= LATENCY_KEYS
    assert {"updates", "seconds", "updates_per_second", "target", "met"} <= set(report["P5"])
    assert report["P5"]["reached"] is True, report["P5"]  # every update arrived at the national node
    assert set(report["P5"]["nodes_cpu_seconds"]) == set(report["P5"]["nodes"])  # each node's own CPU
    assert report["P5"]["cpu_ms_per_update"] > 0
    assert {"records", "seconds", "scan_seconds", "ratio", "differences_found", "target", "met"} <= set(
        report["P6"]
    )
    assert {"ratio_target", "ratio_met"} <= set(report["P6"])
    assert report["P6"]["differences_found"] == report["P6"]["differences_planted"]
    assert {"seconds", "rows", "rows_per_second", "target", "met"} <= set(report["P10"])
    assert report["P10"]["rows"] == 60
    assert {"residents", "engine", "python", "cpu", "peak_rss_mib", "commit"} <= set(report["meta"])
    assert report["meta"]["engine"] == "sqlite"
    measured = set(report) - {"meta", "skipped"}
    assert measured | set(report["skipped"]) == {f"P{i}" for i in range(1, 11)}
    assert not measured & set(report["skipped"])
