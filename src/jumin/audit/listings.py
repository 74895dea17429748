"""Who was listed where: the per-person index of search results, built off the request path.

A search writes its result list as ``AuditResultSubject`` rows in the same transaction (C-48); they
are ordered by entry, so writing them is cheap. ``index_listed`` later copies them, sorted by person,
into ``ListedSubject`` and moves ``ListedIndexHead`` forward; ``newest_listed`` reads the copied
rows by index and the rows after the head from the result table itself, so a person's access
history is complete whether or not the copy has caught up.

The head is a plain entry id. That is sound because entries become visible in id order: on
PostgreSQL an append holds the chain head's row lock until its transaction ends, and SQLite has one
writer at a time, so no entry below a committed one can still appear.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from django.db import connection, transaction

from jumin.audit.models import AuditEntry, AuditResultSubject, ListedIndexHead, ListedSubject

# Result rows copied per transaction: large enough to sort many searches' rows together, small enough
# that the write lock (SQLite's only writer) is held for a few tens of milliseconds at a time.
BATCH_ROWS = 5_000
# Batches per round of a node's worker (and of the P2 benchmark's indexing thread), so searches and
# deliveries interleave with a copy that is catching up.
BATCHES_PER_ROUND = 4


def indexed_through() -> int:
    """The last entry id whose result rows are in ``ListedSubject`` (0 before the first copy)."""
    head = ListedIndexHead.objects.filter(id=1).values_list("indexed_through", flat=True).first()
    return int(head or 0)


def index_listed(*, batch_rows: int = BATCH_ROWS, max_batches: int | None = None) -> int:
    """Copy result rows after the head into ``ListedSubject``, whole entries at a time, each batch in
    its own transaction; returns how many rows were copied. Stops when caught up or after
    ``max_batches``. Safe to run from several processes: the head's row lock orders them.
    """
    copied = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        done = _index_batch(batch_rows)
        if done == 0:
            break
        copied += done
        batches += 1
    return copied


def _index_batch(batch_rows: int) -> int:
    results = AuditResultSubject._meta.db_table
    listed = ListedSubject._meta.db_table
    head_table = ListedIndexHead._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        head = ListedIndexHead.objects.select_for_update().filter(id=1).first()
        if head is None:
            head = ListedIndexHead.objects.create(id=1, indexed_through=0)
        start = head.indexed_through
        # The entry of the batch_rows-th row after the head; all of that entry's rows go in too.
        cursor.execute(
            f"SELECT MAX(entry_id) FROM (SELECT entry_id FROM {results} WHERE entry_id > %s "  # noqa: S608
            "ORDER BY entry_id LIMIT %s) AS batch",
            [start, batch_rows],
        )
        upto = cursor.fetchone()[0]
        if upto is None:
            return 0
        cursor.execute(
            f"INSERT INTO {listed} (subject_id, entry_id) SELECT subject_id, entry_id FROM {results} "  # noqa: S608
            "WHERE entry_id > %s AND entry_id <= %s ORDER BY subject_id, entry_id",
            [start, upto],
        )
        copied = cursor.rowcount
        cursor.execute(f"UPDATE {head_table} SET indexed_through = %s WHERE id = 1", [upto])  # noqa: S608
    return int(copied)


def newest_listed(
    subject_ids: Sequence[str],
    fields: Sequence[str],
    *,
    limit: int,
    subject_type: str | None = None,
    actions: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """The newest ``limit`` entries whose result list named one of ``subject_ids`` (of ``subject_type``
    and one of ``actions`` when given), newest first, as ``fields`` dicts.

    The person's listing entry ids come newest first, a page at a time (``_listing_pages``); each page
    is read by primary key and filtered here. Filtering in SQL let SQLite walk ``audit_subject_idx``
    by subject type through every entry of that type instead (P8: 170 ms at 2,000,000 entries).
    """
    ids = [str(subject_id) for subject_id in subject_ids]
    found: list[dict[str, Any]] = []
    if not ids or limit <= 0:
        return found
    wanted = set(actions) if actions is not None else None
    columns = list(dict.fromkeys([*fields, "subject_type", "action"]))
    for page in _listing_pages(ids, max(limit, PAGE)):
        for row in AuditEntry.objects.filter(id__in=page).order_by("-seq").values(*columns):
            if subject_type is not None and row["subject_type"] != subject_type:
                continue
            if wanted is not None and row["action"] not in wanted:
                continue
            found.append({name: row[name] for name in fields})
            if len(found) >= limit:
                return found
    return found


# Entry ids per step of ``newest_listed``: one query per page, well under SQLite's parameter limit.
PAGE = 500


def _listing_pages(ids: list[str], page: int) -> Iterator[list[int]]:
    """Entry ids that listed one of ``ids``, newest first, in pages: first the result rows after the
    head (by entry), then ``ListedSubject`` (by person). An entry naming two of the ids comes once."""
    through = indexed_through()
    recent = sorted(
        set(
            AuditResultSubject.objects.filter(entry_id__gt=through, subject_id__in=ids).values_list(
                "entry_id", flat=True
            )
        ),
        reverse=True,
    )
    for start in range(0, len(recent), page):
        yield recent[start : start + page]
    below = through + 1
    while True:
        rows = (
            ListedSubject.objects.filter(subject_id__in=ids, entry_id__lt=below)
            .order_by("-entry_id")
            .values_list("entry_id", flat=True)[:page]
        )
        found = sorted(set(rows), reverse=True)
        if not found:
            return
        yield found
        below = found[-1]


def first_unindexed_mismatch() -> int | None:
    """The first seq whose result rows and ``ListedSubject`` rows differ in number, among entries up
    to the head (chain verification; C-48). Two counts when nothing is wrong; the per-entry
    comparison runs only when they differ. Changing a row in place is refused by the append-only
    triggers, as for the result rows themselves."""
    results = AuditResultSubject._meta.db_table
    listed = ListedSubject._meta.db_table
    entries = AuditEntry._meta.db_table
    through = indexed_through()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {listed}")  # noqa: S608 (no input)
        listed_count = int(cursor.fetchone()[0])
        cursor.execute(f"SELECT COUNT(*) FROM {results} WHERE entry_id <= %s", [through])  # noqa: S608
        if int(cursor.fetchone()[0]) == listed_count:
            return None
        cursor.execute(
            f"SELECT MIN(e.seq) FROM {entries} e "  # noqa: S608 (no input)
            f"LEFT JOIN (SELECT entry_id, COUNT(*) AS n FROM {results} WHERE entry_id <= %s "
            "GROUP BY entry_id) r ON r.entry_id = e.id "
            f"LEFT JOIN (SELECT entry_id, COUNT(*) AS n FROM {listed} GROUP BY entry_id) l "
            "ON l.entry_id = e.id "
            "WHERE COALESCE(r.n, 0) <> COALESCE(l.n, 0)",
            [through],
        )
        found = cursor.fetchone()[0]
        if found is None:  # every entry matches, so a row points at no entry: report the head's entry
            cursor.execute(f"SELECT COALESCE(MAX(seq), 1) FROM {entries} WHERE id <= %s", [through])  # noqa: S608
            found = cursor.fetchone()[0]
    return int(found)
