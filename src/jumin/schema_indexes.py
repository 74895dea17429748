"""Dropping a redundant foreign-key index in a migration without rebuilding the table.

Django's ``AlterField(db_index=False)`` rebuilds the whole table on SQLite, which drops the table's
triggers (the audit tables' append-only guards among them). These helpers drop or recreate only the
index, found by introspection, so they work whatever name the engine gave it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_column_index", "drop_column_index"]


def _plain_indexes(schema_editor: Any, table: str, column: str) -> list[str]:
    """Names of the non-unique, non-primary indexes on exactly ``column`` of ``table``."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["index"] and not info["unique"] and not info["primary_key"] and info["columns"] == [column]
    ]


def drop_column_index(schema_editor: Any, table: str, column: str) -> None:
    """Drop the plain index(es) on ``table.column`` (nothing else of the table changes)."""
    quote = schema_editor.quote_name
    for name in _plain_indexes(schema_editor, table, column):
        schema_editor.execute(f"DROP INDEX {quote(name)}")


def create_column_index(schema_editor: Any, table: str, column: str, name: str) -> None:
    """Create a plain index ``name`` on ``table.column`` unless one exists (the reverse of the drop)."""
    if _plain_indexes(schema_editor, table, column):
        return
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(table)} ({quote(column)})")
