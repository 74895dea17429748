"""Writing to the audit log. Call ``record_event`` inside the service's own transaction.

controls.md C-42 (every read and write leaves an entry in the same transaction), C-48 (listed vs.
consulted), C-50 (hash chain and signed checkpoints); standard 10.2-a/b.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction

from jumin.accounts.context import AuditContext, audit_context
from jumin.audit import conf, signing
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.chain import (
    BOOLEAN_FIELDS,
    CHAINED_FIELDS,
    COUNT_FIELDS,
    FORBIDDEN_CHARACTERS,
    INTEGER_FIELDS,
    OPTIONAL_INTEGER_FIELDS,
    TEXT_FIELDS,
    canonical_tail,
    canonical_text,
    chain_hash,
    results_digest,
)
from jumin.audit.models import AuditChainHead, AuditCheckpoint, AuditEntry, AuditResultSubject
from jumin.prepared import prepared_execute

# Field names that hold a 個人番号; digest_of refuses them (controls.md C-9, style.md audit records).
INDIVIDUAL_NUMBER_KEYS = frozenset({"individual_number", "my_number", "mynumber", "kojin_bango"})
# The kinds of search keys a query summary may name: lower-case identifiers joined by "+".
QUERY_SUMMARY_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*")
# Key kinds that make a search a "number search" for the analysis report (standard 10.2-d).
NUMBER_SEARCH_KEYS = ("atena_number", "individual_number", "juminhyo_code")


class AuditFieldError(ValueError):
    """An audit field would break the chain's encoding or leak a value; the message names only the field."""


def _node_label() -> str:
    return f"{settings.JUMIN_NODE_KIND}:{settings.JUMIN_NODE_CODE}"


def _actor_fields(actor: Any | None) -> dict[str, object]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_name": "", "actor_role": ""}
    role = getattr(actor, "audit_role", "") or ("superuser" if actor.is_superuser else "")
    return {
        "actor_id": actor.pk,
        "actor_name": getattr(actor, "display_name", "") or actor.get_username(),
        "actor_role": str(role)[:100],
    }


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(str(item) for item in value)
    return str(value)


def _refuse_individual_number_keys(value: object) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() in INDIVIDUAL_NUMBER_KEYS:
                raise AuditFieldError("digest_of: a 個人番号 field must be left out of the record")
            _refuse_individual_number_keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_individual_number_keys(item)


