"""`jumin audit verify` end to end on a file database, with the chain verified by parallel processes."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

SCRIPT = """
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
for i in range(60):
    record_event(actor=None, action=AuditAction.STAFF_LOGIN_FAIL, reason=f"r{i}")
"""


def _jumin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jumin.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="drives a file SQLite database of its own")
def test_verify_exits_0_with_the_count_and_1_with_the_first_broken_seq(tmp_path: Path) -> None:
    db = tmp_path / "node.sqlite3"
    env = {
        **os.environ,
        "JUMIN_DEMO": "1",
        "JUMIN_HOME": str(tmp_path),
        "JUMIN_DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "jumin.settings.base",
        "JUMIN_AUDIT_SIGNING_KEY": str(tmp_path / "audit.pem"),
        "JUMIN_AUDIT_CHECKPOINT_ENTRIES": "25",
        "JUMIN_AUDIT_VERIFY_WORKERS": "2",
        "JUMIN_AUDIT_PARALLEL_MINIMUM": "10",
    }
    assert _jumin(env, "manage", "migrate", "-v", "0").returncode == 0
    filled = _jumin(env, "manage", "shell", "-c", SCRIPT)
    assert filled.returncode == 0, filled.stderr

    intact = _jumin(env, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.strip() == "OK 60"

    with sqlite3.connect(db) as raw:
        raw.execute("DROP TRIGGER audit_entry_no_update")
        raw.execute("UPDATE audit_auditentry SET reason = 'forged' WHERE seq = 37")
    broken = _jumin(env, "audit", "verify")
    assert broken.returncode == 1
    assert broken.stdout.strip() == "BROKEN 37"
    assert "連番 37" in broken.stderr
