"""Reading the audit log: chain verification (controls.md C-50) and per-person history (P8)."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, connections
from django.forms.models import model_to_dict

from jumin.audit import conf, listings, signing
from jumin.audit.chain import GENESIS_HASH, SEPARATOR, canonical_sql
from jumin.audit.models import AuditCheckpoint, AuditEntry, AuditResultSubject


@dataclass(frozen=True)
class ChainVerdict:
    """Result of recomputing the chain: how many entries were checked and the first broken seq, if any.

    ``problem`` names what broke: ``entry`` (changed, removed, inserted or reordered entry),
    ``results`` (a search's result list changed), ``checkpoint_signature``, ``checkpoint_mismatch``
    (the chain was rewritten after a signed checkpoint; the seq is the first one the last good
    checkpoint does not vouch for), ``truncated`` (entries after a signed checkpoint are gone) or
    ``listed_index`` (the per-person index of result lists lost or gained rows: a search would be
    missing from, or invented in, someone's access history).
    """

    entries: int
    first_broken_seq: int | None
    problem: str = ""
    checkpoints: int = 0

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


@dataclass(frozen=True)
class RangeResult:
    """What one worker found in a seq range: enough for the parent to check the links between ranges.

    ``results_broken`` is the first seq in the range whose result list no longer matches its digest;
    ``listed`` counts the result rows of the range's searches (the parent compares the total);
    ``signed`` holds the checkpoint rows of the range whose signature verified (the parent checks
    only the rows it does not find here, so each signature is checked once, in parallel).
    """

    start: int
    count: int
    first_prev: str | None
    last_hash: str | None
    broken: int | None
    results_broken: int | None = None
    listed: int = 0
    signed: frozenset[tuple[Any, ...]] = frozenset()


def _message_sql(vendor: str) -> str:
    """The hashed message ``prev_hash || canonical text`` as UTF-8 bytes, built by the database.

    Bytes straight from the database skip a UTF-8 decode and re-encode per row in Python; the
    previous hash is the first argument of the same ``format()`` as ``canonical_sql``'s fields
    (one string built per row instead of a format and a concatenation: 2–5 % of a SQLite scan).
    """
    text = canonical_sql(leading="prev_hash", vendor=vendor)
    if vendor == "postgresql":
        return f"convert_to({text}, 'UTF8')"
    return f"CAST({text} AS BLOB)"


def _chain_query(lower: int | None, upper: int, vendor: str = "sqlite") -> str:
    table = AuditEntry._meta.db_table
    low = "" if lower is None else f"seq >= {int(lower)} AND "
    return (
        f"SELECT seq, prev_hash, entry_hash, {_message_sql(vendor)} FROM {table} "  # noqa: S608 (integers only)
        f"WHERE {low}seq <= {int(upper)} ORDER BY seq"
    )


def verify_range(
    cursor: Any,
    *,
    start: int,
    lower: int | None,
    upper: int,
    batch: int = 20_000,
    vendor: str | None = None,
) -> RangeResult:
    """Check the entries with seq in [lower, upper] (no lower bound if None), expecting seq ``start`` first.

    Each row needs only itself and the previous row's stored hash, so ranges verify independently;
    the parent checks that each range's first ``prev_hash`` is the previous range's last hash.
    Every row's hash is recomputed from its columns and its stored ``prev_hash`` must equal the
    previous row's stored hash.
    """
    cursor.execute(_chain_query(lower, upper, vendor or connection.vendor))
    sha256 = hashlib.sha256
    expected = start
    first_prev: str | None = None
    prev: str | None = None
    while rows := cursor.fetchmany(batch):
        if prev is None:
            first_prev = prev = rows[0][1]
        for seq, stored_prev, stored_hash, message in rows:
            if seq != expected or stored_prev != prev or sha256(message).hexdigest() != stored_hash:
                return RangeResult(start, expected - start, first_prev, prev, min(seq, expected))
            prev = stored_hash
            expected += 1
    broken = expected if expected <= upper else None
    return RangeResult(start, expected - start, first_prev, prev, broken)


def verify_task(
    cursor: Any, *, start: int, lower: int | None, upper: int, vendor: str | None = None
) -> RangeResult:
    """One range task: the entries' hashes and links, the result lists (C-48) and the checkpoint
    signatures (C-50) of the same range."""
    found = verify_range(cursor, start=start, lower=lower, upper=upper, vendor=vendor)
    results_broken, listed = _verify_results(cursor, lower=lower, upper=upper, vendor=vendor)
    signed = _signed_checkpoints(cursor, lower=lower, upper=upper)
    return replace(found, results_broken=results_broken, listed=listed, signed=signed)


CHECKPOINT_COLUMNS = "seq, entry_hash, created_us, node, key_id, signature"


def _signature_valid(
    seq: int, entry_hash: str, created_us: int, node: str, key_id: str, signature: str
) -> bool:
    message = signing.checkpoint_message(node=node, seq=seq, entry_hash=entry_hash, created_us=created_us)
    return signing.verify(message, key_id=key_id, signature_hex=signature)


def _signed_checkpoints(cursor: Any, *, lower: int | None, upper: int) -> frozenset[tuple[Any, ...]]:
    """The checkpoint rows with seq in [lower, upper] whose signature verifies (C-50).

    A worker checks the signatures of its own range (an Ed25519 verification costs as much as
    hashing a few hundred entries); the parent then compares each checkpoint with the chain.
    """
    low = "" if lower is None else f"seq >= {int(lower)} AND "
    cursor.execute(
        f"SELECT {CHECKPOINT_COLUMNS} FROM {AuditCheckpoint._meta.db_table} "  # noqa: S608 (integers only)
        f"WHERE {low}seq <= {int(upper)}"
    )
    return frozenset(tuple(row) for row in cursor.fetchall() if _signature_valid(*row))


def _worker(task: tuple[str, int, int | None, int]) -> RangeResult:
    alias, start, lower, upper = task
    wrapper = connections[alias]
    # A fresh connection: the inherited one belongs to the parent and must not be touched.
    raw = wrapper.get_new_connection(wrapper.get_connection_params())
    try:
        # PostgreSQL: a server-side cursor streams the range in fetchmany batches; a client-side one
        # would hold the whole range (gigabytes for a 10,000,000-entry chain) in the worker's memory.
        # Binary results: the hashed message arrives as raw bytes instead of bytea's hex text, which
        # the server would encode and the client decode per row (about a fifth of a range's time).
        if wrapper.vendor == "postgresql":
            cursor = raw.cursor(name="audit_verify", binary=True)
        else:
            cursor = raw.cursor()
            # Read the file through a memory map instead of a read() call per page (read-only here).
            cursor.execute("PRAGMA mmap_size = 1073741824")
        return verify_task(cursor, start=start, lower=lower, upper=upper, vendor=wrapper.vendor)
    finally:
        raw.close()


def _can_fork() -> bool:
    if connection.in_atomic_block:
        return False  # uncommitted rows (tests) are invisible to other connections
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def _split(max_seq: int, parts: int) -> list[tuple[int, int | None, int]]:
    size = -(-max_seq // parts)
    tasks: list[tuple[int, int | None, int]] = []
    for i in range(parts):
        lo = 1 + i * size
        hi = min(max_seq, (i + 1) * size)
        if lo > hi:
            break
        tasks.append((lo, None if i == 0 else lo, hi))
    return tasks


def combine(results: Iterable[RangeResult]) -> int | None:
    """The first broken seq over consecutive range results, checking the links between them."""
    prev_hash = GENESIS_HASH
    for result in results:
        if result.count and result.first_prev != prev_hash:
            return result.start
        if result.broken is not None:
            return result.broken
        prev_hash = result.last_hash or prev_hash
    return None


def _verify_entries(
    workers: int, run: Callable[[list[tuple[str, int, int | None, int]]], list[RangeResult]] | None
) -> tuple[int, int | None, int | None, frozenset[tuple[Any, ...]]]:
    """Entries verified, the first broken entry seq, the first seq with a broken result list and the
    checkpoint rows whose signatures the range tasks verified."""
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(seq) FROM {table}")  # noqa: S608 (no input)
        max_seq = int(cursor.fetchone()[0] or 0)
        if max_seq == 0:
            cursor.execute(f"SELECT MIN(seq) FROM {table}")  # noqa: S608 (no input)
            lowest = cursor.fetchone()[0]
            return 0, (None if lowest is None else min(int(lowest), 1)), None, frozenset()
        tasks = [(connection.alias, *part) for part in _split(max_seq, max(1, workers))]
        if run is not None:
            results = run(tasks)
        elif len(tasks) > 1 and max_seq >= conf.parallel_minimum() and _can_fork():
            with multiprocessing.get_context("fork").Pool(len(tasks)) as pool:
                results = pool.map(_worker, tasks)
        else:
            results = [verify_task(cursor, start=1, lower=None, upper=max_seq)]
    broken = combine(results)
    candidates = [r.results_broken for r in results if r.results_broken is not None]
    if sum(r.listed for r in results) != _count_result_rows():
        candidates += [s for s in [_stray_results()] if s is not None]
    signed = frozenset().union(*(r.signed for r in results))
    return (max_seq if broken is None else broken - 1), broken, min(candidates, default=None), signed


def _count_result_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {AuditResultSubject._meta.db_table}")  # noqa: S608 (no input)
        return int(cursor.fetchone()[0])


def _stray_results() -> int | None:
    """First seq of an entry that never listed anyone but has result rows attached (C-48)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(e.seq) FROM {AuditResultSubject._meta.db_table} r "  # noqa: S608 (no input)
            f"JOIN {AuditEntry._meta.db_table} e ON e.id = r.entry_id WHERE e.results_digest = ''"
        )
        stray = cursor.fetchone()[0]
    return None if stray is None else int(stray)


def _verify_results(
    cursor: Any, *, lower: int | None, upper: int, vendor: str | None = None
) -> tuple[int | None, int]:
    """First seq in [lower, upper] whose stored result list no longer matches its chained digest (C-48),
    and how many result rows the range's searches have.

    The database joins each search's subject ids into one string (one row per search instead of one
    per listed person: about half the CPU time of the range's result check). SQLite's
    ``group_concat`` does not promise an order, so the positions are joined in the same pass and
    must read ``0,1,…,n-1``: the ids were then joined in list order. Any other outcome (a
    mismatch, or rows met out of order) is settled by the exact row-by-row check, which also
    finds the first broken seq. Result rows attached to an entry without a digest are not seen
    here: the parent compares the total of ``listed`` with the table's row count and looks for
    them only when the two differ.
    """
    entries = AuditEntry._meta.db_table
    subjects = AuditResultSubject._meta.db_table
    low = "" if lower is None else f"e.seq >= {int(lower)} AND "
    separator = f"char({ord(SEPARATOR)})"
    if (vendor or connection.vendor) == "postgresql":
        # Ordered aggregates; grouped by the primary key (PostgreSQL does not infer from unique seq).
        ordered, group = " ORDER BY r.position", "e.id"
        separator = f"chr({ord(SEPARATOR)})"
        aggregate = "string_agg"
    else:
        ordered, group, aggregate = "", "e.seq", "group_concat"
    cursor.execute(
        f"SELECT e.seq, e.results_digest, {aggregate}(r.subject_id, {separator}{ordered}), "  # noqa: S608 (integers only)
        f"{aggregate}(CAST(r.position AS TEXT), ','{ordered}), COUNT(r.subject_id) FROM {entries} e "
        f"LEFT JOIN {subjects} r ON r.entry_id = e.id "
        f"WHERE NOT (e.results_digest = '') AND {low}e.seq <= {int(upper)} GROUP BY {group} ORDER BY e.seq"
    )
    sha256 = hashlib.sha256
    in_order = _position_lists()
    listed = 0
    while rows := cursor.fetchmany(20_000):
        for _seq, digest, ids, positions, count in rows:
            if positions != in_order(count) or sha256(ids.encode("utf-8")).hexdigest() != digest:
                return _verify_results_by_row(cursor, lower=lower, upper=upper)
            listed += count
    return None, listed


def _position_lists() -> Callable[[int], str]:
    """``n`` → ``"0,1,…,n-1"``, the aggregated positions of a list met in order (memoised per count)."""
    known: dict[int, str] = {}

    def in_order(count: int) -> str:
        text = known.get(count)
        if text is None:
            text = known[count] = ",".join(map(str, range(count)))
        return text

    return in_order


def _verify_results_by_row(cursor: Any, *, lower: int | None, upper: int) -> tuple[int | None, int]:
    """The exact result-list check: one row per listed person, in ``position`` order."""
    entries = AuditEntry._meta.db_table
    subjects = AuditResultSubject._meta.db_table
    low = "" if lower is None else f"e.seq >= {int(lower)} AND "
    cursor.execute(
        f"SELECT e.seq, e.results_digest, r.subject_id FROM {entries} e "  # noqa: S608 (integers only)
        f"LEFT JOIN {subjects} r ON r.entry_id = e.id "
        f"WHERE NOT (e.results_digest = '') AND {low}e.seq <= {int(upper)} ORDER BY e.seq, r.position"
    )
    current: int | None = None
    expected = ""
    ids: list[str] = []
    listed = 0

    def mismatch() -> bool:
        digest = hashlib.sha256(SEPARATOR.join(ids).encode("utf-8")).hexdigest() if ids else ""
        return digest != expected

    while rows := cursor.fetchmany(20_000):
        for seq, digest, subject_id in rows:
            if seq != current:
                if current is not None and mismatch():
                    return current, listed
                current, expected, ids = seq, digest, []
            if subject_id is not None:
                ids.append(subject_id)
                listed += 1
    if current is not None and mismatch():
        return current, listed
    return None, listed


def _verify_checkpoints(
    entries: int, signed: frozenset[tuple[Any, ...]] = frozenset()
) -> tuple[int | None, str, int]:
    """Check every checkpoint's signature and that the chain still holds the hash it signed.

    ``signed`` are checkpoint rows whose signatures the range tasks already verified; any other row
    (beyond the chain's end, written meanwhile, or refused by a task) is verified here.
    """
    checkpoints = AuditCheckpoint._meta.db_table
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.seq, c.entry_hash, c.created_us, c.node, c.key_id, c.signature, e.entry_hash "  # noqa: S608
            f"FROM {checkpoints} c LEFT JOIN {table} e ON e.seq = c.seq ORDER BY c.seq"
        )
        rows = cursor.fetchall()
    last_good = 0
    for seq, signed_hash, created_us, node, key_id, signature, stored_hash in rows:
        checkpoint = (seq, signed_hash, created_us, node, key_id, signature)
        if checkpoint not in signed and not _signature_valid(*checkpoint):
            return seq, "checkpoint_signature", len(rows)
        if stored_hash is None or seq > entries:
            return entries + 1, "truncated", len(rows)
        if stored_hash != signed_hash:
            return last_good + 1, "checkpoint_mismatch", len(rows)
        last_good = seq
    return None, "", len(rows)


