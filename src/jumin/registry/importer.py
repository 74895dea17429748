"""Bulk load of residents from the import layout (docs/import-layout.md, layout_version 1).

Used to migrate a municipality's registry and by the benchmark (performance.md P1). Each person
becomes a Resident and its first committed snapshot (履歴番号 1) under one 異動 of reason 「移行」;
the 個人番号 is encrypted with its blind index; the whole load is one audited event. Rows are
written with executemany in batches, because per-object ORM saves cannot reach P1's rate.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
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

from jumin import runtime
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.crypto.individual_number import BulkSealer
from jumin.domain.errors import DomainError
from jumin.registry import numbering
from jumin.registry.import_journal import enter_rollback_journal, leave_rollback_journal, sqlite_setting
from jumin.registry.import_programs import PROGRAM_COLUMNS
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
from jumin.registry.import_staging import (
    MAX_SEGMENTS,
    StagedChunk,
    StageLayout,
    Target,
    copy_statements,
    stage_chunk,
)
from jumin.registry.models import (
    Change,
    ChangeState,
    Household,
    NumberCounter,
    ProgramRecord,
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
        columns_of = [str(getattr(field, "column", field.name)) for field in fields]
        names = ", ".join(quote(column) for column in columns_of)
        # Table and column names come from the models, never from input.
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({', '.join(placeholders)})"  # noqa: S608
        self.target = Target(
            table=model._meta.db_table,
            staged=tuple(columns_of[: len(named)]),
            defaults=tuple(columns_of[len(named) :]),
        )

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
    # PRAGMA threads (helper threads for SQLite's sorter) made no difference here, twice: with the
    # load's 1 GiB page cache each index sorts in memory on one thread (docs/benchmarks.md, P1).
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
    in this process) while this process inserts them; either way the rows written are the same. On
    SQLite, outside a caller's transaction, the workers write staging files that this process copies
    with INSERT … SELECT (``registry.import_staging``); otherwise they send the rows back.
    """
    workers = default_workers() if workers is None else workers
    # SQLite with workers: staging files copied in SQL (registry.import_staging), when the load owns
    # its transaction: the segments can only be detached once it is over (see _attached).
    owns_transaction = connection.get_autocommit() and not connection.in_atomic_block
    staged = workers >= 1 and connection.vendor == "sqlite" and owns_transaction
    # A first load writes its pages once, through the rollback journal (registry.import_journal).
    journal = enter_rollback_journal() if staged and not Resident.objects.exists() else None
    previous_cache = sqlite_setting("cache_size", LOAD_CACHE_KIB)
    try:
        # The process's long-lived objects out of the collector's full passes (jumin.runtime): a load
        # allocates millions of short-lived rows, and forked workers inherit the frozen heap, so their
        # collections neither walk it nor copy its pages by touching them (performance.md P1).
        with runtime.heap_set_aside():
            return _load(
                path, actor=actor, purpose=purpose, batch_size=batch_size, workers=workers, staged=staged
            )
    finally:
        if staged:
            _detach_segments()
        sqlite_setting("cache_size", previous_cache)
        if journal is not None:
            leave_rollback_journal(journal)


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


def _worker_start() -> None:
    # A worker lives for one load and its rows hold no reference cycles: reference counting frees
    # them, and the cycle collector's passes over each chunk's live rows would be pure cost.
    gc.disable()


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
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_start) as pool:
            pending: deque[AsyncResult[PreparedChunk | ChunkRefusal]] = deque()
            for lines, offset in chunks:
                pending.append(pool.apply_async(_prepare_in_worker, (lines, offset)))
                if len(pending) > workers * _CHUNKS_AHEAD_PER_WORKER:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
    finally:
        _WORKER_CONTEXT = None


@dataclass
class _Totals:
    """What the chunks added up to: people, new households and the highest serials seen."""

    residents: int = 0
    new_households: int = 0
    max_atena_serial: int = 0
    max_household_serial: int = 0

    def add(self, residents: int, atena_serial: int, household_serial: int) -> None:
        self.residents += residents
        self.max_atena_serial = max(self.max_atena_serial, atena_serial)
        self.max_household_serial = max(self.max_household_serial, household_serial)


@dataclass(frozen=True)
class _Tables:
    """The INSERTs of the tables a load writes (``program``: only lines with ``program_dates``)."""

    household: _Table
    resident: _Table
    snapshot: _Table
    key: _Table
    program: _Table

    def layout(self) -> StageLayout:
        return StageLayout(
            household=self.household.target,
            resident=self.resident.target,
            snapshot=self.snapshot.target,
            key=self.key.target,
            program=self.program.target,
        )


