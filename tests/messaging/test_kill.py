"""A sender killed with SIGKILL in the middle of a delivery loses nothing and applies nothing twice.

The sender is a real process with its own SQLite database; the receiver is this test's node port.
The receiver's handler holds message 3 until the sender has been killed, so the kill lands exactly
while a delivery is in flight: the receiver commits the batch holding messages 1 to 6 but the sender
never learns it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from jumin.audit.models import AuditEntry
from tests.messaging.conftest import WAIT, Applied, Federation

SCRIPT = Path(__file__).with_name("sender_process.py")
COUNT = 6


def sender_environment(fed: Federation, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in [name for name in env if name.startswith(("JUMIN_", "DJANGO_"))]:
        del env[name]
    env.update(
        JUMIN_DEMO="1",
        JUMIN_HOME=str(home),
        JUMIN_DATABASE_URL=f"sqlite:///{home / 'sender.sqlite3'}",
        JUMIN_NODE_KIND="municipality",
        JUMIN_NODE_CODE="422029",
        JUMIN_NODE_DIR=str(fed.municipality.directory),
        JUMIN_MESSAGING_BACKOFF_BASE="0",
        JUMIN_MESSAGING_LEASE_SECONDS="1",
        DJANGO_SETTINGS_MODULE="jumin.settings.base",
    )
    return env


def test_a_sender_killed_mid_delivery_loses_nothing(
    federation: Federation, applied: Applied, tmp_path: Path
) -> None:
    applied.block_on = 3
    env = sender_environment(federation, tmp_path)
    first = subprocess.Popen(
        [sys.executable, str(SCRIPT), "enqueue", str(COUNT)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert applied.entered.wait(WAIT * 2), "the sender never delivered message 3"
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=WAIT) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()
        applied.release.set()
    federation.prefecture.wait_idle()
    # The one batch (messages 1 to 6) was committed by the receiver after the kill.
    assert applied.seqs() == list(range(1, COUNT + 1))

    second = subprocess.run(
        [sys.executable, str(SCRIPT), "deliver"],
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    federation.prefecture.wait_idle()
    assert second.returncode == 0, second.stderr[-2000:]
    assert "PENDING 0" in second.stdout

    assert applied.seqs() == list(range(1, COUNT + 1))
    assert [value for *_, value in applied.rows] == list(range(1, COUNT + 1))
    assert AuditEntry.objects.filter(action="node:message:apply").count() == COUNT
    with sqlite3.connect(tmp_path / "sender.sqlite3") as db:
        rows = db.execute("SELECT seq, status, receipt FROM messaging_outboxmessage ORDER BY id").fetchall()
    assert [seq for seq, _, _ in rows] == list(range(1, COUNT + 1))
    assert {status for _, status, _ in rows} == {"delivered"}
    # The receiver recognised every message by its id: nothing was applied twice.
    assert {receipt for _, _, receipt in rows} == {"duplicate"}