def verify_chain(
    *,
    workers: int | None = None,
    run: Callable[[list[tuple[str, int, int | None, int]]], list[RangeResult]] | None = None,
) -> ChainVerdict:
    """Recompute every entry's hash, the result lists and the signed checkpoints (issue 3 item 5; C-50).

    A changed entry breaks its own hash; a removed or inserted entry breaks the sequence or the
    link to its predecessor; a rewritten chain no longer matches a signed checkpoint; a truncated
    tail leaves a checkpoint pointing past the end. The first broken sequence number is reported.
    Ranges of the chain are verified in parallel processes when the chain is large (P7); ``run``
    lets tests drive the range tasks in-process.
    """
    count, broken, results_broken, signed = _verify_entries(
        conf.verify_workers() if workers is None else workers, run
    )
    problem = "entry" if broken is not None else ""
    if results_broken is not None and (broken is None or results_broken < broken):
        broken, problem = results_broken, "results"
    cp_broken, cp_problem, cp_count = _verify_checkpoints(count, signed)
    if cp_broken is not None and (broken is None or cp_broken <= broken):
        broken, problem = cp_broken, cp_problem
    listed_broken = listings.first_unindexed_mismatch()
    if listed_broken is not None and (broken is None or listed_broken < broken):
        broken, problem = listed_broken, "listed_index"
    entries = count if broken is None else min(count, broken - 1)
    return ChainVerdict(
        entries=max(entries, 0), first_broken_seq=broken, problem=problem, checkpoints=cp_count
    )


