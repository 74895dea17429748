"""`jumin demo --federation` starts four nodes that reach each other over mutual TLS and stop together."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jumin.cli.federation import LINKS, READY_LINE
from jumin.messaging.identity import load_node
from jumin.messaging.tls import client_context

# The federation runs its own SQLite nodes whatever the suite's database: the PostgreSQL pass would only
# repeat the SQLite pass's minutes-long start.
pytestmark = pytest.mark.skipif(
    os.environ.get("JUMIN_DATABASE_URL", "").startswith("postgres"),
    reason="the demo federation runs on the embedded default (SQLite): SQLite pass only",
)

TIMEOUT = 1200  # first start loads masters and residents on a shared 2-core machine: bounded, not timed
NODES = {"municipality:422029", "municipality:422011", "prefecture:420000", "national:00"}


class Federation:
    """A running `jumin demo --federation` and everything it printed so far."""

    def __init__(self, home: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUMIN_", "DJANGO_"))}
        env["JUMIN_HOME"] = str(home)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jumin.cli", "demo", "--federation", "--port", "0", "--node-port", "0",
             "--residents", "5"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.started = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if READY_LINE in line and "起動まで" in line:
                self.started = True
                self.ready.set()
        self.ready.set()  # the process ended: let the waiting test see why

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self) -> None:
        assert self.ready.wait(TIMEOUT), self.text[-3000:]
        assert self.started, self.text[-3000:]

    def children(self) -> dict[int, str]:
        """The federation's child processes (pid → command line), read from /proc."""
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid:
                found[int(stat.parent.name)] = command
        return found

    def cleanup(self) -> None:
        """After a failed assertion: stop the federation the normal way, then make sure nothing is left."""
        children = self.children()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in children:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)

    def stop(self, sig: signal.Signals) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=120)
        self.reader.join(timeout=30)
        return code

    def ports(self) -> dict[str, tuple[int, int]]:
        """Node name → (clerk port, node port), from the printed summary."""
        found: dict[str, tuple[int, int]] = {}
        current = ""
        for line in self.lines:
            if match := re.match(r"■ .*（(\w+:\d+)）$", line):
                current = match.group(1)
            elif match := re.search(r"職員用画面: http://127\.0\.0\.1:(\d+)/", line):
                clerk = int(match.group(1))
            elif match := re.search(r"相互TLS）: https://127\.0\.0\.1:(\d+)/node/inbox", line):
                found[current] = (clerk, int(match.group(1)))
        return found


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def node_dir(home: Path, name: str) -> Path:
    return home / "var" / "demo" / name.replace(":", "-") / "var" / "node"


def clerk_status(port: int) -> int:
    """The clerk site's terminal registration page: the one page an unregistered browser may open."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/terminal/enrol/")
    status = connection.getresponse().status
    connection.close()
    return status


def health_as(home: Path, caller: str, target: str, port: int) -> dict[str, str]:
    """GET /node/health on ``target`` with ``caller``'s certificate (mutual TLS, host name checked)."""
    context = client_context(load_node(node_dir(home, caller)).files)
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=60)
    connection.request("GET", "/node/health")
    body = json.loads(connection.getresponse().read())
    connection.close()
    return body


def count_rows(home: Path, name: str, table: str, where: str = "1") -> int:
    """Rows of one node's SQLite database (read-only; the node keeps running)."""
    database = home / "var" / "demo" / name.replace(":", "-") / "jumin.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        return int(connection.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0])  # noqa: S608


def wait_for_identity_chain(home: Path) -> tuple[int, int, int]:
    """The CS files' current residents, then the prefecture's and the national node's records, once the
    initial load's notices went through municipality → 長崎県 → national (or the deadline passed)."""
    current = sum(
        count_rows(home, name, "jukinet_cs_csidentity", "removed = 0")
        for name in ("municipality:422029", "municipality:422011")
    )
    deadline = time.monotonic() + 300
    while True:
        prefecture = count_rows(home, "prefecture:420000", "jukinet_prefecture_identityrecord")
        national = count_rows(home, "national:00", "jukinet_national_identityrecord")
        if national >= current or time.monotonic() > deadline:
            return current, prefecture, national
        time.sleep(1)


def test_the_federation_starts_links_every_node_and_stops_on_ctrl_c_then_restarts_idempotently(
    tmp_path: Path,
) -> None:
    first = Federation(tmp_path)
    try:
        first.wait_ready()
        ports = first.ports()
        assert set(ports) == NODES
        children = first.children()
        assert sum(" serve " in command for command in children.values()) == 4, children
        for name, (clerk, _) in ports.items():
            assert clerk_status(clerk) == 200, name
        for a, b in LINKS:
            assert health_as(tmp_path, a, b, ports[b][1]) == {"node": b, "status": "ok"}
            assert health_as(tmp_path, b, a, ports[a][1]) == {"node": a, "status": "ok"}
            # The federation's own probe went through each outbox, both ways, and was applied.
            assert f"{a} → {b} OK applied" in first.text
            assert f"{b} → {a} OK applied" in first.text
        assert first.text.count("パスワード: 初回に表示済み") == 0
        assert first.text.count("人を登録しました") == 2  # synthetic residents in each municipality only
        # The CS initial load's 本人確認情報 reached 長崎県 and the national node through the real chain.
        current, prefecture, national = wait_for_identity_chain(tmp_path)
        assert current > 0
        assert (prefecture, national) == (current, current)
        assert count_rows(tmp_path, "prefecture:420000", "jukinet_prefecture_refusedupdate") == 0
        assert first.stop(signal.SIGINT) == 0
    finally:
        first.cleanup()
    assert "停止しました。" in first.text
    assert all(gone(pid) for pid in children), children

    key_ids = {name: load_node(node_dir(tmp_path, name)).key_id for name in NODES}
    second = Federation(tmp_path)
    try:
        second.wait_ready()
        assert "人を登録しました" not in second.text  # no resident seeded twice
        assert "← 一度だけの表示です" not in second.text
        assert second.text.count("初回に表示済み") == 4
        assert {name: load_node(node_dir(tmp_path, name)).key_id for name in NODES} == key_ids
        assert second.text.count(" OK applied") == 2 * len(LINKS)
        children = second.children()
        assert second.stop(signal.SIGTERM) == 0
    finally:
        second.cleanup()
    assert all(gone(pid) for pid in children), children
