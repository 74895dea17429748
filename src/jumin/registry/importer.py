"""Bulk load of residents from the import layout (docs/import-layout.md, layout_version 1).

Used to migrate a municipality's registry and by the benchmark (performance.md P1). Each person
becomes a Resident and its first committed snapshot (履歴番号 1) under one 異動 of reason 「移行」;
the 個人番号 is encrypted with its blind index; the whole load is one audited event. Rows are
written with executemany in batches, because per-object ORM saves cannot reach P1's rate.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import IO, Any

from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.crypto.individual_number import BulkSealer
from jumin.domain.errors import DomainError
from jumin.registry import numbering
from jumin.registry.import_rows import (
    LAYOUT_VERSION,
    SNAPSHOT_COLUMNS,
    ChunkRefusal,
    LoadContext,
    PreparedChunk,
    prepare_chunk,
    with_household,
)
from jumin.registry.import_rows import serial as _serial
from jumin.registry.models import (
    Change,
    ChangeState,
    Household,
    NumberCounter,
    Resident,
    ResidentSearchKey,
    ResidentSnapshot,
)
from jumin.registry.search_keys import KEY_COLUMNS

__all__ = ["LAYOUT_VERSION", "SNAPSHOT_COLUMNS", "ImportResult", "default_workers", "import_population"]

MIGRATION_REASON = "移行"


@dataclass(frozen=True)
class ImportResult:
    """What a load wrote: people, new households, the change that holds them, and the file's digest."""

    residents: int
    households: int
    change_id: int
    sha256: str


def _column_default(field: models.Field[Any, Any]) -> Any:
    """The value a column not named by the loader gets: the model's default, as the database takes it."""
    value = field.get_default()
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value)
    return field.get_db_prep_save(value, connection)


class _Table:
    """An INSERT for one model's chosen columns, with JSON casts where PostgreSQL needs them.

    Columns the loader does not name (added to the model later) get the model's default, so a new
    NOT NULL column can never make a load fail or, worse, be reported as a duplicate.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        named = [model._meta.get_field(name) for name in columns]
        others = [
            field
            for field in model._meta.concrete_fields
            if field.name not in columns and not field.primary_key
        ]
        self.filler = tuple(_column_default(field) for field in others)
        fields = named + others
        quote = connection.ops.quote_name
        json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
        placeholders = [f"%s{json_cast}" if isinstance(field, models.JSONField) else "%s" for field in fields]
        names = ", ".join(quote(str(getattr(field, "column", field.name))) for field in fields)
        # Table and column names come from the models, never from input.
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({', '.join(placeholders)})"  # noqa: S608

    def insert(self, rows: list[tuple[Any, ...]], *, filled: bool = False) -> None:
        """executemany of ``rows`` (the named columns; ``filled``: the filler is already appended)."""
        if rows:
            if self.filler and not filled:
                rows = [row + self.filler for row in rows]
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, rows)


def _advance_counter(name: str, serial: int) -> None:
    """Numbering continues after the highest imported serial, so new numbers never collide (A.4)."""
    counter, _ = NumberCounter.objects.select_for_update().get_or_create(name=name)
    if serial > counter.last_serial:
        counter.last_serial = serial
        counter.save(update_fields=["last_serial"])


def _reset_id_sequences() -> None:
    """PostgreSQL: move id sequences past the ids written explicitly, so later ORM inserts never collide."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Household, Resident, ResidentSnapshot])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


# The page cache during a load (KiB, SQLite's negative form): the four tables' indexes stay in
# memory instead of being re-read from the OS for every batch (performance.md P1). Restored after.
LOAD_CACHE_KIB = 1_048_576


