"""Audit-log figures of performance.md: P7 (chain verification rate), P8 (a person's access history
with N log rows) and P9 (audit overhead per read request)."""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction

from jumin.audit import conf, listings, signing
from jumin.audit.actions import AuditAction
from jumin.audit.chain import CHAINED_FIELDS, canonical_text, chain_hash, results_digest
from jumin.audit.models import (
    AuditChainHead,
    AuditCheckpoint,
    AuditEntry,
    AuditResultSubject,
    ListedIndexHead,
    ListedSubject,
)
from jumin.audit.selectors import access_history, verify_chain
from jumin.audit.services import record_view
from jumin.cli.bench import percentiles, timed

ENTRY_COLUMNS = (*CHAINED_FIELDS, "prev_hash", "entry_hash")
# One search in ten lists this many persons (C-48); the rest open one record.
LISTED_PER_SEARCH = 5


def _synthetic(count: int, people: int, seed: int = 7) -> Iterator[tuple[tuple[object, ...], list[str]]]:
    """Rows with valid chain hashes continuing the current head, and the ids each search listed."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data)
    head = AuditChainHead.objects.get(id=1)
    seq, prev = head.last_seq, head.last_hash
    now_us = time.time_ns() // 1000 - count * 1000
    base: dict[str, object] = dict.fromkeys(CHAINED_FIELDS, "")
    base.update(
        actor_id=1, actor_name="職員 一郎", node="bench:000000", purpose="resident_counter", outcome="done"
    )
    base.update(individual_number_used=False, support_measure=False)
    for _ in range(count):
        seq += 1
        fields = dict(base)
        fields.update(seq=seq, created_us=now_us + seq * 1000)
        listed: list[str] = []
        if seq % 10 == 0:
            listed = [f"p{rng.randrange(people)}" for _ in range(LISTED_PER_SEARCH)]
            fields.update(
                action=str(AuditAction.RESIDENT_RECORD_LIST),
                subject_type="resident",
                subject_id="",
                query_summary="kana_name+birth_date",
                result_count=len(listed),
                results_digest=results_digest(listed),
            )
        else:
            fields.update(
                action=str(AuditAction.RESIDENT_RECORD_VIEW),
                subject_type="resident",
                subject_id=f"p{rng.randrange(people)}",
                query_summary="",
                result_count=1,
                results_digest="",
            )
        digest = chain_hash(prev, canonical_text(fields))
        yield (*(fields[name] for name in CHAINED_FIELDS), prev, digest), listed
        prev = digest


def _write(cursor: Any, insert: str, rows: list[Any]) -> None:
    """``executemany`` of an INSERT; on PostgreSQL a COPY of the same rows, several times faster for the
    10,000,000-row P8 log. The INSERT's table and column list are reused for the COPY."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        cursor.executemany(insert, rows)
        return
    target = insert.removeprefix("INSERT INTO ").split(" VALUES", 1)[0]
    with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