def digest_of(record: Mapping[str, object]) -> str:
    """SHA-256 over a canonical JSON of a record's fields, for ``before_digest``/``after_digest``.

    Callers pass the fields WITHOUT the 個人番号 (style.md, audit records; controls.md C-9): a
    12-digit number with a check digit is trivially recovered from its digest by trying them all.
    Keys named like a 個人番号 field are refused. The JSON is sorted by key, compact, UTF-8, and
    renders dates as ISO text, so the same record gives the same digest on every node and engine.
    """
    _refuse_individual_number_keys(record)
    text = json.dumps(
        record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now_us() -> int:
    """The current time in epoch microseconds (one seam for tests that need a given day)."""
    return time.time_ns() // 1000


def _write_checkpoint(*, seq: int, entry_hash: str, created_us: int, node: str) -> None:
    message = signing.checkpoint_message(node=node, seq=seq, entry_hash=entry_hash, created_us=created_us)
    key_id, signature = signing.sign(message)
    AuditCheckpoint.objects.create(
        seq=seq, entry_hash=entry_hash, created_us=created_us, node=node, key_id=key_id, signature=signature
    )


ENTRY_INSERT_COLUMNS = (*CHAINED_FIELDS, "prev_hash", "entry_hash")


def _check_text_fields(fields: Mapping[str, object]) -> None:
    texts = [str(fields[name]) for name in TEXT_FIELDS]
    joined = "".join(texts)  # one scan per character: a batch of node messages checks thousands of entries
    if any(char in joined for char in FORBIDDEN_CHARACTERS):
        name = next(
            n for n, t in zip(TEXT_FIELDS, texts, strict=True) if any(c in t for c in FORBIDDEN_CHARACTERS)
        )
        raise AuditFieldError(f"audit field {name} contains a NUL or separator character")


@dataclass
class _Chained:
    """Entries linked into the chain: their insert rows, the checkpoints due among them, the new head."""

    rows: list[list[Any]]
    checkpoints: list[tuple[int, str, str]]  # (seq, entry hash, node)
    last_hash: str
    checkpoint_us: int


def _chain(
    entries: Sequence[dict[str, object]], first_seq: int, prev_hash: str, checkpoint_us: int, now_us: int
) -> _Chained:
    """Number, time and hash ``entries`` after ``prev_hash``; a checkpoint is due every N entries or
    every M minutes since the last one. Shared by the single and the batched append."""
    every_entries = conf.checkpoint_every_entries()
    every_us = conf.checkpoint_every_minutes() * 60_000_000
    rows: list[list[Any]] = []
    checkpoints: list[tuple[int, str, str]] = []
    for seq, fields in enumerate(entries, start=first_seq):
        fields["seq"] = seq
        fields["created_us"] = now_us
        digest = chain_hash(prev_hash, canonical_text(fields))
        rows.append([fields[name] for name in CHAINED_FIELDS] + [prev_hash, digest])
        if seq % every_entries == 0 or now_us - checkpoint_us >= every_us:
            checkpoint_us = now_us
            checkpoints.append((seq, digest, str(fields["node"])))
        prev_hash = digest
    return _Chained(rows, checkpoints, prev_hash, checkpoint_us)


def _append(fields: dict[str, object], result_subject_ids: Sequence[str] = ()) -> AuditEntry:
    """Advance the head, insert the entry, store the new hash; plain SQL, because P9 allows ≤ 1 ms in total.

    PostgreSQL: one statement, one round trip (``_append_postgresql``). SQLite (in-process, no round
    trips): the head's ``UPDATE … RETURNING``, the entry's INSERT and the head's new hash.
    """
    _check_text_fields(fields)
    now_us = _now_us()
    # No savepoint: if the entry cannot be written, the caller's whole transaction must fail (C-42).
    with (
        transaction.atomic(savepoint=False),
        connection.cursor() as django_cursor,
        prepared_execute(django_cursor) as (cursor, execute),
    ):
        # PostgreSQL: the append, with the result rows in the same statement, is prepared once per
        # connection (jumin.prepared).
        if connection.vendor == "postgresql":
            done = _append_postgresql(cursor, execute, fields, now_us, result_subject_ids)
        else:
            done = _append_sqlite(cursor, fields, now_us)
            if result_subject_ids:
                _insert_result_subjects(execute, done.entry_id, result_subject_ids)
        entry = AuditEntry(id=done.entry_id, **fields, prev_hash=done.prev_hash, entry_hash=done.entry_hash)
        entry._state.adding = False
        entry._state.db = connection.alias
        if done.checkpoint_due:
            _write_checkpoint(
                seq=done.seq, entry_hash=done.entry_hash, created_us=now_us, node=str(fields["node"])
            )
    return entry


class _Appended(NamedTuple):
    entry_id: int
    seq: int
    prev_hash: str
    entry_hash: str
    checkpoint_due: bool


def _append_sqlite(cursor: Any, fields: dict[str, object], now_us: int) -> _Appended:
    """Reserve the seq, chain in Python, insert the entry, store the new head.

    Reserving the seq with an UPDATE takes SQLite's write lock in the same statement, so appends are
    serialised: sequence numbers have no gaps and each entry links to exactly one predecessor.
    """
    head_table = AuditChainHead._meta.db_table
    cursor.execute(
        f"UPDATE {head_table} SET last_seq = last_seq + 1 WHERE id = 1 "  # noqa: S608 (no input)
        "RETURNING last_seq, last_hash, last_checkpoint_us"
    )
    seq, prev_hash, last_checkpoint_us = cursor.fetchone()
    chained = _chain([fields], int(seq), prev_hash, int(last_checkpoint_us) or now_us, now_us)
    cursor.execute(_INSERT_ENTRY_SQL.format(table=AuditEntry._meta.db_table), chained.rows[0])
    entry_id = cursor.fetchone()[0]
    due = bool(chained.checkpoints)
    cursor.execute(
        f"UPDATE {head_table} SET last_hash = %s, prev_hash = %s, last_checkpoint_us = %s, "  # noqa: S608
        "checkpoint_due = %s WHERE id = 1",
        [chained.last_hash, prev_hash, chained.checkpoint_us, due],
    )
    return _Appended(int(entry_id), int(seq), prev_hash, chained.last_hash, due)


_INSERT_ENTRY_SQL = (
    f"INSERT INTO {{table}} ({', '.join(ENTRY_INSERT_COLUMNS)}) "  # noqa: S608 (no input: column names)
    f"VALUES ({', '.join(['%s'] * len(ENTRY_INSERT_COLUMNS))}) RETURNING id"
)


def _insert_result_subjects(execute: Callable[..., Any], entry_id: int, subject_ids: Sequence[str]) -> None:
    """SQLite: the result list as rows, in one statement: a search (P2) lists up to 1,000 people per
    entry, and one statement over a JSON list costs less than a row-by-row ``executemany``.
    (PostgreSQL writes them in the append's own statement, ``_postgresql_append_sql``.)"""
    table = AuditResultSubject._meta.db_table
    execute(
        f"INSERT INTO {table} (entry_id, position, subject_id) "  # noqa: S608 (no input: table name)
        "SELECT %s, key, value FROM json_each(%s)",
        [entry_id, json.dumps(list(subject_ids))],
    )


# Column types for the parameters of PostgreSQL's ``INSERT … SELECT`` (a SELECT list gives them none).
_POSTGRESQL_TYPES = {
    **dict.fromkeys((*INTEGER_FIELDS, *OPTIONAL_INTEGER_FIELDS), "bigint"),
    **dict.fromkeys(TEXT_FIELDS, "text"),
    **dict.fromkeys(COUNT_FIELDS, "integer"),
    **dict.fromkeys(BOOLEAN_FIELDS, "boolean"),
}


@functools.cache
def _postgresql_append_sql(with_results: bool) -> str:
    """The one statement of a PostgreSQL append (see ``_append_postgresql``); ``with_results`` adds the
    search's result rows, given as one JSON list (the driver's array adapter costs more than json.dumps),
    numbered from 0 in list order."""
    head_table = AuditChainHead._meta.db_table
    entry_table = AuditEntry._meta.db_table
    result_table = AuditResultSubject._meta.db_table
    from_head = {"seq": "head.last_seq", "prev_hash": "head.prev_hash", "entry_hash": "head.last_hash"}
    select = [
        from_head.get(name) or f"%({name})s::{_POSTGRESQL_TYPES[name]}" for name in ENTRY_INSERT_COLUMNS
    ]
    # ``_chain``'s rule: every N entries, or M minutes after the last checkpoint (none before the first).
    seq_due = "(last_seq + 1) %% %(every)s::bigint = 0"
    time_due = "(last_checkpoint_us <> 0 AND %(now)s::bigint - last_checkpoint_us >= %(every_us)s::bigint)"
    listed = (
        f", listed AS (INSERT INTO {result_table} (entry_id, position, subject_id) "  # noqa: S608 (no input)
        "SELECT entry.id, listed.ord - 1, listed.id FROM entry, "
        "jsonb_array_elements_text(%(listed)s::jsonb) WITH ORDINALITY AS listed (id, ord)) "
        if with_results
        else ""
    )
    return (
        f"WITH head AS (UPDATE {head_table} SET "  # noqa: S608 (no input: table and column names)
        "last_seq = last_seq + 1, "
        "prev_hash = last_hash, "
        "last_hash = encode(sha256(convert_to("
        "last_hash || (last_seq + 1)::text || %(tail)s::text, 'UTF8')), 'hex'), "
        f"checkpoint_due = {seq_due} OR {time_due}, "
        f"last_checkpoint_us = CASE WHEN last_checkpoint_us = 0 OR {seq_due} OR {time_due} "
        "THEN %(now)s::bigint ELSE last_checkpoint_us END "
        "WHERE id = 1 RETURNING last_seq, prev_hash, last_hash, checkpoint_due), "
        f"entry AS (INSERT INTO {entry_table} ({', '.join(ENTRY_INSERT_COLUMNS)}) "
        f"SELECT {', '.join(select)} FROM head RETURNING id) {listed}"
        "SELECT entry.id, head.last_seq, head.prev_hash, head.last_hash, head.checkpoint_due FROM entry, head"
    )


def _append_postgresql(
    cursor: Any,
    execute: Callable[..., Any],
    fields: dict[str, object],
    now_us: int,
    result_subject_ids: Sequence[str] = (),
) -> _Appended:
    """Reserve the seq, hash, insert the entry (and its result rows) and move the head in one statement.

    The UPDATE takes the head row's lock, so appends are serialised as with ``SELECT … FOR UPDATE``.
    Its SET expressions read the head row they update; under READ COMMITTED a writer that waited for
    the lock re-evaluates them on the row the other writer committed, so each entry links to exactly
    one predecessor and sequence numbers have no gaps (``tests/audit/test_concurrency.py``). The hash
    is ``sha256(prev_hash || seq || canonical_tail)``, the same bytes as ``chain_hash``; the first
    checkpoint time and the checkpoint rule are those of ``_chain``. Python recomputes the returned
    hash before the transaction can go on (a mismatch raises and the whole transaction, result rows
    included, is rolled back), so the database's arithmetic is never trusted blindly.
    """
    fields["created_us"] = now_us
    params: dict[str, object] = {name: fields[name] for name in CHAINED_FIELDS if name != "seq"}
    params.update(
        tail=canonical_tail(fields),
        now=now_us,
        every=conf.checkpoint_every_entries(),
        every_us=conf.checkpoint_every_minutes() * 60_000_000,
    )
    if result_subject_ids:
        params["listed"] = json.dumps(list(result_subject_ids))
    execute(_postgresql_append_sql(bool(result_subject_ids)), params)
    entry_id, seq, prev_hash, digest, checkpoint_due = cursor.fetchone()
    fields["seq"] = int(seq)
    if digest != chain_hash(prev_hash, canonical_text(fields)):
        raise RuntimeError(f"audit append: the database's hash of entry {seq} differs from the chain's")
    return _Appended(int(entry_id), int(seq), prev_hash, digest, bool(checkpoint_due))


def _append_many(entries: Sequence[dict[str, object]]) -> None:
    """Append several entries in order with one head update: the same chain as ``_append`` one by one.

    The head's seq is advanced by the count in one ``UPDATE … RETURNING`` (the same lock as a single
    append), the hashes are chained in Python, the rows go in with one ``executemany`` and the head
    gets the last hash. Checkpoints fall where they would have fallen entry by entry.
    """
    if not entries:
        return
    for fields in entries:
        _check_text_fields(fields)
    head_table = AuditChainHead._meta.db_table
    entry_table = AuditEntry._meta.db_table
    columns = ", ".join(ENTRY_INSERT_COLUMNS)
    marks = ", ".join(["%s"] * len(ENTRY_INSERT_COLUMNS))
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {head_table} SET last_seq = last_seq + %s WHERE id = 1 "  # noqa: S608 (no input)
            "RETURNING last_seq, last_hash, last_checkpoint_us",
            [len(entries)],
        )
        last_seq, prev_hash, last_checkpoint_us = cursor.fetchone()
        now_us = _now_us()
        first = int(last_seq) - len(entries) + 1
        chained = _chain(entries, first, prev_hash, int(last_checkpoint_us) or now_us, now_us)
        cursor.executemany(f"INSERT INTO {entry_table} ({columns}) VALUES ({marks})", chained.rows)  # noqa: S608
        due = bool(chained.checkpoints) and chained.checkpoints[-1][0] == int(last_seq)
        cursor.execute(
            f"UPDATE {head_table} SET last_hash = %s, prev_hash = %s, last_checkpoint_us = %s, "  # noqa: S608
            "checkpoint_due = %s WHERE id = 1",
            [chained.last_hash, chained.rows[-1][-2], chained.checkpoint_us, due],
        )
        for seq, digest, node in chained.checkpoints:
            _write_checkpoint(seq=seq, entry_hash=digest, created_us=now_us, node=node)


