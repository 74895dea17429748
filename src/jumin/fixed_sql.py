"""Fixed-shape statements compiled by the ORM once per process, then run with fresh parameters (P3).

Building and compiling a queryset costs about 0.3 ms of CPU, more than a small indexed statement
takes to run; a 転入's commit runs about thirty of them, each the same SQL text every time with other
values. So a caller names the statement's shape (a key: what the text depends on, such as the
number of values in an ``IN``) and lists the parameters it expects the ORM to produce, in the
ORM's order, already converted for the database (``db_value``). The first time, the ORM compiles
the statement; its text is kept for the key only if the ORM's parameters equal the caller's list,
so a wrong list or a shape the key does not capture is never reused: that key stays on the ORM's
path for good. Later runs skip the ORM and execute the kept text (on PostgreSQL through
``jumin.prepared``: the server plans it once per connection as well).

``read`` hands back rows as the database returns them: a read whose columns the ORM would convert is
kept only when the caller converts them itself. ``instances`` gives model objects through the ORM's own
converters and ``Model.from_db``. ``tests/test_fixed_sql.py`` checks both paths.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, QuerySet
from django.db.models.query import ModelIterable
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.subqueries import DeleteQuery, UpdateQuery
from django.db.transaction import TransactionManagementError

from jumin.prepared import prepared_execute

__all__ = ["db_value", "deletion", "instances", "is_kept", "read", "reading", "run", "updating"]

M = TypeVar("M", bound=Model)

#: Shapes are few (fixed statements of the commit path); the bound only guards against misuse.
_MAX_SHAPES = 512

#: A compilation: the SQL text, the ORM's parameters and whether the text may be kept for the shape.
Compiled = tuple[str, list[Any], bool]
_texts: dict[Hashable, str | None] = {}


def db_value(model: type[Model], name: str, value: Any) -> Any:
    """``value`` of the field ``name`` as the ORM hands it to the database (dates, times, enums)."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field)  # concrete columns only
    return field.get_db_prep_save(value, connection)


def reading(build: Callable[[], QuerySet[Any]], *, caller_converts: bool = False) -> Callable[[], Compiled]:
    """The compilation of a read; kept only when its columns need no conversion (ints and text), or
    when the caller converts each value itself (``caller_converts``: e.g. ``int()`` of an aggregate)."""

    def compile_read() -> Compiled:
        compiler = build().query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        converted = compiler.get_converters([column for column, _, _ in compiler.select])
        return sql, list(params), caller_converts or not converted

    return compile_read


def updating(build: Callable[[], QuerySet[Any]], **values: Any) -> Callable[[], Compiled]:
    """The compilation of ``build().update(**values)`` (one table, no related updates)."""

    def compile_update() -> Compiled:
        query = cast(UpdateQuery, build().query.chain(UpdateQuery))
        query.add_update_values(values)
        sql, params = query.get_compiler(connection=connection).as_sql()
        return sql, list(params), not query.related_updates

    return compile_update


def deletion(build: Callable[[], QuerySet[Any]]) -> Callable[[], Compiled]:
    """The compilation of ``build()``'s rows deleted in one statement: only for a model nothing
    refers to and no signal watches (what Django's own fast delete requires; the caller's word)."""

    def compile_delete() -> Compiled:
        query = build().query.chain(DeleteQuery)
        sql, params = query.get_compiler(connection=connection).as_sql()
        return sql, list(params), True

    return compile_delete


def run(key: Hashable, params: Sequence[Any], compile_statement: Callable[[], Compiled]) -> int:
    """Execute the statement (no result rows); the number of rows it changed."""
    compiled = _text(key, params, compile_statement)
    if compiled is None:
        return 0
    sql, bound = compiled
    with connection.cursor() as django_cursor, prepared_execute(django_cursor) as (cursor, execute):
        execute(sql, bound)
        return int(cursor.rowcount)


def read(
    key: Hashable, params: Sequence[Any], compile_statement: Callable[[], Compiled]
) -> list[tuple[Any, ...]]:
    """Execute the read and return its rows as the database gives them."""
    compiled = _text(key, params, compile_statement)
    if compiled is None:
        return []
    sql, bound = compiled
    _refuse_lock_outside_transaction(sql)
    with connection.cursor() as django_cursor, prepared_execute(django_cursor) as (cursor, execute):
        execute(sql, bound)
        return [tuple(row) for row in cursor.fetchall()]


