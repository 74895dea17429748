"""Staging files for the SQLite bulk load: no row crosses a process boundary (performance.md P1).

A forked worker prepares a chunk (``prepare_chunk``) and writes its rows into a *segment*, a
throwaway SQLite file shared by consecutive chunks; it hands back only a ``StagedChunk`` summary.
Once every chunk of a segment is written, the loading process attaches the file to its own
connection and copies it with ``INSERT … SELECT`` in file order: the copy runs in SQLite's C code
with no Python object per row, and household ids are resolved in SQL against the household table.

Why segments and not one file per chunk: SQLite attaches at most ten databases and cannot detach
one inside a transaction, and a database attached once keeps the snapshot of its first read until
the load commits. So the load is cut into at most ``MAX_SEGMENTS`` files, each read once, whole.

Staging columns carry no declared type, so each value keeps the storage class the driver gave it
and the target column's affinity applies on the copy exactly as on a direct insert: the rows equal
those of the in-process load (tests/registry/test_importer_workers.py). The files hold personal
data: they live in a private directory (0700) that the loader removes whatever the outcome.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jumin.registry.import_rows import (
    ChunkRefusal,
    LoadContext,
    prepare_chunk,
    serial,
)

# SQLite's default limit is 10 attached databases; leave room for any the caller attached.
MAX_SEGMENTS = 8


@dataclass(frozen=True, slots=True)
class StagedChunk:
    """What the loader needs of a chunk a worker has written into its segment (no personal data)."""

    first_line: int
    last_line: int
    residents: int
    max_atena_serial: int
    max_household_serial: int


@dataclass(frozen=True, slots=True)
class Target:
    """A registry table as the copy fills it: the staged columns, then the columns given defaults."""

    table: str
    staged: tuple[str, ...]
    defaults: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StageLayout:
    """The target tables; a staged household column holds the 世帯番号 until the copy. ``program``:
    the ProgramRecord rows of lines with ``program_dates`` (import_programs), usually none."""

    household: Target
    resident: Target
    snapshot: Target
    key: Target
    program: Target

    def create(self, path: Path) -> None:
        """Create an empty segment file with the staging tables."""
        connection = sqlite3.connect(path)
        try:
            connection.executescript(
                f"""
                CREATE TABLE resident ({_names(self.resident.staged, row_id=True)});
                CREATE TABLE snapshot ({_names(self.snapshot.staged, row_id=True)});
                CREATE TABLE key (seq INTEGER PRIMARY KEY, {_names(self.key.staged)});
                CREATE TABLE household (number, first_resident);
                CREATE TABLE program ({_names(self.program.staged)});
                """
            )
        finally:
            connection.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _names(columns: tuple[str, ...], *, row_id: bool = False) -> str:
    # The first column is the row id where row_id: an ordered scan in file order costs nothing.
    quoted = [_quote(name) for name in columns]
    if row_id:
        quoted[0] += " INTEGER PRIMARY KEY"
    return ", ".join(quoted)


# A worker's open segment: reused for the next chunk of the same segment, closed for a new one.
_open: dict[str, sqlite3.Connection] = {}


def _segment(path: Path) -> sqlite3.Connection:
    key = str(path)
    connection = _open.get(key)
    if connection is None:
        for other in _open.values():
            other.close()
        _open.clear()
        # Another worker may be writing the same segment: wait for its lock instead of failing.
        connection = _open[key] = sqlite3.connect(path, timeout=600, isolation_level=None)
        connection.execute("PRAGMA journal_mode = MEMORY")
        connection.execute("PRAGMA synchronous = OFF")
    return connection


def stage_chunk(
    context: LoadContext, layout: StageLayout, path: Path, lines: list[tuple[int, bytes]], offset: int
) -> StagedChunk | ChunkRefusal:
    """Prepare a chunk and write its rows into the segment at ``path``; runs in a worker process."""
    chunk = prepare_chunk(context, lines, offset)
    if isinstance(chunk, ChunkRefusal):
        return chunk
    # The rows hold the 世帯番号 where the household id goes (prepare_chunk): written as they are.
    households: dict[str, int] = {}
    for resident, number in zip(chunk.residents, chunk.households, strict=True):
        households.setdefault(number, resident[0])
    keys = _sequenced(chunk.keys, chunk.residents[0][0] if chunk.residents else 0, len(chunk.residents))
    connection = _segment(path)
    with connection:  # one write transaction per chunk
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(_insert("resident", len(layout.resident.staged)), chunk.residents)
        connection.executemany(_insert("snapshot", len(layout.snapshot.staged)), chunk.snapshots)
        connection.executemany(_insert("key", 1 + len(layout.key.staged)), keys)
        connection.executemany(_insert("household", 2), households.items())
        if chunk.programs:
            connection.executemany(_insert("program", len(layout.program.staged)), chunk.programs)
    return StagedChunk(
        first_line=chunk.first_line,
        last_line=chunk.last_line,
        residents=len(chunk.residents),
        max_atena_serial=chunk.max_atena_serial,
        max_household_serial=max((serial(number) for number in households), default=0),
    )


# Key rows per person the staged sequence numbers leave room for (an import writes at most three:
# 氏名, 旧氏, 通称). The copy reads key rows in ``seq`` order, the table's own order, without a sort.
KEYS_PER_PERSON = 8


def _sequenced(keys: list[tuple[Any, ...]], first_resident: int, residents: int) -> list[tuple[Any, ...]]:
    """The chunk's key rows, each led by its place in file order: first person's id × 8 + its index."""
    if len(keys) > KEYS_PER_PERSON * residents:
        raise RuntimeError("more search-key rows in a chunk than the staging sequence leaves room for")
    base = first_resident * KEYS_PER_PERSON
    return [(base + index, *row) for index, row in enumerate(keys)]


def _insert(table: str, width: int) -> str:
    return f"INSERT INTO {table} VALUES ({', '.join('?' * width)})"  # noqa: S608 (fixed staging names)


HOUSEHOLD_ID = "household_id"


def copy_statements(layout: StageLayout, schema: str) -> dict[str, str]:
    """The INSERT … SELECT of each staged table of the segment attached as ``schema``, in copy order.

    Parameters: for households the first free id, then the creation time; then, for every table, the
    default of each column in ``defaults``.
    """
    q = _quote
    household = layout.household
    statements: dict[str, str] = {}
    # New households get consecutive ids in order of their first person, as the in-process load does.
    statements["household"] = (
        f"INSERT INTO main.{q(household.table)} ({_names(household.staged + household.defaults)}) "  # noqa: S608
        f"SELECT %s + ROW_NUMBER() OVER (ORDER BY first) - 1, number, %s{', %s' * len(household.defaults)} "
        f"FROM (SELECT number, MIN(first_resident) AS first FROM {schema}.household GROUP BY number) "
        f"WHERE number NOT IN (SELECT number FROM main.{q(household.table)}) ORDER BY first"
    )
    resident = layout.resident
    statements["resident"] = (
        f"INSERT INTO main.{q(resident.table)} ({_names(resident.staged + resident.defaults)}) "  # noqa: S608
        f"SELECT {_names(resident.staged)}{', %s' * len(resident.defaults)} FROM {schema}.resident ORDER BY 1"
    )
    for name, target, order in (
        ("snapshot", layout.snapshot, "x.rowid"),
        ("key", layout.key, "x.seq"),
    ):
        picked = ", ".join("h.id" if c == HOUSEHOLD_ID else f"x.{q(c)}" for c in target.staged)
        statements[name] = (
            f"INSERT INTO main.{q(target.table)} ({_names(target.staged + target.defaults)}) "  # noqa: S608
            f"SELECT {picked}{', %s' * len(target.defaults)} FROM {schema}.{name} AS x "
            # CROSS JOIN keeps the staged rows the outer loop: file order, one index probe per row.
            f"CROSS JOIN main.{q(household.table)} AS h WHERE h.number = x.{q(HOUSEHOLD_ID)} ORDER BY {order}"
        )
    # Program rows in file order: a person's rows come from one chunk, in the order of their line.
    program = layout.program
    statements["program"] = (
        f"INSERT INTO main.{q(program.table)} ({_names(program.staged + program.defaults)}) "  # noqa: S608
        f"SELECT {_names(program.staged)}{', %s' * len(program.defaults)} FROM {schema}.program "
        f"ORDER BY {q(program.staged[0])}, rowid"
    )
    return statements
