"""A bulk load in its own process, for test_importer_staging.py: the staged path (registry.import_staging)
runs only when the load owns its transaction, which a test inside pytest-django's transaction never does.

``python staged_load_process.py <population file>`` on an empty database (JUMIN_DATABASE_URL): migrate;
dump the rows of an in-process load (workers=0, rolled back); load the file with a bad line near its
end (refused); load the file in two parts cut inside a household, with workers (staged on SQLite);
load it again (refused as duplicate). Prints one JSON object: the two dumps (as repr), the refusals'
codes, fields and table counts, the segments copied and what was left attached or on disk, and the
journal mode each load ran in and left (registry.import_journal).

``… <population file> die`` migrates and starts a first staged load that kills its own process once
every row is copied, before the commit; ``… <population file> inspect`` then reports what a fresh
connection finds.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.test")
django.setup()

from django.core.management import call_command  # noqa: E402 (Django must be set up first)
from django.db import connection, transaction  # noqa: E402

from jumin.audit.actions import AuditAction  # noqa: E402
from jumin.audit.models import AuditEntry  # noqa: E402
from jumin.cli.bench_registry import _bench_admin  # noqa: E402
from jumin.domain.errors import DomainError  # noqa: E402
from jumin.registry import importer  # noqa: E402
from jumin.registry.models import Change, Household, Resident, ResidentSearchKey, ResidentSnapshot  # noqa: E402
from tests.registry.test_importer_workers import table_rows  # noqa: E402

TABLES = (Household, Resident, ResidentSnapshot, ResidentSearchKey, Change, AuditEntry)


class _Rollback(Exception):  # noqa: N818 (control flow)
    pass


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def leftovers(staging: Path) -> dict[str, Any]:
    """Databases still attached to the loader's connection and staging directories still on disk."""
    attached: list[str] = []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA database_list")
            attached = sorted(row[1] for row in cursor.fetchall() if row[1] not in {"main", "temp"})
    database = Path(str(connection.settings_dict["NAME"])).parent
    files = [p.name for p in staging.iterdir()] + [p.name for p in database.glob("jumin-import-*")]
    return {"attached": attached, "files": sorted(files)}


def refusal(path: Path, actor: Any, **options: Any) -> dict[str, Any]:
    before = counts()
    try:
        importer.import_population(path, actor=actor, **options)
    except DomainError as error:
        return {"code": error.code, "field": error.field, "unchanged": counts() == before}
    return {"code": None}


def journal_mode() -> str | None:
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        return str(cursor.fetchone()[0])


def watch_journal(modes: list[str | None]) -> None:
    """Record each load's journal mode, read while it rebuilds its indexes (inside its transaction)."""
    rebuild = importer._recreate_indexes

    def watched(indexes: Any) -> None:
        modes.append(journal_mode())
        rebuild(indexes)

    importer._recreate_indexes = watched  # type: ignore[assignment]


def die_before_commit(population: Path) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    rebuild = importer._recreate_indexes

    def rebuild_and_die(indexes: Any) -> None:
        rebuild(indexes)
        assert journal_mode() in {"delete", None}  # on SQLite the kill hits a load in the rollback journal
        os.kill(os.getpid(), signal.SIGKILL)

    importer._recreate_indexes = rebuild_and_die  # type: ignore[assignment]
    importer.import_population(population, actor=_bench_admin(), workers=2, batch_size=16)


def inspect() -> None:
    integrity = ["ok"]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            integrity = [row[0] for row in cursor.fetchall()]
    out = {"counts": counts(), "journal_mode": journal_mode(), "integrity": integrity}
    sys.stdout.write(json.dumps(out) + "\n")


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def main(population: Path) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    staging = Path(tempfile.mkdtemp())
    tempfile.tempdir = str(staging)  # in-memory databases stage below the temp directory
    copied: list[int] = []
    copy = importer._SegmentCopier.copy

    def counting_copy(self: Any, segment: Any) -> int:
        copied.append(segment.number)
        return copy(self, segment)

    importer._SegmentCopier.copy = counting_copy  # type: ignore[method-assign]
    actor = _bench_admin()
    lines = population.read_bytes().splitlines(keepends=True)
    out: dict[str, Any] = {}

    try:
        with transaction.atomic():
            importer.import_population(population, actor=actor, workers=0)
            out["direct"] = repr(table_rows())
            raise _Rollback
    except _Rollback:
        pass

    bad = list(lines)
    record = json.loads(bad[-3])
    record["individual_number"] = "123456789010"
    bad[-3] = (json.dumps(record, ensure_ascii=False) + "\n").encode()
    bad_file = write(staging.parent / "bad.jsonl", bad)
    modes: list[str | None] = []
    watch_journal(modes)
    if connection.vendor == "sqlite":
        # Another connection holds the database open: the load cannot leave WAL mode and keeps it.
        other = sqlite3.connect(str(connection.settings_dict["NAME"]))
        other.execute("SELECT count(*) FROM sqlite_master").fetchone()
        out["failed_beside_a_reader"] = {
            **refusal(bad_file, actor, workers=2, batch_size=8),
            "mode": journal_mode(),
        }
        other.close()
    out["failed"] = {
        **refusal(bad_file, actor, workers=2, batch_size=8),
        "copied": len(copied),
        "import_entries": AuditEntry.objects.filter(action=AuditAction.RESIDENT_IMPORT_RUN).count(),
        "mode": journal_mode(),
        **leftovers(staging),
    }

    copied.clear()
    numbers = [json.loads(line)["household_number"] for line in lines]
    cut = next(i for i in range(len(lines) // 2, len(lines)) if numbers[i] == numbers[i - 1])
    parts = write(staging.parent / "a.jsonl", lines[:cut]), write(staging.parent / "b.jsonl", lines[cut:])
    first, second = (importer.import_population(part, actor=actor, workers=2, batch_size=3) for part in parts)
    out["staged"] = repr(table_rows())
    out["results"] = [first.residents, first.households, second.residents, second.households]
    entries = AuditEntry.objects.filter(action=AuditAction.RESIDENT_IMPORT_RUN).order_by("id")
    out["reasons"] = list(entries.values_list("reason", flat=True))
    out["digests"] = [first.sha256, second.sha256]
    out["loaded"] = {"copied": len(copied), **leftovers(staging)}
    out["duplicate"] = {**refusal(population, actor, workers=2, batch_size=64), **leftovers(staging)}
    out["engine"] = connection.vendor
    out["modes_during"] = modes
    out["mode_after"] = journal_mode()
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    command = sys.argv[2] if len(sys.argv) > 2 else "loads"
    if command == "die":
        die_before_commit(Path(sys.argv[1]))
    elif command == "inspect":
        inspect()
    else:
        main(Path(sys.argv[1]))