def _duplicate(first_line: int, last_line: int) -> DomainError:
    return DomainError(
        field=f"lines {first_line}-{last_line}",
        reason="登録済みの宛名番号・世帯番号・住民と重複する行があります。",
        remedy="元データの番号を確認し、未登録の住民だけを読み込んでください。",
        code="import.duplicate",
    )


def _load(
    path: Path, *, actor: Any, purpose: str, batch_size: int, workers: int, staged: bool
) -> ImportResult:
    digest = hashlib.sha256()
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
        context = LoadContext(
            change_id=change.pk,
            now=created_at,
            sealer=BulkSealer(purpose="registry.resident"),
            first_resident_id=_next_id(Resident),
            first_snapshot_id=_next_id(ResidentSnapshot),
            date_value=connection.ops.adapt_datefield_value,
            recorded_by=actor.pk,
            today=timezone.localdate(),
        )
        tables = _Tables(
            household=_Table(Household, ("id", "number", "created_at")),
            resident=_Table(Resident, ("id", "atena_number", "kind", "created_at", "current")),
            snapshot=_Table(ResidentSnapshot, SNAPSHOT_COLUMNS),
            key=_Table(ResidentSearchKey, KEY_COLUMNS),
            program=_Table(ProgramRecord, PROGRAM_COLUMNS),
        )
        dropped = _drop_indexes_of_empty_tables([Household, Resident, ResidentSnapshot, ResidentSearchKey])
        chunks = _chunks(stream, digest, batch_size)
        if staged:
            size = path.stat().st_size
            totals = _insert_staged(context, chunks, workers, tables, created_at, size)
        else:
            totals = _insert_prepared(context, chunks, workers, tables, created_at)
        _recreate_indexes(dropped)
        _reset_id_sequences()
        _advance_counter(numbering.ATENA, totals.max_atena_serial)
        _advance_counter(numbering.HOUSEHOLD, totals.max_household_serial)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_IMPORT_RUN,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=f"{totals.residents} residents from a file with sha256 {digest.hexdigest()}",
        )
    return ImportResult(
        residents=totals.residents,
        households=totals.new_households,
        change_id=change.pk,
        sha256=digest.hexdigest(),
    )


def _insert_prepared(
    context: LoadContext,
    chunks: Iterator[tuple[list[tuple[int, bytes]], int]],
    workers: int,
    tables: _Tables,
    created_at: Any,
) -> _Totals:
    """Insert the prepared rows of each chunk with executemany (PostgreSQL, or no worker processes)."""
    totals = _Totals()
    households: dict[str, int] = dict(Household.objects.values_list("number", "id"))
    totals.max_household_serial = max((_serial(n) for n in households), default=0)
    next_household = _next_id(Household)
    for chunk in _prepared(context, chunks, workers):
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
        snapshots, keys = with_household(chunk, household_ids, tables.snapshot.filler)
        try:
            with transaction.atomic():
                tables.household.insert(new_households)
                tables.resident.insert(chunk.residents)
                tables.snapshot.insert(snapshots, filled=True)
                tables.key.insert(keys)
                tables.program.insert(chunk.programs)
        except IntegrityError:
            raise _duplicate(chunk.first_line, chunk.last_line) from None
        totals.new_households += len(new_households)
        totals.add(
            len(chunk.residents),
            chunk.max_atena_serial,
            max((_serial(number) for number in chunk.households), default=0),
        )
    return totals


# The load's staging layout for forked workers, inherited like _WORKER_CONTEXT.
_WORKER_LAYOUT: StageLayout | None = None


def _stage_in_worker(
    segment: Path, lines: list[tuple[int, bytes]], offset: int
) -> StagedChunk | ChunkRefusal:
    assert _WORKER_CONTEXT is not None
    assert _WORKER_LAYOUT is not None
    return stage_chunk(_WORKER_CONTEXT, _WORKER_LAYOUT, segment, lines, offset)


# Chunks handed out ahead when only summaries come back: enough for the workers to keep going while
# the loader copies a segment (each queued chunk is its raw lines, about 6 MiB at 5,000 lines).
_STAGED_CHUNKS_AHEAD_PER_WORKER = 8


@dataclass
class _Segment:
    """One staging file and the file lines its chunks hold."""

    number: int
    path: Path
    first_line: int = 0
    last_line: int = 0