def run_in_process(tasks: list[tuple[str, int, int | None, int]]) -> list[RangeResult]:
    """Verify the range tasks one after the other on the current connection (tests, small chains)."""
    results = []
    with connection.cursor() as cursor:
        for _alias, start, lower, upper in tasks:
            results.append(verify_task(cursor, start=start, lower=lower, upper=upper))
    return results


def entries_for_subject(subject_type: str, subject_id: str) -> list[dict[str, object]]:
    """Every entry about one subject, oldest first (for a person's own access history)."""
    query = AuditEntry.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("seq")
    return [model_to_dict(entry) for entry in query]


HISTORY_FIELDS = ("seq", "created_us", "action", "actor_name", "purpose", "outcome", "node")


def access_history(subject_type: str, subject_id: str, *, limit: int = 200) -> list[dict[str, object]]:
    """A person's access history, newest first: entries that opened or changed the record
    ("consulted") and searches that listed the person ("listed") (controls.md C-48; P8).

    Index range scans (``audit_subject_idx``, and ``listings.newest_listed``), merged by seq.
    """
    consulted = AuditEntry.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("-seq")
    listed = listings.newest_listed([subject_id], HISTORY_FIELDS, limit=limit, subject_type=subject_type)
    rows = [{**row, "kind": "consulted"} for row in consulted.values(*HISTORY_FIELDS)[:limit]]
    rows += [{**row, "kind": "listed"} for row in listed]
    rows.sort(key=lambda row: row["seq"], reverse=True)
    return rows[:limit]


def export_checkpoints() -> list[str]:
    """Every checkpoint as one JSON line, for the copy in a separate, locked store (controls.md C-50)."""
    rows = AuditCheckpoint.objects.order_by("seq").values(
        "seq", "entry_hash", "created_us", "node", "key_id", "signature"
    )
    return [json.dumps(row, sort_keys=True) for row in rows]
