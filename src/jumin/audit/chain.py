"""The hash chain: each entry's hash covers the previous entry's hash and the entry's canonical text.

The canonical text is built the same way in Python (when appending) and in SQL (when verifying),
so verification streams one short string per row instead of rebuilding Python objects; that is
what makes P7 (≥ 200,000 entries/s) reachable. Text fields are length-prefixed so that no choice
of field contents can make two different entries share a canonical text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

GENESIS_HASH = "0" * 64

# Chain format version 1: the fields the hash covers, in order. Changing this list is a new
# format version; verification must then know each entry's version.
INTEGER_FIELDS = ("seq", "created_us")
OPTIONAL_INTEGER_FIELDS = ("actor_id",)
TEXT_FIELDS = (
    "actor_name",
    "actor_role",
    "terminal_id",
    "node",
    "action",
    "subject_type",
    "subject_id",
    "purpose",
    "reason",
    "request_id",
    "outcome",
    "outcome_reason",
    "before_digest",
    "after_digest",
)
BOOLEAN_FIELDS = ("individual_number_used",)
CHAINED_FIELDS = INTEGER_FIELDS + OPTIONAL_INTEGER_FIELDS + TEXT_FIELDS + BOOLEAN_FIELDS
SEPARATOR = "|"


def canonical_text(fields: Mapping[str, object]) -> str:
    """The entry's canonical text; `canonical_sql()` computes exactly the same string in the database."""
    parts = [str(fields[name]) for name in INTEGER_FIELDS]
    parts += ["-" if fields[name] is None else str(fields[name]) for name in OPTIONAL_INTEGER_FIELDS]
    for name in TEXT_FIELDS:
        value = str(fields[name])
        parts.append(f"{len(value)}:{value}")
    parts += ["1" if fields[name] else "0" for name in BOOLEAN_FIELDS]
    return SEPARATOR.join(parts)


def canonical_sql() -> str:
    """A SQL expression (SQLite and PostgreSQL alike) that yields `canonical_text` for a row."""
    sep = f" || '{SEPARATOR}' || "
    parts = [f"CAST({name} AS TEXT)" for name in INTEGER_FIELDS]
    parts += [f"COALESCE(CAST({name} AS TEXT), '-')" for name in OPTIONAL_INTEGER_FIELDS]
    parts += [f"CAST(LENGTH({name}) AS TEXT) || ':' || {name}" for name in TEXT_FIELDS]
    parts += [f"CASE WHEN {name} THEN '1' ELSE '0' END" for name in BOOLEAN_FIELDS]
    return sep.join(parts)


def chain_hash(prev_hash: str, canonical: str) -> str:
    """SHA-256 over the previous hash and the canonical text."""
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def entry_hash(fields: Mapping[str, object], prev_hash: str) -> str:
    """The hash of an entry with these field values following an entry with `prev_hash`."""
    return chain_hash(prev_hash, canonical_text(fields))
