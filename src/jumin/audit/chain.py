"""The hash chain: each entry's hash covers the previous entry's hash and the entry's canonical text.

The canonical text is built the same way in Python (when appending) and in SQL (when verifying),
so verification streams one short string per row instead of rebuilding Python objects; that is
what makes P7 (≥ 200,000 entries/s, performance.md) reachable (controls.md C-50).

Chain format version 2: the chained fields joined by U+001F (unit separator), in the order of
``CHAINED_FIELDS``. Text fields may not contain U+001F or NUL (``record_event`` refuses them), so
an honest text has exactly ``len(CHAINED_FIELDS) - 1`` separators. A forged row whose columns
contain a separator yields a text with more separators than any honest one, so no edit of the
columns can reproduce the canonical text of a different honest entry: the encoding stays
injective without the per-field length prefixes of format version 1, which cost half of the
verification time. SQL builds the text with one ``format('%s␟%s…', …)`` call, which SQLite and
PostgreSQL evaluate alike for these column types.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

GENESIS_HASH = "0" * 64
CHAIN_FORMAT_VERSION = 2

# The fields the hash covers, in order. Changing this list is a new format version.
INTEGER_FIELDS = ("seq", "created_us")  # seq first: ``canonical_tail`` is the text after it
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
    "query_summary",
    "results_digest",
)
COUNT_FIELDS = ("result_count",)
BOOLEAN_FIELDS = ("individual_number_used", "support_measure")
CHAINED_FIELDS = INTEGER_FIELDS + OPTIONAL_INTEGER_FIELDS + TEXT_FIELDS + COUNT_FIELDS + BOOLEAN_FIELDS
SEPARATOR = "\x1f"
# Characters a chained text field may not hold: NUL ends strings early in SQLite's format(), and the
# separator must stay unambiguous.
FORBIDDEN_CHARACTERS = ("\x00", SEPARATOR)


def canonical_text(fields: Mapping[str, object]) -> str:
    """The entry's canonical text; `canonical_sql()` computes exactly the same string in the database."""
    return str(fields["seq"]) + canonical_tail(fields)


def canonical_tail(fields: Mapping[str, object]) -> str:
    """The canonical text after its leading ``seq``, separator included.

    PostgreSQL's append (``services._append``) reserves the seq and hashes ``prev_hash || seq || tail``
    in the statement that takes the head's lock, so the entry's fields other than its seq are fixed
    before the database numbers it.
    """
    parts = [str(fields[name]) for name in INTEGER_FIELDS[1:]]
    parts += ["-" if fields[name] is None else str(fields[name]) for name in OPTIONAL_INTEGER_FIELDS]
    parts += [str(fields[name]) for name in TEXT_FIELDS]
    parts += [str(int(fields[name])) for name in COUNT_FIELDS]  # type: ignore[call-overload]
    parts += ["1" if fields[name] else "0" for name in BOOLEAN_FIELDS]
    return SEPARATOR + SEPARATOR.join(parts)


def canonical_sql(table_alias: str = "", *, leading: str = "", vendor: str = "postgresql") -> str:
    """A SQL expression that yields `canonical_text` for a row on the ``vendor``'s database.

    The separator is a literal control character inside the SQL string literal; both engines accept
    it. PostgreSQL needs casts: booleans would otherwise print ``t``/``f``, and ``COALESCE`` needs
    one type. SQLite stores booleans as 0/1 and ``format('%s')`` prints an integer as ``CAST(… AS
    TEXT)`` does, so it takes the columns bare (each cast is a function call per row: about 3 % of
    a verification). ``leading`` is a column whose text goes immediately before the canonical
    text, in the same ``format()`` call (the verifier's ``prev_hash``: one string built per row
    instead of two).
    """
    prefix = f"{table_alias}." if table_alias else ""
    sqlite = vendor == "sqlite"
    args = [f"{prefix}{name}" for name in INTEGER_FIELDS]
    args += [
        f"IFNULL({prefix}{name}, '-')" if sqlite else f"COALESCE(CAST({prefix}{name} AS TEXT), '-')"
        for name in OPTIONAL_INTEGER_FIELDS
    ]
    args += [f"{prefix}{name}" for name in TEXT_FIELDS]
    args += [f"{prefix}{name}" for name in COUNT_FIELDS]
    args += [f"{prefix}{name}" if sqlite else f"CAST({prefix}{name} AS INTEGER)" for name in BOOLEAN_FIELDS]
    pattern = SEPARATOR.join(["%s"] * len(args))
    if leading:
        pattern, args = "%s" + pattern, [f"{prefix}{leading}", *args]
    return f"format('{pattern}', {', '.join(args)})"


def chain_hash(prev_hash: str, canonical: str) -> str:
    """SHA-256 over the previous hash and the canonical text."""
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def entry_hash(fields: Mapping[str, object], prev_hash: str) -> str:
    """The hash of an entry with these field values following an entry with `prev_hash`."""
    return chain_hash(prev_hash, canonical_text(fields))


def results_digest(subject_ids: list[str]) -> str:
    """The digest of a result list, in list order, chained into its entry (controls.md C-48).

    The ids also live in ``AuditResultSubject`` rows for per-person lookups; verification
    recomputes this digest from those rows, so adding or removing one is detected.
    """
    if not subject_ids:
        return ""
    return hashlib.sha256(SEPARATOR.join(subject_ids).encode("utf-8")).hexdigest()
