"""A registry node in its own process, for test_kill_move_in.py: killed inside a 3-person 転入.

``python kill_move_in_process.py prepare``: migrate, create a clerk and a reviewer, fill the code pool.
``python kill_move_in_process.py record-and-die``: enter the 転入 draft, SIGKILLed once its people exist.
``python kill_move_in_process.py record``: enter the 転入 draft; prints ``DRAFT <change id>``.
``python kill_move_in_process.py commit-and-die <id>``: 本登録, SIGKILLed after 2 of 3 rows are numbered.
``python kill_move_in_process.py inspect``: prints the registry's state as JSON (counts only).
``python kill_move_in_process.py commit <id>``: 本登録 (the retry).

The database comes from JUMIN_DATABASE_URL, which the test sets. The kill hooks exist only here.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.test")
django.setup()

from django.core.management import call_command  # noqa: E402 (Django must be set up first)
from django.utils import timezone  # noqa: E402

from jumin.accounts.models import User  # noqa: E402
from jumin.accounts.permissions import Permission  # noqa: E402
from jumin.audit.models import AuditEntry  # noqa: E402
from jumin.registry import numbering, services  # noqa: E402
from jumin.registry.models import (  # noqa: E402
    Change,
    Household,
    RegistryEvent,
    Resident,
    ResidentLock,
    ResidentSearchKey,
    ResidentSnapshot,
)
from tests.helpers.accounts import grant_permissions, make_user  # noqa: E402
from tests.registry.conftest import PURPOSE, family_move_in  # noqa: E402

KILL_AFTER = 2  # rows numbered before the kill in the commit: some, but not all three


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def clerk() -> User:
    return User.objects.get(username="maker")


def reviewer() -> User:
    return User.objects.get(username="checker")


def prepare() -> None:
    call_command("migrate", verbosity=0, interactive=False)
    maker = make_user(username="maker", display_name="maker")
    grant_permissions(maker, [Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW])
    checker = make_user(username="checker", display_name="checker")
    grant_permissions(
        checker, [Permission.RESIDENT_COMMIT, Permission.RESIDENT_VIEW, Permission.RESIDENT_RECORD]
    )
    numbering.load_code_pool([f"{n:011d}" for n in range(24727059600, 24727059650)])
    sys.stdout.write("PREPARED\n")


def move_in() -> services.MoveIn:
    # Dates relative to today (JST), like every registry test.
    today = timezone.localdate()
    return family_move_in(move_in_date=today - timedelta(days=3), notification_date=today)


def record() -> None:
    draft = services.record_move_in(actor=clerk(), purpose=PURPOSE, move_in=move_in())
    sys.stdout.write(f"DRAFT {draft.change_id}\n")


def record_and_die() -> None:
    """Killed after the household and the people exist (one INSERT for all three), before any snapshot."""
    original = services._residents_for

    def people_then_die(*args: Any, **kwargs: Any) -> list[Resident]:
        people = original(*args, **kwargs)
        assert Resident.objects.filter(pk__in=[p.pk for p in people]).count() == len(people)
        die()
        return people

    services._residents_for = people_then_die  # type: ignore[assignment]
    record()


def commit(change_id: int) -> None:
    services.commit_change(actor=reviewer(), purpose=PURPOSE, change_id=change_id)
    sys.stdout.write("COMMITTED\n")


def commit_and_die(change_id: int) -> None:
    """Killed inside the commit transaction once two of the three rows are numbered and current."""
    original = services._write_commit_numbers

    def write_some_then_die(snapshots: list[ResidentSnapshot], residents: list[Resident]) -> None:
        some = snapshots[:KILL_AFTER]
        people = {s.resident_id for s in some}
        original(some, [r for r in residents if r.pk in people])
        die()

    services._write_commit_numbers = write_some_then_die  # type: ignore[assignment]
    commit(change_id)


def inspect() -> None:
    state: dict[str, Any] = {
        "changes": {str(c.pk): c.state for c in Change.objects.all()},
        "residents": Resident.objects.count(),
        "current_residents": Resident.objects.filter(current__isnull=False).count(),
        "households": Household.objects.count(),
        "households_with_rows": Household.objects.filter(snapshots__isnull=False).distinct().count(),
        "draft_rows": ResidentSnapshot.objects.filter(history_no__isnull=True).count(),
        "committed_rows": ResidentSnapshot.objects.filter(history_no__isnull=False).count(),
        "search_keys": ResidentSearchKey.objects.count(),
        "events": RegistryEvent.objects.count(),
        "open_locks": ResidentLock.objects.filter(released_at__isnull=True).count(),
        "audit": sorted(
            set(AuditEntry.objects.filter(action__startswith="resident:").values_list("action", "outcome"))
        ),
    }
    sys.stdout.write(json.dumps(state) + "\n")


def main() -> int:
    command = sys.argv[1]
    if command == "prepare":
        prepare()
    elif command == "record":
        record()
    elif command == "record-and-die":
        record_and_die()
    elif command == "commit":
        commit(int(sys.argv[2]))
    elif command == "commit-and-die":
        commit_and_die(int(sys.argv[2]))
    elif command == "inspect":
        inspect()
    else:
        sys.stderr.write(f"unknown command {command}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