def is_kept(key: Hashable) -> bool:
    """Whether the text of this shape is kept (its later runs skip the ORM)."""
    if _texts.get((connection.vendor, key)) is not None:
        return True
    return _readers.get(connections[DEFAULT_DB_ALIAS], {}).get(key) is not None


@dataclass(frozen=True)
class _Reader:
    """A kept read of model instances: its text, and the compiler whose converters its rows go through."""

    sql: str
    compiler: SQLCompiler
    converters: dict[int, Any]
    model: type[Model]
    init_list: list[str]


#: Per connection (each thread has its own): a compiler's converters are given its connection.
_readers: WeakKeyDictionary[BaseDatabaseWrapper, dict[Hashable, _Reader | None]] = WeakKeyDictionary()


def instances(key: Hashable, params: Sequence[Any], build: Callable[[], QuerySet[M]]) -> list[M]:
    """``list(build())`` for a read of one model's rows (no select_related, annotations, prefetch or
    objects the manager already knows), the SQL text compiled once for the key: each row goes through
    the same converters (dates, sealed and encrypted columns) and ``Model.from_db`` as the ORM's."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    kept = _readers.setdefault(wrapper, {})
    if key in kept:
        reader = kept[key]
        if reader is None:
            return list(build())
        _refuse_lock_outside_transaction(reader.sql)
        with wrapper.cursor() as django_cursor, prepared_execute(django_cursor) as (cursor, execute):
            execute(reader.sql, list(params))
            rows: Any = cursor.fetchall()
        if reader.converters:
            rows = reader.compiler.apply_converters(rows, reader.converters)
        return [reader.model.from_db(wrapper.alias, reader.init_list, row) for row in rows]  # type: ignore[misc]
    queryset = build()
    try:
        reader = _reader(queryset, params)
    except EmptyResultSet:
        return []  # an empty ``IN``: no statement, as the ORM
    if len(kept) < _MAX_SHAPES:
        kept[key] = reader
    return list(queryset)


def _reader(queryset: QuerySet[Any], params: Sequence[Any]) -> _Reader | None:
    """The reader of ``queryset`` if ``Model.from_db`` of its whole rows is all the ORM would do."""
    plain = (
        queryset._iterable_class is ModelIterable
        and not getattr(queryset, "_prefetch_related_lookups", True)
        and not getattr(queryset, "_known_related_objects", True)
        and not queryset.query.select_related
        and not queryset.query.annotations
        and not queryset.query.extra
    )
    if not plain:
        return None
    compiler = queryset.query.get_compiler(connection=connection)
    sql, orm_params = compiler.as_sql()
    info = compiler.klass_info
    if list(orm_params) != list(params) or info is None or info.get("related_klass_infos"):
        return None
    selected = info["select_fields"]
    if selected != list(range(len(compiler.select))):  # exactly the model's columns, in order
        return None
    columns = [column for column, _, _ in compiler.select]
    return _Reader(
        sql=sql,
        compiler=compiler,
        converters=compiler.get_converters(columns),
        model=info["model"],
        init_list=[column.target.attname for column in columns],
    )


def _refuse_lock_outside_transaction(sql: str) -> None:
    """The ORM's own guard, which a kept text no longer passes through: a row lock outside a transaction
    would end at once (Django writes FOR UPDATE only where the database takes it)."""
    if " FOR UPDATE" in sql and connection.get_autocommit():
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")


def _text(
    key: Hashable, params: Sequence[Any], compile_statement: Callable[[], Compiled]
) -> tuple[str, list[Any]] | None:
    """The text and parameters to run; None when the ORM finds the statement matches no row (an
    empty ``IN``), which it then leaves out as the ORM does."""
    shape = (connection.vendor, key)
    text = _texts.get(shape)
    if text is not None:
        return text, list(params)
    try:
        sql, orm_params, keepable = compile_statement()
    except EmptyResultSet:
        return None
    if shape in _texts:  # a shape not kept
        return sql, orm_params
    if len(_texts) < _MAX_SHAPES:
        _texts[shape] = sql if keepable and orm_params == list(params) else None
    return sql, orm_params
