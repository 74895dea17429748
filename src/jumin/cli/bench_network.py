"""P5 of performance.md: 本人確認情報 updates municipality → prefecture → national, three local nodes.

``measure_identity_chain(updates)`` runs in the `jumin bench` process but never touches its database:
it builds a throwaway federation of three nodes under ``var/bench/network-<pid>/`` (national:00,
prefecture:420000, municipality:422029; one federation CA, links municipality ↔ prefecture ↔
national) with the demo federation's functions (``cli.federation``), each node a real `jumin serve`
child process with its own SQLite database, its own keys and mutual TLS on its node port.

1. One child migrates a database; the other two nodes get a copy of the file (the schema is the same
   for every node kind, and one migration instead of three saves about 20 s per node on 2 cores).
2. The three nodes start (`jumin serve --no-web`; the municipality delivers every ``INTERVAL`` seconds, the
   other two every ``RELAY_INTERVAL``, and all three as soon as a commit in their process queues messages).
3. A child with the municipality's environment (``python -m jumin.cli.bench_network feed``) takes N
   updates into the CS file through ``accept_updates(notify=True)`` in one transaction, so N
   IDENTITY_UPDATE messages enter the outbox at one commit, and prints the commit's wall-clock time.
4. The parent polls the national node's SQLite file read-only until it holds N records.

Timed: from the feed's commit to the N-th national record (delivery to the prefecture, its checks and
store, its notice to the national node, delivery, the national store). Not timed: migration, node
start, building and committing the updates. ``nodes_cpu_seconds`` is each node's own CPU (user + system,
``/proc``) from just before the feed to the last arrival, and ``cpu_ms_per_update`` their sum per update:
on a shared machine these compare runs where the wall clock cannot. A run that has not reached N within
the timeout reports ``reached: false`` with the count it got, instead of hanging. Everything is stopped
and removed at the end (``keep=True`` keeps the directory for a look at the nodes' ``serve.log``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jumin.cli.federation import (
    FederationNode,
    plan,
    prepare_identities,
    start_node,
    stop_all,
    wait_ready,
)

MEMBERS = (
    ("national", "00", "全国（J-LIS）"),
    ("prefecture", "420000", "長崎県"),
    ("municipality", "422029", "佐世保市"),
)
LINKS = (("municipality:422029", "prefecture:420000"), ("prefecture:420000", "national:00"))
#: Seconds between the municipality's delivery rounds: the feed commits in another process, so nothing wakes
#: its worker and it must look often (`jumin serve --interval`; the demo uses 0.5).
INTERVAL = 0.1
#: The prefecture and the national node keep `jumin serve`'s default: a received batch commits in their own
#: process, which wakes their worker at once (`messaging.wakeup`), so a short interval only adds idle rounds.
RELAY_INTERVAL = 1.0
START_TIMEOUT = 300.0
FEED_BATCH = 500  # updates per accept_updates call (distinct people: one bulk insert each)
DATABASE = "jumin.sqlite3"


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def _national_count(node: FederationNode, root: Path) -> int:
    """Records of the national node (read-only on its SQLite file; the node keeps running)."""
    database = node.home(root) / DATABASE
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
            row = connection.execute("SELECT COUNT(*) FROM jukinet_national_identityrecord").fetchone()
    except sqlite3.Error:
        return 0  # the node has not created its WAL yet, or holds a lock for a moment: count again later
    return int(row[0])


def _migrate(members: Sequence[FederationNode], root: Path) -> None:
    """Migrate the first node's database in a child process and copy it to the others."""
    first = members[0]
    result = subprocess.run(  # noqa: S603 (our own CLI, fixed arguments)
        _python("jumin.cli", "manage", "migrate", "-v0"),
        env=first.environment(root),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrate failed: {(result.stdout + result.stderr)[-2000:]}")
    source = first.home(root) / DATABASE
    for member in members[1:]:
        for suffix in ("", "-wal"):
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{member.home(root) / DATABASE}{suffix}")


def _feed(municipality: FederationNode, root: Path, updates: int, timeout: float) -> float:
    """Run the feed child; return the wall-clock time (epoch seconds) of its commit."""
    result = subprocess.run(  # noqa: S603 (our own CLI, fixed arguments)
        _python("jumin.cli.bench_network", "feed", "--count", str(updates)),
        env=municipality.environment(root),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith("COMMITTED "):
            return float(line.split()[1])
    raise RuntimeError(f"feed failed: {(result.stdout + result.stderr)[-2000:]}")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a running process (Linux ``/proc``); None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name: state is field 3 of stat(5), utime and stime fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _nodes_cpu(children: Sequence[Any]) -> dict[str, float | None]:
    return {str(child.member.ref): _cpu_seconds(child.process.pid) for child in children}


def measure_identity_chain(
    updates: int, *, base: Path, timeout: float = 120.0, keep: bool = False
) -> dict[str, Any]:
    """Time ``updates`` 本人確認情報 updates from the CS commit to the national node (module docstring)."""
    root = base / f"network-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    members = plan(0, 0, MEMBERS)
    for member in members:
        member.home(root).mkdir(parents=True, exist_ok=True)
    national, _, municipality = members
    result: dict[str, Any] = {"updates": updates, "nodes": [str(m.ref) for m in members]}
    setup_started = time.perf_counter()
    prepare_identities(root, members, LINKS)
    _migrate(members, root)
    children = [
        start_node(member, root, web=False, interval=INTERVAL if member is municipality else RELAY_INTERVAL)
        for member in members
    ]
    try:
        failed = wait_ready(children, START_TIMEOUT, threading.Event())
        if failed is not None:
            log = failed.log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"{failed.member.ref} did not start: {log}")
        result["setup_seconds"] = round(time.perf_counter() - setup_started, 1)
        cpu_before = _nodes_cpu(children)
        committed = _feed(municipality, root, updates, START_TIMEOUT)
        # The feed's commit time is its own wall clock: the same machine's clock as ours.
        deadline = time.time() + timeout
        count = _national_count(national, root)
        while count < updates and time.time() < deadline:
            time.sleep(0.05)
            count = _national_count(national, root)
        arrived = time.time()
        cpu_after = _nodes_cpu(children)
    finally:
        stop_all(children)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    seconds = max(arrived - committed, 1e-6)
    reached = count >= updates
    result.update(
        seconds=round(seconds, 3),
        reached=reached,
        arrived=count,
        updates_per_second=round(count / seconds, 1),
        interval_s=INTERVAL,
        relay_interval_s=RELAY_INTERVAL,
        target=1000,
        met=reached and count / seconds >= 1000,
    )
    spent = {
        node: round(after - before, 2)
        for node, after in cpu_after.items()
        if after is not None and (before := cpu_before.get(node)) is not None
    }
    if spent:
        # The nodes' own CPU from just before the feed to the last arrival: comparable on a shared machine.
        result["nodes_cpu_seconds"] = spent
        result["cpu_ms_per_update"] = round(sum(spent.values()) * 1000 / max(count, 1), 3)
    if not reached:
        result["note"] = f"not reached: {count} of {updates} at the national node after {timeout:.0f} s"
    return result


# --- the feed, run as a child process with the municipality node's environment -----------------------


def _requests(count: int) -> list[Any]:
    """``count`` 国内転入 updates of distinct synthetic people (valid 住民票コード and 個人番号)."""
    from django.utils import timezone

    from jumin.domain.checkdigits import JuminhyoCodeRule, check_digit_for, mynumber_check_digit
    from jumin.jukinet.cs.updates import CsUpdateRequest

    today = timezone.localdate().isoformat()
    requests = []
    for n in range(1, count + 1):
        base = f"{7000000000 + n:010d}"
        code = base + check_digit_for("juminhyo", base, juminhyo_rule=JuminhyoCodeRule.M11W27_CANDIDATE)
        number_base = f"{60000000000 + n:011d}"
        requests.append(
            CsUpdateRequest(
                request_number=f"bench-{n}",
                resident_code=code,
                name="試験\u3000太郎",
                name_kana="シケン\u3000タロウ",
                birth_date="19800401",
                sex="male" if n % 2 else "female",
                municipality_code="422029",
                aza_code="001000",
                postal_code="8570044",
                address=f"長崎県佐世保市相生町{n % 50 + 1}番{n % 9 + 1}号",
                individual_number=number_base + mynumber_check_digit(number_base),
                became_resident_date=today,
                address_set_date=today,
                notification_date=today,
                previous_municipality_code="",
                previous_address="東京都日野市神明1丁目1番1号",
                relationship="世帯主",
                change_reason="国内転入",
                change_date=today,
                change_reason_detail="国内転入",
                former_resident_code="",
                code_in_use_date="",
                former_surname="",
                former_surname_kana="",
                removed=False,
                prospective=False,
                operator_id="bench",
                terminal_id="bench",
            )
        )
    return requests


def feed(count: int) -> int:
    """Take ``count`` updates into this node's CS file in one transaction; print the commit time."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    import django

    django.setup()
    from django.db import transaction

    from jumin.jukinet.cs.services import accept_updates

    requests = _requests(count)
    with transaction.atomic():
        queued = 0
        for start in range(0, count, FEED_BATCH):
            queued += accept_updates(requests[start : start + FEED_BATCH], actor=None, notify=True).queued
    committed = time.time()
    if queued != count:
        print(f"queued {queued} of {count}: is the prefecture a configured peer?", file=sys.stderr)
        return 1
    print(f"COMMITTED {committed:.6f} {queued}", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jumin.cli.bench_network feed --count N`` (internal to `jumin bench`)."""
    parser = argparse.ArgumentParser(prog="jumin.cli.bench_network")
    sub = parser.add_subparsers(dest="action", required=True)
    step = sub.add_parser("feed", help="queue N 本人確認情報 updates at this municipality node")
    step.add_argument("--count", type=int, required=True)
    args = parser.parse_args(argv)
    return feed(args.count)


if __name__ == "__main__":
    sys.exit(main())
