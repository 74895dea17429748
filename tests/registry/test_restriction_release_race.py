"""Two requests racing for one 一時解除 on PostgreSQL: only one uses it (issue 6, ``consume_releases``).

Real concurrency needs committed rows and two connections, so the race runs in separate processes on
a scratch database of the same cluster (``node_env`` of tests/audit/test_concurrency.py): audit rows
committed there can never be deleted, which the test database must allow at teardown.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection

from tests.audit.test_concurrency import _jumin, node_env

__all__ = ["node_env"]  # the fixture, imported for use here

SETUP = """
from datetime import timedelta
from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.registry.models import Resident, TemporaryRelease
officer = User.objects.create_user(username="racer", display_name="racer")
resident = Resident.objects.create(atena_number="000000000901", kind="1")
now = clock.now()
row = TemporaryRelease.objects.create(
    resident=resident, process="certificate", target="suppression", reason="race",
    granted_by=officer, granted_at=now, expires_at=now + timedelta(minutes=30),
)
print(row.pk)
"""

# One request: consume the release in a transaction and say whether it got it. The first racer
# (HOLD=1) keeps its transaction open, holding the row, until the second waits on that row lock.
RACER = """
import os, time
from django.db import connection, transaction
from jumin.accounts.models import User
from jumin.registry.restrictions import RestrictionCheck, RestrictionFinding, RestrictionLevel
from jumin.registry.services_restrictions import consume_releases
finding = RestrictionFinding(
    atena_number="000000000901", source="suppression", level=RestrictionLevel.ERROR,
    code="registry.suppressed", message="", released=True, release_id=int(os.environ["RELEASE"]),
)
with transaction.atomic():
    result = consume_releases(
        RestrictionCheck(findings=(finding,)), actor=User.objects.get(username="racer"),
        purpose="race", subject_type="issuance", subject_id=os.environ["WHO"],
    )
    print("lost" if result.blocked else "won", flush=True)
    if os.environ.get("HOLD"):
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        for _ in range(12000):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the view stays as first read
                cursor.execute(waiting + " AND datname = current_database()")
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.025)
        else:
            raise SystemExit("the second request never waited for the row")
"""

RESULT = """
from jumin.audit.models import AuditEntry
from jumin.registry.models import TemporaryRelease
row = TemporaryRelease.objects.get()
uses = AuditEntry.objects.filter(action="resident:restriction_release:consume").count()
print(row.consumed_subject_type, row.consumed_subject_id, uses)
"""


def _racer(env: dict[str, str], who: str, release_id: str, *, hold: bool) -> subprocess.Popen[str]:
    extra = {"WHO": who, "RELEASE": release_id, **({"HOLD": "1"} if hold else {})}
    return subprocess.Popen(
        [sys.executable, "-m", "jumin.cli", "manage", "shell", "--no-imports", "-c", RACER],
        env={**env, **extra},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of two PostgreSQL sessions")
def test_of_two_requests_racing_for_one_release_only_one_uses_it(node_env: dict[str, str]) -> None:
    assert _jumin(node_env, "manage", "migrate", "-v", "0").returncode == 0
    setup = _jumin(node_env, "manage", "shell", "--no-imports", "-c", SETUP)
    assert setup.returncode == 0, setup.stderr[-2000:]
    release_id = setup.stdout.strip()
    first = _racer(node_env, "first", release_id, hold=True)
    second = None
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "won"  # it holds the row until the second waits on it
        second = _racer(node_env, "second", release_id, hold=False)
        second_out, second_err = second.communicate(timeout=300)
        _out, first_err = first.communicate(timeout=300)
    finally:
        for racer in (first, second):
            if racer is not None and racer.poll() is None:
                racer.kill()
    assert first.returncode == 0, first_err[-2000:]
    assert second.returncode == 0, second_err[-2000:]
    assert second_out.strip() == "lost"
    result = _jumin(node_env, "manage", "shell", "--no-imports", "-c", RESULT)
    assert result.stdout.split() == ["issuance", "first", "1"]