def _staging_directory() -> Path:
    """A private directory for the segments: beside a file database (same protection), else the temp dir."""
    name = str(connection.settings_dict["NAME"])
    in_memory = name == ":memory:" or "mode=memory" in name
    parent = None if in_memory else Path(name).parent
    return Path(tempfile.mkdtemp(prefix="jumin-import-", dir=parent))


def _insert_staged(
    context: LoadContext,
    chunks: Iterator[tuple[list[tuple[int, bytes]], int]],
    workers: int,
    tables: _Tables,
    created_at: Any,
    file_size: int,
) -> _Totals:
    """SQLite with workers: each worker writes its chunks into segment files, copied here in SQL."""
    global _WORKER_CONTEXT, _WORKER_LAYOUT
    totals = _Totals()
    registered = Household.objects.values_list("number", flat=True).iterator()
    totals.max_household_serial = max((_serial(number) for number in registered), default=0)
    layout = tables.layout()
    copier = _SegmentCopier(layout, tables, created_at)
    directory = _staging_directory()
    segment_bytes = -(-max(file_size, 1) // MAX_SEGMENTS)
    _WORKER_CONTEXT, _WORKER_LAYOUT = context, layout
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_start) as pool:
            pending: deque[tuple[_Segment, AsyncResult[StagedChunk | ChunkRefusal]]] = deque()
            segment: _Segment | None = None
            filled = 0

            def collect() -> None:
                done, result = pending.popleft()
                staged = result.get()
                if isinstance(staged, ChunkRefusal):
                    raise staged.error()
                done.first_line = done.first_line or staged.first_line
                done.last_line = staged.last_line
                totals.add(staged.residents, staged.max_atena_serial, staged.max_household_serial)
                # Results come in file order: the segment is whole once the next one's chunk is back.
                if not pending or pending[0][0] is not done:
                    totals.new_households += copier.copy(done)

            for lines, offset in chunks:
                if segment is None or filled >= segment_bytes:
                    number = 0 if segment is None else segment.number + 1
                    segment = _Segment(number, directory / f"segment-{number}.sqlite3")
                    layout.create(segment.path)
                    filled = 0
                filled += sum(len(raw) for _, raw in lines)
                pending.append((segment, pool.apply_async(_stage_in_worker, (segment.path, lines, offset))))
                if len(pending) > workers * _STAGED_CHUNKS_AHEAD_PER_WORKER:
                    collect()
            while pending:
                collect()
    finally:
        _WORKER_CONTEXT = _WORKER_LAYOUT = None
        shutil.rmtree(directory, ignore_errors=True)
    return totals


# The segments this process's load attached: SQLite detaches a database only outside a transaction
# (Django's BEGIN IMMEDIATE locks every attached one), so they are detached after the load's commit
# or rollback, which is why the staged path runs only when the load owns its transaction.
_attached: list[str] = []
_attach_count = 0


def _detach_segments() -> None:
    with connection.cursor() as cursor:
        while _attached:
            cursor.execute(f"DETACH DATABASE {_attached.pop()}")


class _SegmentCopier:
    """Copies whole segments into the registry tables on the loader's connection (INSERT … SELECT)."""

    def __init__(self, layout: StageLayout, tables: _Tables, created_at: Any) -> None:
        self.layout = layout
        self.tables = tables
        self.created_at = created_at

    def copy(self, segment: _Segment) -> int:
        """Attach and copy one complete segment; return the number of new households."""
        global _attach_count
        _attach_count += 1
        alias = f"jumin_import_{_attach_count}"
        with connection.cursor() as cursor:
            cursor.execute(f"ATTACH DATABASE %s AS {alias}", [str(segment.path)])
            _attached.append(alias)
            statements = copy_statements(self.layout, alias)
            tables = self.tables
            try:
                with transaction.atomic():
                    next_household = _next_id(Household)
                    cursor.execute(
                        statements["household"], [next_household, self.created_at, *tables.household.filler]
                    )
                    added = int(cursor.rowcount)
                    cursor.execute(statements["resident"], list(tables.resident.filler))
                    cursor.execute(statements["snapshot"], list(tables.snapshot.filler))
                    cursor.execute(statements["key"], list(tables.key.filler))
                    cursor.execute(statements["program"], list(tables.program.filler))
            except IntegrityError:
                raise _duplicate(segment.first_line, segment.last_line) from None
        return added