def _checked_subject_ids(subject_ids: Sequence[str], caller: str) -> list[str]:
    ids = [str(subject_id) for subject_id in subject_ids]
    # Whole-list checks (a search lists hundreds of ids, P2): lengths by map, characters in one text.
    lengths = list(map(len, ids))
    joined = "".join(ids)
    if ids and (min(lengths) == 0 or max(lengths) > 64 or any(c in joined for c in FORBIDDEN_CHARACTERS)):
        raise AuditFieldError(f"{caller}: subject ids must be 1–64 characters of plain text")
    return ids


def _event_fields(
    *,
    actor: Any | None,
    action: AuditAction,
    subject_type: str = "",
    subject_id: str = "",
    purpose: str = "",
    reason: str = "",
    outcome: Outcome = Outcome.DONE,
    outcome_reason: str = "",
    individual_number_used: bool = False,
    terminal_id: str = "",
    request_id: str = "",
    before_digest: str = "",
    after_digest: str = "",
    query_summary: str = "",
    result_count: int = 0,
    support_measure: bool = False,
    context: AuditContext | None = None,
) -> dict[str, object]:
    if query_summary and not QUERY_SUMMARY_PATTERN.fullmatch(query_summary):
        raise AuditFieldError("query_summary must name key kinds only (e.g. kana_name+birth_date)")
    context = context or audit_context()
    return {
        **_actor_fields(actor),
        "terminal_id": terminal_id or context["terminal_id"],
        "node": _node_label(),
        "action": str(action),
        "subject_type": subject_type,
        "subject_id": subject_id,
        "purpose": purpose,
        "reason": reason,
        "individual_number_used": bool(individual_number_used),
        "support_measure": bool(support_measure),
        "request_id": request_id or context["request_id"],
        "outcome": str(outcome),
        "outcome_reason": outcome_reason,
        "before_digest": before_digest,
        "after_digest": after_digest,
        "query_summary": query_summary,
        "result_count": int(result_count),
        "results_digest": "",
    }


