"""``insert_objects``: ``bulk_create`` for the hot write paths, without its per-value SQL compilation.

Django's ``bulk_create`` compiles every value of every row into SQL (``field_as_sql``, ``prepare_value``,
placeholder and expression checks): at the prefecture and the national node that was a third of the CPU
of a received batch of 本人確認情報 updates (performance.md P5). The rows written here are plain
values, never expressions, so the statement is built once per model and row count and each value is
prepared by its field exactly as ``bulk_create`` prepares it (``pre_save`` then ``get_db_prep_save``:
sealed tokens, encrypted 個人番号, JSON, dates). What the caller sees afterwards is also the same: related
objects' keys are copied in first, and each object gets its primary key and is marked as saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper


def _columns(model: type[models.Model], with_pk: bool) -> list[models.Field[Any, Any]]:
    return [
        field
        for field in model._meta.concrete_fields
        if (with_pk or not field.primary_key) and not field.generated
    ]


def insert_objects(objs: Sequence[models.Model]) -> None:
    """Insert ``objs`` (all of one model, none saved yet) as ``bulk_create(objs)`` would, and set their keys.

    Objects whose primary key is unset get the database's (one multi-row ``INSERT … RETURNING`` per
    chunk of the backend's parameter limit); objects that carry one keep it (one ``executemany``).
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    if meta.parents or any(type(obj) is not model for obj in objs):
        raise TypeError("insert_objects takes objects of one concrete model without parent tables")
    for obj in objs:
        # The related objects' keys (e.g. a version's record saved just before), as bulk_create does.
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
    # The wrapper itself, not the ``connection`` proxy: each attribute read through the proxy is a
    # thread-local lookup, and the fields read the connection once per value.
    connection = connections[DEFAULT_DB_ALIAS]
    with_pk = [obj for obj in objs if obj.pk is not None]
    without_pk = [obj for obj in objs if obj.pk is None]
    if with_pk:
        _insert(connection, model, with_pk, _columns(model, with_pk=True), returning=False)
    if without_pk:
        fields = _columns(model, with_pk=False)
        size = max(1, connection.ops.bulk_batch_size(fields, without_pk))
        for start in range(0, len(without_pk), size):
            _insert(connection, model, without_pk[start : start + size], fields, returning=True)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


# Field classes (exactly these, not subclasses) whose value of the column's plain Python type, or None,
# ``get_db_prep_save`` returns unchanged: their ``pre_save`` reads the attribute and ``to_python`` of a
# str, int or bool is the value itself. Those values skip the field machinery, a third of the CPU of
# a received batch at the prefecture and the national node (performance.md P5).
_PLAIN_TYPES: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
}


def _plain_type(field: models.Field[Any, Any]) -> type | None:
    """The Python type whose values ``field`` stores unchanged, or None when each value goes through it."""
    if type(field) is models.ForeignKey:
        return _PLAIN_TYPES.get(type(field.target_field))
    return _PLAIN_TYPES.get(type(field))


def _insert(
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    objs: Sequence[models.Model],
    fields: list[models.Field[Any, Any]],
    *,
    returning: bool,
) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    plan = [(field, field.attname, _plain_type(field)) for field in fields]

    def prepared(obj: models.Model) -> list[Any]:
        row = []
        for field, attname, plain in plan:
            if plain is not None:
                value = getattr(obj, attname)
                if value is None or type(value) is plain:
                    row.append(value)
                    continue
            row.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
        return row

    rows = [prepared(obj) for obj in objs]
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if not returning:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES {row_marks}", rows)  # noqa: S608 (model names)
            return
        pk = model._meta.pk
        assert pk is not None
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES {', '.join([row_marks] * len(rows))} "  # noqa: S608 (model names)
            f"RETURNING {quote(pk.column)}",
            [value for row in rows for value in row],
        )
        keys = [row[0] for row in cursor.fetchall()]
    if len(keys) != len(objs):
        raise RuntimeError(f"insert of {len(objs)} {model._meta.label} rows returned {len(keys)} keys")
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key
