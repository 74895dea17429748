"""Concurrent appends from several processes keep the chain gapless and linked (controls.md C-50).

Each run uses a database of its own (a file SQLite database, or a scratch database in the same
PostgreSQL cluster as the test database), because committed audit rows can never be deleted again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

WRITERS = 4
PER_WRITER = 30

SCRIPT = """
import os
from django.db import transaction
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_results
writer = os.environ["AUDIT_WRITER"]
for i in range(PER_WRITER):
    with transaction.atomic():
        if i % 5 == 0:
            record_results(None, "resident", [f"{writer}-{i}", "shared"], "resident_counter", "atena_number")
        else:
            record_event(actor=None, action=AuditAction.STAFF_LOGIN_FAIL, reason=f"{writer}-{i}")
""".replace("PER_WRITER", str(PER_WRITER))


def _jumin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jumin.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def node_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "JUMIN_DEMO": "1",
        "JUMIN_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "jumin.settings.base",
        "JUMIN_AUDIT_SIGNING_KEY": str(tmp_path / "audit.pem"),
        "JUMIN_AUDIT_CHECKPOINT_ENTRIES": "7",
        "JUMIN_AUDIT_VERIFY_WORKERS": "2",
        "JUMIN_AUDIT_PARALLEL_MINIMUM": "10",
    }
    if connection.vendor != "postgresql":
        env["JUMIN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'node.sqlite3'}"
        yield env
        return
    import psycopg

    params = connection.settings_dict
    name = f"jumin_concurrency_{uuid.uuid4().hex[:12]}"
    admin = {
        "dbname": "postgres",
        "user": params["USER"],
        "password": params["PASSWORD"],
        "host": params["HOST"],
        "port": params["PORT"],
    }
    with psycopg.connect(**{k: v for k, v in admin.items() if v}, autocommit=True) as raw:
        raw.execute(f'CREATE DATABASE "{name}"')
    user = f"{params['USER']}:{params['PASSWORD']}@" if params["PASSWORD"] else f"{params['USER']}@"
    env["JUMIN_DATABASE_URL"] = f"postgresql://{user}{params['HOST']}:{params['PORT']}/{name}"
    try:
        yield env
    finally:
        with psycopg.connect(**{k: v for k, v in admin.items() if v}, autocommit=True) as raw:
            raw.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_concurrent_writers_leave_a_gapless_verified_chain(node_env: dict[str, str]) -> None:
    assert _jumin(node_env, "manage", "migrate", "-v", "0").returncode == 0
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "jumin.cli", "manage", "shell", "-c", SCRIPT],
            env={**node_env, "AUDIT_WRITER": f"w{n}"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    for writer in writers:
        _out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-2000:]
    verdict = _jumin(node_env, "audit", "verify")
    assert verdict.returncode == 0, verdict.stderr
    assert verdict.stdout.strip() == f"OK {WRITERS * PER_WRITER}"


@pytest.mark.django_db
def test_an_audited_read_costs_one_statement_on_postgresql_three_on_sqlite() -> None:
    """P9: PostgreSQL reserves the seq, hashes, inserts and moves the head in one statement; SQLite
    reserves with the head's UPDATE … RETURNING, inserts, and stores the new hash."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from jumin.audit.models import AuditEntry
    from jumin.audit.services import record_view

    record_view(None, "resident", "r0", "resident_counter")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        entry = record_view(None, "resident", "r1", "resident_counter")
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 3)
    stored = AuditEntry.objects.get(seq=2)
    assert (stored.id, stored.prev_hash, stored.entry_hash) == (entry.id, entry.prev_hash, entry.entry_hash)
    assert stored.prev_hash == AuditEntry.objects.get(seq=1).entry_hash
