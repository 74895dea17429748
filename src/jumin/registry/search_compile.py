"""The search's conditions as SQL, compiled by the ORM once per shape of condition (P2).

A search's ``Q`` over ``ResidentSearchKey`` takes about 0.3 ms of CPU to build and compile through
the ORM, the largest fixed cost of a search after the statement itself. Two searches with the same
kinds of condition (the same lookups, nesting and types of value) compile to the same SQL text and
differ in their parameters only. So the text is kept per shape, and a later search of that shape
derives its parameters from the values directly, each through its field's own lookup
(``Lookup.process_rhs``: the field's preparation, LIKE escaping and wildcards), as the ORM does.

A shape is kept only when, on its first compilation, the parameters derived that way equal the
ORM's: anything the derivation does not reproduce (a boolean compared without a parameter, a
lookup it does not know) stays on the ORM's path for good; ``tests/registry/test_search_compile.py``
compares both paths. ``in`` and ``None`` never take the fast path: their SQL depends on the values
themselves.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date
from enum import Enum
from typing import Any

from django.db import connection
from django.db.models import Field, Q
from django.db.models.sql.datastructures import Join

from jumin.registry.models import ResidentSearchKey

__all__ = ["compiled_where", "orm_compiled_where"]

#: Lookups whose SQL text does not depend on the value (``in`` does: one placeholder per value).
_FAST_LOOKUPS = frozenset({"exact", "gt", "gte", "lt", "lte", "range", "startswith", "contains"})
_SCALARS = (str, int, bool, date, Enum)
#: Shapes are few (the kinds of condition a clerk combines); the bound only guards against misuse.
_MAX_SHAPES = 4096

Compiled = tuple[dict[str, str], str, list[Any]]
_shapes: dict[Hashable, tuple[dict[str, str], str] | None] = {}


def orm_compiled_where(q: Q) -> Compiled:
    """``q`` over the key table, built and compiled by the ORM: (joins, WHERE, params).

    The joins (table → JOIN clause) are those the conditions themselves need: 宛名番号 and 世帯番号
    name the resident and the household, under the tables' own names, as the hit statement joins them.
    """
    query = ResidentSearchKey.objects.filter(q).query
    compiler = query.get_compiler(connection=connection)
    joins: dict[str, str] = {}
    for alias, table in query.alias_map.items():
        if not isinstance(table, Join):
            continue
        sql, join_params = table.as_sql(compiler, connection)
        if alias != table.table_name or join_params:  # a foreign key join has neither
            raise ValueError(f"search: unexpected join {alias}")
        joins[alias] = sql
    where, params = compiler.compile(query.where)
    return joins, where, list(params)


def compiled_where(q: Q) -> Compiled:
    """As ``orm_compiled_where``, with the SQL text of a shape seen before and the parameters of ``q``."""
    shape = _shape(q)
    known = _shapes.get(shape) if shape is not None else None
    if known is not None:
        joins, where = known
        return dict(joins), where, _parameters(q)  # a copy: the kept one serves every later search
    joins, where, params = orm_compiled_where(q)
    if shape is not None and shape not in _shapes and len(_shapes) < _MAX_SHAPES:
        # Keep the text only if the derivation reproduces the ORM's parameters for this shape.
        _shapes[shape] = (joins, where) if _parameters(q) == params else None
    return joins, where, params


def _shape(q: Q) -> Hashable | None:
    """What the SQL text depends on: connectors, negations, lookups and value types (None: not cacheable)."""
    children: list[Hashable] = []
    for child in q.children:
        if isinstance(child, Q):
            nested = _shape(child)
            if nested is None:
                return None
            children.append(nested)
            continue
        key, value = _leaf(child)
        lookup = _split(key)[1]
        if lookup not in _FAST_LOOKUPS:
            return None
        if lookup == "range":
            if not (isinstance(value, tuple | list) and len(value) == 2):
                return None
            kinds: Hashable = tuple(type(item).__name__ for item in value)
            if not all(isinstance(item, _SCALARS) for item in value):
                return None
        elif isinstance(value, _SCALARS):
            kinds = type(value).__name__
        else:
            return None
        children.append((key, kinds))
    return (connection.vendor, q.connector, q.negated, tuple(children))


def _parameters(q: Q) -> list[Any]:
    """The parameters of ``q``'s leaves in the order the ORM's WHERE takes them (depth first)."""
    params: list[Any] = []
    for child in q.children:
        if isinstance(child, Q):
            params.extend(_parameters(child))
            continue
        key, value = _leaf(child)
        path, lookup = _split(key)
        field = _field(path)
        lookup_class = field.get_lookup(lookup)
        if lookup_class is None:
            raise ValueError(f"search: no lookup {lookup} on {path}")
        # process_rhs needs no compiler for plain values (only expressions are compiled).
        column = field.get_col(field.model._meta.db_table)
        if lookup == "exact" and isinstance(value, bool) and _bare_boolean(column):
            continue  # the ORM writes WHERE "flag" / NOT "flag": no parameter (``Exact.as_sql``)
        compiler: Any = None
        params.extend(lookup_class(column, value).process_rhs(compiler, connection)[1])
    return params


def _leaf(child: Any) -> tuple[str, Any]:
    """A ``Q`` child that is not a ``Q``: its (lookup key, value) pair."""
    key, value = child
    return str(key), value


def _bare_boolean(column: Any) -> bool:
    return bool(getattr(column, "conditional", False)) and bool(
        connection.ops.conditional_expression_supported_in_where_clause(column)
    )


def _split(key: str) -> tuple[str, str]:
    """``resident__atena_number`` → (path, "exact"); ``full_key__startswith`` → (path, "startswith")."""
    path, _, last = key.rpartition("__")
    if path and last in _FAST_LOOKUPS | {"in", "isnull", "iexact", "icontains", "istartswith"}:
        return path, last
    return key, "exact"


def _field(path: str) -> Field[Any, Any]:
    """The field a condition's path names: a key-table column, or one of a related table's."""
    model: Any = ResidentSearchKey
    parts = path.split("__")
    for relation in parts[:-1]:
        model = model._meta.get_field(relation).related_model
    found: Field[Any, Any] = model._meta.get_field(parts[-1])
    return found
