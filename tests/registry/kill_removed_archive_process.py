"""A registry node in its own process, for test_kill_removed_archive.py: killed inside the 除票 archive move.

``python kill_removed_archive_process.py prepare``: migrate, staff, code pool; a household of three moved
in and moved out again (three 除票 removed today).
``python kill_removed_archive_process.py archive-and-die``: the archive run as of six years on, SIGKILLed
in the second person's transaction after their rows are copied, before their keys move.
``python kill_removed_archive_process.py archive``: the archive run (the retry); prints ``MOVED <n>``.
``python kill_removed_archive_process.py inspect``: the archive's state as JSON (counts only).

The database comes from JUMIN_DATABASE_URL, which the test sets. The kill hook exists only here.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.test")
django.setup()

from jumin.accounts.models import User  # noqa: E402 (Django must be set up first)
from jumin.accounts.permissions import Permission  # noqa: E402
from jumin.audit.models import AuditEntry  # noqa: E402
from jumin.domain.retention import years_before  # noqa: E402
from jumin.registry import removed_archive, services  # noqa: E402
from jumin.registry.models import Resident, ResidentSearchKey  # noqa: E402
from jumin.registry.models_removed_archive import (  # noqa: E402
    ArchivedSearchKey,
    ArchivedSnapshot,
    RemovedArchiveEntry,
)
from jumin.registry.workflows.move_out import record_move_out  # noqa: E402
from tests.helpers.accounts import grant_permissions, make_user  # noqa: E402
from tests.registry import kill_move_in_process as base  # noqa: E402
from tests.registry.conftest import PURPOSE  # noqa: E402
from tests.registry.test_move_out import move_out, today  # noqa: E402

KILL_AT = 2  # the person whose transaction is killed: the second


def operator() -> User:
    return User.objects.get(username="batch")


def archive_day() -> date:
    return years_before(today(), -6)


def prepare() -> None:
    base.prepare()
    batch = make_user(username="batch", display_name="batch")
    grant_permissions(batch, [Permission.RESIDENT_BATCH_RUN, Permission.RESIDENT_VIEW])
    draft = services.record_move_in(actor=base.clerk(), purpose=PURPOSE, move_in=base.move_in())
    services.commit_change(actor=base.reviewer(), purpose=PURPOSE, change_id=draft.change_id)
    out = record_move_out(actor=base.clerk(), purpose=PURPOSE, move_out=move_out(list(draft.atena_numbers)))
    services.commit_change(actor=base.reviewer(), purpose=PURPOSE, change_id=out.change_id)


def archive() -> None:
    result = removed_archive.run_archive_move(actor=operator(), purpose="registry_batch", today=archive_day())
    sys.stdout.write(f"MOVED {result.moved_count}\n")


def archive_and_die() -> None:
    original = removed_archive.move_keys_to_archive
    calls: list[int] = []

    def rows_copied_then_die(resident: Resident, entry: RemovedArchiveEntry) -> int:
        calls.append(resident.pk)
        if len(calls) == KILL_AT:
            assert ArchivedSnapshot.objects.filter(resident=resident).exists()  # inside the transaction
            base.die()
        return original(resident, entry)

    removed_archive.move_keys_to_archive = rows_copied_then_die  # type: ignore[assignment]
    archive()


def inspect() -> None:
    people: dict[str, Any] = {}
    for resident in Resident.objects.order_by("pk"):
        people[str(resident.pk)] = {
            "entries": RemovedArchiveEntry.objects.filter(resident=resident).count(),
            "copied_rows": ArchivedSnapshot.objects.filter(resident=resident).count(),
            "live_rows": resident.snapshots.filter(history_no__isnull=False).count(),
            "live_keys": ResidentSearchKey.objects.filter(resident=resident).count(),
            "person_marked": resident.archive_entry_id is not None,
            "marked_rows": resident.snapshots.filter(archive_entry__isnull=False).count(),
            "archived_keys": ArchivedSearchKey.objects.filter(resident=resident).count(),
            "moves_audited": AuditEntry.objects.filter(
                action="resident:removed_archive:move", subject_id=resident.atena_number
            ).count(),
        }
    sys.stdout.write(json.dumps(people) + "\n")


def main() -> int:
    commands = {
        "prepare": prepare,
        "archive": archive,
        "archive-and-die": archive_and_die,
        "inspect": inspect,
    }
    command = commands.get(sys.argv[1])
    if command is None:
        sys.stderr.write(f"unknown command {sys.argv[1]}\n")
        return 2
    command()
    return 0


if __name__ == "__main__":
    sys.exit(main())