def record_event(
    *,
    actor: Any | None,
    action: AuditAction,
    subject_type: str = "",
    subject_id: str = "",
    purpose: str = "",
    reason: str = "",
    outcome: Outcome = Outcome.DONE,
    outcome_reason: str = "",
    individual_number_used: bool = False,
    terminal_id: str = "",
    request_id: str = "",
    before_digest: str = "",
    after_digest: str = "",
    query_summary: str = "",
    result_count: int = 0,
    support_measure: bool = False,
    concerning: Sequence[str] = (),
) -> AuditEntry:
    """Append one entry to this node's chain, in the caller's transaction (architecture.md §3 rule 5).

    ``subject_id`` is an internal id, never a 個人番号. The actor's name and role are copied so the
    entry stays readable after the account is deactivated (style.md, audit records). Terminal and
    request ids default to the current request's (``jumin.accounts.context``). A signed checkpoint
    follows every N entries or M minutes (controls.md C-50).

    ``concerning`` names the persons (internal ids of ``subject_type``) that an entry about several
    persons concerns, e.g. one 住基ネット exchange carrying a household's updates: they are stored as
    ``AuditResultSubject`` rows under the chained ``results_digest``, as ``record_results`` stores a
    search's list, so a person's history finds the entry (issue 8 item 7).
    """
    ids = _checked_subject_ids(concerning, "record_event")
    fields = _event_fields(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        reason=reason,
        outcome=outcome,
        outcome_reason=outcome_reason,
        individual_number_used=individual_number_used,
        terminal_id=terminal_id,
        request_id=request_id,
        before_digest=before_digest,
        after_digest=after_digest,
        query_summary=query_summary,
        result_count=result_count,
        support_measure=support_measure,
    )
    if ids:
        fields["results_digest"] = results_digest(ids)
    return _append(fields, ids)


