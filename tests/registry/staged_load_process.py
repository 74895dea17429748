"""A bulk load in its own process, for test_importer_staging.py: the staged path (registry.import_staging)
runs only when the load owns its transaction, which a test inside pytest-django's transaction never does.

``python staged_load_process.py <population file>`` on an empty database (JUMIN_DATABASE_URL): migrate;
dump the rows of an in-process load (workers=0, rolled back); load the file with a bad line near its
end (refused); load the file in two parts cut inside a household, with workers (staged on SQLite);
load it again (refused as duplicate). Prints one JSON object: the two dumps (as repr), the refusals'
codes, fields and table counts, the segments copied and what was left attached or on disk.
"""

from __future__ import annotations

import json
import os
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
    out["failed"] = {
        **refusal(write(staging.parent / "bad.jsonl", bad), actor, workers=2, batch_size=8),
        "copied": len(copied),
        "import_entries": AuditEntry.objects.filter(action=AuditAction.RESIDENT_IMPORT_RUN).count(),
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
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