def _cache_size(value: int | None) -> int | None:
    """SQLite only: set the connection's page cache (None: leave it) and return the previous setting."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        if value is not None:
            cursor.execute(f"PRAGMA cache_size = {int(value)}")
    return previous


def _secondary_indexes(model: type[models.Model]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's search indexes, which a load may drop and rebuild.

    Unique indexes stay (they refuse duplicates, A.4), and so do indexes led by a foreign-key
    column: SQLite looks child rows up through them for every parent row inserted while deferred
    constraints are pending, and without them each insert scans the child table (measured: the
    load became seven times slower).
    """
    table = model._meta.db_table
    foreign_keys = {field.column for field in model._meta.concrete_fields if field.is_relation}
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
        rows = cursor.fetchall()
    return [
        (name, sql)
        for name, sql in rows
        if not sql.upper().startswith("CREATE UNIQUE")
        and name in constraints
        and constraints[name]["columns"]
        and constraints[name]["columns"][0] not in foreign_keys
    ]


def _drop_indexes_of_empty_tables(tables: Sequence[type[models.Model]]) -> list[tuple[str, str]]:
    """Drop the secondary indexes of the tables that are still empty; return them for re-creation.

    Building an index once over a loaded table is much cheaper than updating it row by row
    (performance.md P1). SQLite only. Only empty tables qualify — a first migration — so a load
    into a live registry never loses its indexes, and SQLite's transactional DDL restores them if
    the load fails; readers in WAL mode keep seeing the indexed tables until the load commits.
    """
    dropped: list[tuple[str, str]] = []
    if connection.vendor != "sqlite":
        # PostgreSQL refuses CREATE INDEX while the load's deferred foreign-key checks are pending
        # ("pending trigger events"); its load keeps the indexes (its ratio to raw inserts is 1.2).
        return dropped
    quote = connection.ops.quote_name
    for model in tables:
        if model._default_manager.exists():
            continue
        indexes = _secondary_indexes(model)
        with connection.cursor() as cursor:
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        dropped += indexes
    return dropped


def _recreate_indexes(indexes: Sequence[tuple[str, str]]) -> None:
    with connection.cursor() as cursor:
        for _, sql in indexes:
            cursor.execute(sql)


def _next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(last=Max("id"))["last"] or 0) + 1


def import_population(
    path: Path, *, actor: Any, purpose: str = "migration", batch_size: int = 5000, workers: int | None = None
) -> ImportResult:
    """Load a whole import file in one transaction: all of it or nothing (bad input changes nothing).

    Rows are prepared in ``workers`` forked processes (default: ``default_workers()``; 0 prepares them
    in this process) while this process inserts them; either way the rows written are the same.
    """
    previous_cache = _cache_size(LOAD_CACHE_KIB)
    try:
        return _load(
            path,
            actor=actor,
            purpose=purpose,
            batch_size=batch_size,
            workers=default_workers() if workers is None else workers,
        )
    finally:
        _cache_size(previous_cache)


def default_workers() -> int:
    """Worker processes for a load: one per core, none on a single core (the loader prepares rows itself)."""
    cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


# Chunks handed out ahead of the one being inserted: enough to keep every worker busy, few enough
# that a 1,000,000-line file never sits in memory as prepared rows.
_CHUNKS_AHEAD_PER_WORKER = 2


def _chunks(stream: IO[bytes], digest: Any, size: int) -> Iterator[tuple[list[tuple[int, bytes]], int]]:
    """(non-blank lines with their numbers, people before them) of each chunk; hashes every line."""
    chunk: list[tuple[int, bytes]] = []
    offset = 0
    for line_no, raw in enumerate(stream, start=1):
        digest.update(raw)
        if raw.strip():
            chunk.append((line_no, raw))
            if len(chunk) >= size:
                yield chunk, offset
                offset += len(chunk)
                chunk = []
    if chunk:
        yield chunk, offset


# The load's context for forked workers: set before the pool forks, so it is inherited, not pickled.
_WORKER_CONTEXT: LoadContext | None = None


def _prepare_in_worker(lines: list[tuple[int, bytes]], offset: int) -> PreparedChunk | ChunkRefusal:
    assert _WORKER_CONTEXT is not None
    return prepare_chunk(_WORKER_CONTEXT, lines, offset)