@contextlib.contextmanager
def _build_cache() -> Iterator[None]:
    """SQLite: a 512 MiB page cache while the log is built, the configured one afterwards.

    With the default 2 MiB cache the random-order index pages (subject ids) were evicted and
    rewritten over and over: a 1,000,000-row build wrote 5 GB for a 420 MB result.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size = -524288")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


def _bulk_append(count: int, *, people: int, batch: int = 20_000) -> None:
    """Append `count` synthetic entries with valid hashes in batches (set-up, not measured).

    Ids are given explicitly so result rows can point at their entry without a lookup. A signed
    checkpoint follows every N entries as in production (C-50), so P7 checks their signatures too.
    Each batch is its own transaction (one transaction for 10,000,000 rows spilled the page cache
    into a WAL of gigabytes); the chain head moves to the last entry in the final one. Large
    builds (P8 at 10,000,000 rows) report progress on stderr every 1,000,000 rows.
    """
    entries = AuditEntry._meta.db_table
    subjects = AuditResultSubject._meta.db_table
    listed_table = ListedSubject._meta.db_table
    columns = ("id", *ENTRY_COLUMNS)
    marks = ", ".join(["%s"] * len(columns))
    insert_entry = f"INSERT INTO {entries} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
    insert_subject = f"INSERT INTO {subjects} (entry_id, position, subject_id) VALUES (%s, %s, %s)"  # noqa: S608
    insert_listed = f"INSERT INTO {listed_table} (subject_id, entry_id) VALUES (%s, %s)"  # noqa: S608
    seq_at = ENTRY_COLUMNS.index("seq")
    created_at = ENTRY_COLUMNS.index("created_us")
    every = conf.checkpoint_every_entries()
    node = "bench:000000"
    last: tuple[object, ...] | None = None
    started = time.perf_counter()
    rows: list[Any] = []
    listed_rows: list[Any] = []
    checkpoints: list[AuditCheckpoint] = []

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            _write(cursor, insert_entry, rows)
            _write(cursor, insert_subject, listed_rows)
            # The per-person index is written along (a worker would copy it later: audit.listings).
            _write(cursor, insert_listed, sorted((row[2], row[0]) for row in listed_rows))
            AuditCheckpoint.objects.bulk_create(checkpoints, batch_size=1000)
        rows.clear()
        listed_rows.clear()
        checkpoints.clear()

    listings.index_listed()  # the real searches' listings first: the head moves past them below
    with _build_cache():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {entries}")  # noqa: S608
            entry_id = int(cursor.fetchone()[0])
        for done, (row, listed) in enumerate(_synthetic(count, people), start=1):
            entry_id += 1
            rows.append((entry_id, *row))
            listed_rows.extend((entry_id, i, subject_id) for i, subject_id in enumerate(listed))
            last = row
            seq = int(row[seq_at])  # type: ignore[call-overload]
            if seq % every == 0:
                checkpoints.append(_checkpoint(seq, int(row[created_at]), str(row[-1]), node))  # type: ignore[call-overload]
            if len(rows) >= batch:
                flush()
            if done % 1_000_000 == 0:
                print(
                    f"audit log: {done:,} of {count:,} rows, {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                )
        flush()
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [AuditEntry]):
                cursor.execute(statement)
            if last is not None:
                AuditChainHead.objects.filter(id=1).update(
                    last_seq=last[seq_at],
                    last_hash=last[-1],
                    prev_hash=last[-2],
                    last_checkpoint_us=last[created_at],
                    checkpoint_due=int(last[seq_at]) % every == 0,  # type: ignore[call-overload]
                )
                ListedIndexHead.objects.filter(id=1).update(indexed_through=entry_id)
    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum would give a production log; without them the planner
        # may pick a sequential scan for the P8 lookups right after a bulk load.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {entries}")
            cursor.execute(f"ANALYZE {subjects}")


def _checkpoint(seq: int, created_us: int, digest: str, node: str) -> AuditCheckpoint:
    """A signed checkpoint of entry ``seq`` as ``services`` would write it (C-50)."""
    message = signing.checkpoint_message(node=node, seq=seq, entry_hash=digest, created_us=created_us)
    key_id, signature = signing.sign(message)
    return AuditCheckpoint(
        seq=seq, entry_hash=digest, created_us=created_us, node=node, key_id=key_id, signature=signature
    )


def _fill_to(count: int) -> None:
    existing = AuditEntry.objects.count()
    if existing < count:
        _bulk_append(count - existing, people=max(1, count // 10))


def measure_chain_verification(count: int, *, runs: int | None = None) -> dict[str, Any]:
    """P7: entries verified per second over a chain of `count` entries (target ≥ 200,000/s).

    The chain is verified in parallel ranges by worker processes (``selectors.verify_chain``): once
    to warm up (the freshly built log's pages are still being written back), then ``runs`` times
    (``JUMIN_BENCH_P7_RUNS``, default 5). The figure is the median run; every run is reported, because
    one run on a shared 2-core machine varies by a factor of two.
    """
    _fill_to(count)
    runs = runs or int(os.environ.get("JUMIN_BENCH_P7_RUNS", "5"))
    verify_chain()
    seconds: list[float] = []
    intact = True
    entries = 0
    for _ in range(runs):
        start = time.perf_counter()
        verdict = verify_chain()
        seconds.append(time.perf_counter() - start)
        intact = intact and verdict.intact
        entries = verdict.entries
    median = statistics.median(seconds)
    rate = entries / median
    return {
        "what": "audit chain verification (entries, result lists, signed checkpoints)",
        "entries": entries,
        "intact": intact,
        "workers": int(os.environ.get("JUMIN_AUDIT_VERIFY_WORKERS", min(4, os.cpu_count() or 1))),
        "runs": runs,
        "seconds": round(median, 3),
        "rate_per_s": round(rate),
        "rates_per_s": [round(entries / s) for s in seconds],
        "target": ">= 200000 entries/s (median of the runs)",
        "met": intact and rate >= 200_000,
    }


def measure_access_history(rows: int, *, lookups: int = 2000) -> dict[str, Any]:
    """P8: a person's own access history (consulted and listed) with `rows` log rows (p95 ≤ 20 ms)."""
    build_start = time.perf_counter()
    _fill_to(rows)
    build_seconds = time.perf_counter() - build_start
    people = max(1, rows // 10)
    rng = random.Random(11)  # noqa: S311 (synthetic data)

    def lookup() -> None:
        access_history("resident", f"p{rng.randrange(people)}")

    stats = percentiles(timed(lookup, warmup=200, count=lookups))
    return {
        "what": "a person's access history (consulted + listed) over the audit log",
        "log_rows": AuditEntry.objects.count(),
        "listed_rows": AuditResultSubject.objects.count(),
        "build_seconds": round(build_seconds, 1),
        **stats,
        "target": "p95 <= 20 ms with 10,000,000 log rows",
        "met": stats["p95_ms"] <= 20.0 and rows >= 10_000_000,
    }


def measure_audit_overhead(count: int = 2000) -> dict[str, Any]:
    """P9: what one read request pays for its audit entry (target ≤ 1 ms).

    Each sample runs the same read transaction twice back to back, once without and once with its
    ``record_view`` entry; the overhead is the difference, so machine noise largely cancels.
    """
    top = max(1, AuditEntry.objects.count())
    rng = random.Random(3)  # noqa: S311 (synthetic data)

    def read(audit: bool) -> None:
        with transaction.atomic():
            seq = rng.randrange(1, top + 1)
            list(AuditEntry.objects.filter(seq=seq).values("seq", "action", "subject_id"))
            if audit:
                record_view(None, "resident", str(seq), "resident_counter")

    for _ in range(200):
        read(False)
        read(True)
    plain: list[float] = []
    audited: list[float] = []
    for _ in range(count):
        start = time.perf_counter()
        read(False)
        middle = time.perf_counter()
        read(True)
        end = time.perf_counter()
        plain.append((middle - start) * 1000)
        audited.append((end - middle) * 1000)
    overhead = [max(0.0, a - p) for a, p in zip(audited, plain, strict=True)]
    stats = percentiles(overhead)
    return {
        "what": "audit entry written in the read request's transaction (with minus without)",
        **stats,
        "read_only_p50_ms": percentiles(plain)["p50_ms"],
        "read_with_audit_p50_ms": percentiles(audited)["p50_ms"],
        "target": "<= 1 ms per request",
        "met": stats["p95_ms"] <= 1.0,
    }


__all__ = ["measure_access_history", "measure_audit_overhead", "measure_chain_verification", "timed"]
