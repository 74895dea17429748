"""The EUC data source (standard 10.1-a) and the extraction itself (10.1-b).

The source reads committed data only: the current snapshot of each person (``Resident.current``) or,
for the history scope, every snapshot of a committed change. Drafts (仮登録) are never read. Rows
stream in chunks; per chunk one query adds the program flags and one the 支援措置 marks
(``restrictions.marks_of_people``, as the search does): people under a 支援措置 are left out and only
counted (standard 3.1-f; docs/euc.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q

from jumin.domain.resident import ResidentStatus
from jumin.registry.euc.catalogue import EucItem, ItemType
from jumin.registry.euc.definition import Condition, Definition, Mode, Operator, Scope
from jumin.registry.models import ChangeState, ProgramRecord, ResidentSnapshot
from jumin.registry.restrictions import marks_of_people

CHUNK = 2000


@dataclass
class Extraction:
    """What a run found: rows (normalised text per item key) or counts, and who was listed or left out."""

    rows: list[dict[str, str]] = field(default_factory=list)
    counts: list[tuple[str, int]] = field(default_factory=list)
    atena_numbers: list[str] = field(default_factory=list)
    excluded_count: int = 0


def _scope_filter(scope: Scope) -> Q:
    committed = Q(change__state=ChangeState.COMMITTED)
    if scope is Scope.HISTORY:
        return committed
    current = committed & Q(current_of__isnull=False)
    if scope is Scope.CURRENT:
        return current & ~Q(status=ResidentStatus.REMOVED)
    if scope is Scope.REMOVED:
        return current & Q(status=ResidentStatus.REMOVED)
    return current


def _sql_condition(condition: Condition) -> Q | None:
    """A database condition that keeps every row the Python test accepts (it may keep more), or None.

    Only plain columns; digits are not compared for order in SQL (Python orders them as numbers).
    """
    item, op, values = condition.item, condition.operator, condition.values
    column = item.source
    if ":" in column:
        return None
    if item.item_type is ItemType.FLAG:
        return Q(**{column: values[0] == "1"}) if op is Operator.EQ else None
    if op is Operator.EMPTY:
        if item.item_type is ItemType.DATE or column in _NUMBER_COLUMNS:
            return Q(**{f"{column}__isnull": True})
        return Q(**{column: ""})
    if op is Operator.EQ:
        return Q(**{column: values[0]}) if item.item_type is not ItemType.DIGITS else None
    if op is Operator.IN:
        return Q(**{f"{column}__in": values}) if item.item_type is not ItemType.DIGITS else None
    if op is Operator.PREFIX and item.item_type is ItemType.TEXT:
        return Q(**{f"{column}__startswith": values[0]})
    if item.item_type is ItemType.DATE and op in _DATE_LOOKUPS:
        lookup = _DATE_LOOKUPS[op]
        return Q(**{f"{column}__{lookup}": values if op is Operator.BETWEEN else values[0]})
    return None


_DATE_LOOKUPS = {Operator.LT: "lt", Operator.GT: "gt", Operator.BETWEEN: "range"}
# Integer columns: empty means NULL there, never "".
_NUMBER_COLUMNS = {"history_no"}


def prefilter(definition: Definition) -> Q:
    """The AND-ed conditions that SQL can narrow by, so a run need not read the whole scope.

    Python still applies every condition afterwards; OR definitions are not narrowed here.
    """
    q = Q()
    if definition.combine_or:
        return q
    for condition in definition.conditions:
        narrowing = _sql_condition(condition)
        if narrowing is not None:
            q &= narrowing
    return q


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _program_flags(resident_ids: list[int], programs: set[str]) -> dict[tuple[int, str], bool]:
    """The latest row per (person, program): enrolled or not (programs.py appends, never changes)."""
    if not programs:
        return {}
    latest: dict[tuple[int, str], bool] = {}
    rows = (
        ProgramRecord.objects.filter(resident_id__in=resident_ids, program__in=programs)
        .order_by("id")
        .values_list("resident_id", "program", "enrolled")
    )
    for resident_id, program, enrolled in rows:
        latest[(resident_id, program)] = enrolled
    return latest


def _chunks(definition: Definition, columns: list[str]) -> Iterator[list[dict[str, Any]]]:
    rows = (
        ResidentSnapshot.objects.filter(_scope_filter(definition.scope) & prefilter(definition))
        .order_by("id")
        .values("id", "resident_id", "household_id", "resident__atena_number", "foreign", *columns)
    )
    chunk: list[dict[str, Any]] = []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _value(item: EucItem, row: dict[str, Any], flags: dict[tuple[int, str], bool]) -> str:
    kind, _, key = item.source.partition(":")
    if kind == "foreign" and key:
        return _text((row["foreign"] or {}).get(key))
    if kind == "program" and key:
        return _text(flags.get((row["resident_id"], key), False))
    return _text(row[item.source])


def extract(definition: Definition) -> Extraction:
    """Run a checked definition over committed data; the caller has authorised every item it names."""
    referenced = definition.referenced()
    columns = sorted({i.source for i in referenced if ":" not in i.source} - {"resident__atena_number"})
    programs = {i.source.partition(":")[2] for i in referenced if i.source.startswith("program:")}
    result = Extraction()
    matched: list[dict[str, str]] = []
    for chunk in _chunks(definition, columns):
        people = {row["resident__atena_number"]: (row["resident_id"], row["household_id"]) for row in chunk}
        marks = marks_of_people(people)
        flags = _program_flags(sorted({row["resident_id"] for row in chunk}), programs)
        for row in chunk:
            values = {item.key: _value(item, row, flags) for item in referenced}
            if not definition.accepts(values):
                continue
            number = row["resident__atena_number"]
            if marks[number].support_measure:
                result.excluded_count += 1
                continue
            values["_atena"] = number
            matched.append(values)
    for sort_key in reversed(definition.sort):  # stable sorts, last key first
        column = sort_key.item.key
        matched.sort(key=lambda values: values[column], reverse=sort_key.descending)
    result.atena_numbers = list(dict.fromkeys(values["_atena"] for values in matched))
    if definition.mode is Mode.COUNT:
        group = definition.group_by
        tally = Counter(values[group.key] if group else "" for values in matched)
        result.counts = sorted(tally.items())
    else:
        result.rows = matched
    return result