def _prepared(
    context: LoadContext, chunks: Iterator[tuple[list[tuple[int, bytes]], int]], workers: int
) -> Iterator[PreparedChunk | ChunkRefusal]:
    """The prepared chunks in file order: here, or by ``workers`` forked processes (no database use there)."""
    global _WORKER_CONTEXT
    if workers < 1:
        for lines, offset in chunks:
            yield prepare_chunk(context, lines, offset)
        return
    _WORKER_CONTEXT = context
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pending: deque[AsyncResult[PreparedChunk | ChunkRefusal]] = deque()
            for lines, offset in chunks:
                pending.append(pool.apply_async(_prepare_in_worker, (lines, offset)))
                if len(pending) > workers * _CHUNKS_AHEAD_PER_WORKER:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
    finally:
        _WORKER_CONTEXT = None


def _load(path: Path, *, actor: Any, purpose: str, batch_size: int, workers: int) -> ImportResult:
    digest = hashlib.sha256()
    households: dict[str, int] = {}
    count = new_household_count = max_atena_serial = 0
    with transaction.atomic(), path.open("rb") as stream:
        now = timezone.now()
        # The creation time as the ORM writes it, adapted once rather than per row by the driver.
        created_at = connection.ops.adapt_datetimefield_value(now)

        change = Change.objects.create(
            reason=MIGRATION_REASON,
            state=ChangeState.COMMITTED,
            change_date=now.date(),
            notification_date=None,
            notification_kind="移行",
            made_by=actor,
            made_at=now,
            reviewed_by=actor,
            reviewed_at=now,
        )
        households.update(Household.objects.values_list("number", "id"))
        next_household = _next_id(Household)
        context = LoadContext(
            change_id=change.pk,
            now=created_at,
            sealer=BulkSealer(purpose="registry.resident"),
            first_resident_id=_next_id(Resident),
            first_snapshot_id=_next_id(ResidentSnapshot),
        )
        household_table = _Table(Household, ("id", "number", "created_at"))
        resident_table = _Table(Resident, ("id", "atena_number", "kind", "created_at", "current"))
        snapshot_table = _Table(ResidentSnapshot, SNAPSHOT_COLUMNS)
        key_table = _Table(ResidentSearchKey, KEY_COLUMNS)
        dropped = _drop_indexes_of_empty_tables([Household, Resident, ResidentSnapshot, ResidentSearchKey])
        for chunk in _prepared(context, _chunks(stream, digest, batch_size), workers):
            if isinstance(chunk, ChunkRefusal):
                raise chunk.error()
            new_households: list[tuple[Any, ...]] = []
            household_ids = []
            for number in chunk.households:
                household_id = households.get(number)
                if household_id is None:
                    household_id = households[number] = next_household
                    new_households.append((next_household, number, created_at))
                    next_household += 1
                household_ids.append(household_id)
            snapshots, keys = with_household(chunk, household_ids, snapshot_table.filler)
            try:
                with transaction.atomic():
                    household_table.insert(new_households)
                    resident_table.insert(chunk.residents)
                    snapshot_table.insert(snapshots, filled=True)
                    key_table.insert(keys)
            except IntegrityError:
                raise DomainError(
                    field=f"lines {chunk.first_line}-{chunk.last_line}",
                    reason="登録済みの宛名番号・世帯番号・住民と重複する行があります。",
                    remedy="元データの番号を確認し、未登録の住民だけを読み込んでください。",
                    code="import.duplicate",
                ) from None
            new_household_count += len(new_households)
            max_atena_serial = max(max_atena_serial, chunk.max_atena_serial)
            count += len(chunk.residents)
        _recreate_indexes(dropped)
        _reset_id_sequences()
        _advance_counter(numbering.ATENA, max_atena_serial)
        _advance_counter(numbering.HOUSEHOLD, max((_serial(n) for n in households), default=0))
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_IMPORT_RUN,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=f"{count} residents from a file with sha256 {digest.hexdigest()}",
        )
    return ImportResult(
        residents=count, households=new_household_count, change_id=change.pk, sha256=digest.hexdigest()
    )
