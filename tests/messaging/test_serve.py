"""`jumin serve` runs one node: the node port answers peers over mutual TLS and Ctrl-C stops it cleanly."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import add_peer, create_ca, init_node, load_node, peer_entry
from jumin.messaging.tls import client_context

TIMEOUT = 120
COMMAND = [sys.executable, "-m", "jumin.cli"]


def node_environment(home: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("JUMIN_", "DJANGO_"))}
    env.update(
        JUMIN_DEMO="1",
        JUMIN_HOME=str(home),
        JUMIN_DATABASE_URL=f"sqlite:///{home / 'node.sqlite3'}",
        JUMIN_NODE_KIND="prefecture",
        JUMIN_NODE_CODE="420000",
        JUMIN_NODE_DIR=str(home / "node"),
        JUMIN_NODE_LISTEN="127.0.0.1:0",
    )
    return env


def health_of(connection: http.client.HTTPSConnection) -> bytes:
    connection.request("GET", "/node/health")
    return connection.getresponse().read()


@contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`jumin serve --no-web` started (its start-up lines read); killed at the end if still running."""
    server = subprocess.Popen(
        [*COMMAND, "serve", "--no-web", "--interval", "0.2"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        lines = []
        for line in server.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        yield server, lines
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def stops_cleanly(server: subprocess.Popen[str], signal_number: int) -> bool:
    """Send the signal; True when the process exits with 0 after printing 停止しました."""
    server.send_signal(signal_number)
    assert server.stdout is not None
    return server.wait(timeout=TIMEOUT) == 0 and "停止しました" in server.stdout.read()


def test_serve_answers_a_peer_refuses_a_stranger_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    ca = create_ca(tmp_path / "ca")
    init_node(tmp_path / "node", NodeRef("prefecture", "420000"), ca_dir=ca)
    caller = init_node(tmp_path / "caller", NodeRef("municipality", "422029"), ca_dir=ca)
    add_peer(tmp_path / "node", peer_entry(load_node(tmp_path / "caller"), "https://127.0.0.1:1"))
    env = node_environment(tmp_path)
    subprocess.run([*COMMAND, "manage", "migrate", "-v", "0"], env=env, check=True, timeout=TIMEOUT)
    with serving(env) as (server, lines):
        url = next(line for line in lines if "/node/inbox" in line).split()[-1]
        port = int(url.split(":")[2].split("/")[0])

        connection = http.client.HTTPSConnection(
            "127.0.0.1", port, context=client_context(caller), timeout=TIMEOUT
        )
        connection.request("GET", "/node/health")
        assert json.loads(connection.getresponse().read()) == {"node": "prefecture:420000", "status": "ok"}
        connection.close()

        stranger = ssl.create_default_context(cafile=str(ca / "ca-cert.pem"))  # no client certificate
        stranger.check_hostname = False
        anonymous = http.client.HTTPSConnection("127.0.0.1", port, context=stranger, timeout=TIMEOUT)
        with pytest.raises((ssl.SSLError, OSError, http.client.HTTPException)):
            health_of(anonymous)

        assert stops_cleanly(server, signal.SIGINT)
    with sqlite3.connect(tmp_path / "node.sqlite3") as db:
        refused = db.execute(
            "SELECT COUNT(*) FROM audit_auditentry"
            " WHERE action = 'node:connection:refuse' AND outcome = 'refused'"
        ).fetchone()[0]
    assert refused == 1


def test_serve_runs_queued_background_jobs_and_stops_on_sigterm(tmp_path: Path) -> None:
    ca = create_ca(tmp_path / "ca")
    init_node(tmp_path / "node", NodeRef("prefecture", "420000"), ca_dir=ca)
    env = node_environment(tmp_path)
    subprocess.run([*COMMAND, "manage", "migrate", "-v", "0"], env=env, check=True, timeout=TIMEOUT)
    marker = tmp_path / "marker.txt"
    # Queued while no worker runs: the job waits in the node's database (django-tasks-db).
    queue = f"from tests.messaging.marker_task import write_marker; write_marker.enqueue({str(marker)!r})"
    subprocess.run([*COMMAND, "manage", "shell", "-c", queue], env=env, check=True, timeout=TIMEOUT)
    assert not marker.exists()
    with serving(env) as (server, _lines):
        with sqlite3.connect(tmp_path / "node.sqlite3") as db:
            for _ in range(TIMEOUT * 10):  # until the task worker has run the job (bounded, not timed)
                status = db.execute("SELECT status FROM django_tasks_database_dbtaskresult").fetchone()[0]
                if status not in ("READY", "RUNNING"):
                    break
                time.sleep(0.1)
        assert status == "SUCCESSFUL"
        assert marker.read_text(encoding="utf-8") == "ran"
        assert stops_cleanly(server, signal.SIGTERM)