def record_events(events: Sequence[Mapping[str, Any]]) -> None:
    """Append several entries, in order, in the caller's transaction: exactly the entries that
    ``record_event(**event)`` would write one by one (same fields, same chain, same checkpoints),
    with one head update and one multi-row insert instead of three statements per entry.

    For services that write many entries at once (a received batch of node messages, P5). Each
    ``event`` holds ``record_event``'s keyword arguments; the entries share one ``created_us``.
    """
    if not events:
        return
    context = audit_context()
    _append_many([_event_fields(**event, context=context) for event in events])


def record_view(
    actor: Any,
    subject_type: str,
    subject_id: str,
    purpose: str,
    *,
    action: AuditAction = AuditAction.RESIDENT_RECORD_VIEW,
    reason: str = "",
    individual_number_used: bool = False,
    support_measure: bool = False,
) -> AuditEntry:
    """Audit that one record was opened ("consulted", controls.md C-42, C-48); call it in the selector.

    ``support_measure`` marks a record under 支援措置 so the daily review lists the access.
    """
    return record_event(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        reason=reason,
        individual_number_used=individual_number_used,
        support_measure=support_measure or subject_type == "support_measure",
        result_count=1,
    )


def record_results(
    actor: Any,
    subject_type: str,
    subject_ids: Sequence[str],
    purpose: str,
    query_summary: str,
    *,
    action: AuditAction = AuditAction.RESIDENT_RECORD_LIST,
    reason: str = "",
    individual_number_used: bool = False,
    support_measure: bool = False,
    result_count: int | None = None,
) -> AuditEntry:
    """Audit one search: the persons who "appeared in the results" (controls.md C-42, C-48, C-53).

    One entry per search; the ids go to ``AuditResultSubject`` rows (for per-person lookups) and
    their digest into the chained entry. ``query_summary`` names the kinds of keys used, joined by
    "+" (``kana_name+birth_date``, ``atena_number``) — never their values. ``result_count`` is the
    total hit count when the list shown is only a page of it.
    """
    ids = _checked_subject_ids(subject_ids, "record_results")
    if not QUERY_SUMMARY_PATTERN.fullmatch(query_summary):
        raise AuditFieldError("query_summary must name key kinds only (e.g. kana_name+birth_date)")
    context = audit_context()
    fields: dict[str, object] = {
        **_actor_fields(actor),
        "terminal_id": context["terminal_id"],
        "node": _node_label(),
        "action": str(action),
        "subject_type": subject_type,
        "subject_id": "",
        "purpose": purpose,
        "reason": reason,
        "individual_number_used": bool(individual_number_used or "individual_number" in query_summary),
        "support_measure": bool(support_measure),
        "request_id": context["request_id"],
        "outcome": str(Outcome.DONE),
        "outcome_reason": "",
        "before_digest": "",
        "after_digest": "",
        "query_summary": query_summary,
        "result_count": len(ids) if result_count is None else int(result_count),
        "results_digest": results_digest(ids),
    }
    return _append(fields, ids)


def write_checkpoint_now() -> AuditCheckpoint | None:
    """Sign the current chain head unless it is already signed (``jumin audit checkpoint``; C-50).

    Run it daily (the anchor interval) and copy ``jumin audit checkpoints`` to the separate store.
    """
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(id=1)
        if head.last_seq == 0 or AuditCheckpoint.objects.filter(seq=head.last_seq).exists():
            return None
        now_us = _now_us()
        _write_checkpoint(seq=head.last_seq, entry_hash=head.last_hash, created_us=now_us, node=_node_label())
        AuditChainHead.objects.filter(id=1).update(last_checkpoint_us=now_us)
        return AuditCheckpoint.objects.get(seq=head.last_seq)
