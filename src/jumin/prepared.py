"""Statements PostgreSQL plans once per connection: a driver cursor with server-side parameters.

Django's PostgreSQL cursors bind parameters on the client, so psycopg never prepares what they run
and the server plans every statement anew. The statements a search or an authorisation runs every
time (the grants, the audit append, the result rows, the search history) take longer to plan than
to run, so they go through a psycopg cursor that binds on the server and asks to prepare: planned on
the connection's first run, the plan reused after. Whether psycopg prepares at all is the
connection's ``prepare_threshold`` (settings ``JUMIN_DATABASE_PREPARE``; off for a pooler that cannot
keep prepared statements). Such statements cast every parameter whose type the server cannot infer.
On SQLite the caller keeps Django's cursor (nothing to prepare).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

__all__ = ["postgresql_prepared_cursor", "prepared_execute"]


def postgresql_prepared_cursor() -> tuple[Any, Callable[..., Any]]:
    """A psycopg cursor on Django's connection (in its transaction) and an ``execute`` that prepares."""
    import psycopg  # PostgreSQL nodes only

    connection.ensure_connection()
    cursor = psycopg.Cursor(connection.connection)
    return cursor, functools.partial(cursor.execute, prepare=True)


@contextmanager
def prepared_execute(django_cursor: Any) -> Iterator[tuple[Any, Callable[..., Any]]]:
    """(cursor, execute) for statements run on every request: prepared on PostgreSQL, Django's elsewhere.

    Errors are Django's either way (``connection.wrap_database_errors``).
    """
    if connection.vendor != "postgresql":
        yield django_cursor, django_cursor.execute
        return
    with connection.wrap_database_errors:
        cursor, execute = postgresql_prepared_cursor()
        try:
            yield cursor, _logged(execute) if connection.queries_logged else execute
        finally:
            cursor.close()


def _logged(execute: Callable[..., Any]) -> Callable[..., Any]:
    """``execute`` that records its statement as Django's debug cursor does, so statement counts
    (``CaptureQueriesContext``, DEBUG) see the prepared statements too."""

    def run(sql: str, params: Any = None) -> Any:
        started = time.monotonic()
        try:
            return execute(sql, params)
        finally:
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    return run
