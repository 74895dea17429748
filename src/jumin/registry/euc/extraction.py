"""The EUC data source (standard 10.1-a) and the extraction itself (10.1-b).

The source reads committed data only: the current snapshot of each person (``Resident.current``) or,
for the history scope, every snapshot of a committed change. Drafts (仮登録) are never read. The
除票データベース scope reads the archive's own copies instead (``ArchivedSnapshot``: the 除票 row of
each entry not purged), rebuilt from the copy's JSON. The card-history scope reads one row per
``CardEvent``, joined with the person's current row. Rows stream in chunks; per chunk one query adds
each of what the definition reads besides the row (program flags, card status, the 世帯 as it is now,
the latest 戸籍附票記載事項通知) and one the 支援措置 marks (``restrictions.marks_of_people``, as the
search does): people under a 支援措置 are left out and only counted (standard 3.1-f; docs/euc.md).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from jumin.domain import recorded_dates
from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentStatus
from jumin.registry.cards import CardStatus, card_states
from jumin.registry.euc.catalogue import (
    AGE,
    AGE_BAND,
    BECAME_RESIDENT_COLUMN,
    BIRTH_DATE_COLUMN,
    CARD_EVENT_PREFIX,
    HOUSEHOLD_HEAD_NAME,
    HOUSEHOLD_HEAD_NAME_THEN,
    HOUSEHOLD_MEMBERS,
    HOUSEHOLD_THEN_SOURCES,
    RESIDENT_YEARS,
    STAY_DAYS_LEFT,
    EucItem,
    ItemType,
    age_band,
    full_name,
)
from jumin.registry.euc.definition import (
    Aggregate,
    Condition,
    ConditionGroup,
    Definition,
    Function,
    Mode,
    Operator,
    Scope,
    ordering,
)
from jumin.registry.euc.households_then import HouseholdThen, households_then
from jumin.registry.euc.sql_computed import computed_condition
from jumin.registry.models import (
    CardEvent,
    Change,
    ChangeState,
    Household,
    ProgramRecord,
    ResidentSnapshot,
)
from jumin.registry.models_fuhyo import FuhyoNoticeOutbox
from jumin.registry.models_removed_archive import ArchivedSnapshot
from jumin.registry.restrictions import marks_of_people

CHUNK = 2000


@dataclass(frozen=True)
class Total:
    """One group of a totals output: its values of the grouping items, its row count, its functions."""

    keys: tuple[str, ...]
    count: int
    values: tuple[str, ...] = ()


@dataclass
class Extraction:
    """What a run found: rows (normalised text per item key) or totals, and who was listed or left out."""

    rows: list[dict[str, str]] = field(default_factory=list)
    totals: list[Total] = field(default_factory=list)
    atena_numbers: list[str] = field(default_factory=list)
    excluded_count: int = 0


def _scope_filter(scope: Scope) -> Q:
    # A person moved to the 除票データベース (``Resident.archive_entry``) is read there (Scope.ARCHIVE),
    # never from the live rows the move left in place until the purge: not as a 除票, not in 履歴
    # (standard 1.1.5-e; docs/euc.md).
    committed = Q(change__state=ChangeState.COMMITTED, resident__archive_entry__isnull=True)
    if scope is Scope.HISTORY:
        return committed
    current = committed & Q(current_of__isnull=False, archive_entry__isnull=True)
    if scope is Scope.CURRENT:
        return current & ~Q(status=ResidentStatus.REMOVED)
    if scope is Scope.REMOVED:
        return current & Q(status=ResidentStatus.REMOVED)
    return current


def _sql_condition(condition: Condition, path: str = "", reference: date | None = None) -> Q | None:
    """A database condition that keeps every row the Python test accepts (it may keep more), or None.

    Plain columns (``path`` leads from the rows read to the snapshot), and 年齢, 年齢階級, program flags
    and 世帯人数 (``sql_computed``); digits of plain columns are not compared for order in SQL (Python
    orders them as numbers).
    """
    item, op, values = condition.item, condition.operator, condition.values
    if ":" in item.source:
        return computed_condition(condition, path, reference)
    column = f"{path}{item.source}"
    if item.item_type is ItemType.FLAG:
        return Q(**{column: values[0] == "1"}) if op is Operator.EQ else None
    if op is Operator.EMPTY:
        if item.item_type is ItemType.DATE or item.source in _NUMBER_COLUMNS:
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


def _group_filter(group: ConditionGroup, path: str = "", reference: date | None = None) -> Q | None:
    """A database condition keeping every row the group accepts (maybe more), or None if SQL cannot help.

    AND: the parts SQL can answer, AND-ed (a part it cannot answer keeps every row). OR: only when SQL
    can answer every member, since one unanswerable member may accept any row.
    """
    parts = [
        *(_sql_condition(condition, path, reference) for condition in group.conditions),
        *(_group_filter(subgroup, path, reference) for subgroup in group.groups),
    ]
    if not parts:
        return None
    known = [part for part in parts if part is not None]
    if group.combine_or:
        if len(known) < len(parts):
            return None
        either = Q()
        for part in known:
            either |= part
        return either
    if not known:
        return None
    both = Q()
    for part in known:
        both &= part
    return both


def prefilter(definition: Definition, path: str = "") -> Q:
    """What SQL can narrow by, so a run need not read the whole scope; Python still applies every
    condition afterwards (one meaning of every operator on every engine). ``path`` leads to the
    snapshot's columns from the rows read (``resident__current__`` for card events)."""
    return _group_filter(definition.where, path, definition.reference_date) or Q()


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


def _chunked(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _live_rows(definition: Definition, columns: list[str]) -> Iterator[dict[str, Any]]:
    rows = (
        ResidentSnapshot.objects.filter(_scope_filter(definition.scope) & prefilter(definition))
        .order_by("id")
        .values(
            "id", "resident_id", "household_id", "change_id", "resident__atena_number", "foreign", *columns
        )
    )
    yield from rows.iterator(chunk_size=CHUNK)


_EVENT_PATH = "resident__current__"
_EVENT_FIELDS = ("card_kind", "event", "event_date", "expiry_date")


def _card_event_rows(definition: Definition, columns: list[str]) -> Iterator[dict[str, Any]]:
    """One row per card event, in the order recorded, with the person's current committed row (not
    one in the 除票データベース); each event's own items are ``event:<field>`` keys."""
    events = (
        CardEvent.objects.filter(
            Q(resident__current__isnull=False, resident__archive_entry__isnull=True)
            & prefilter(definition, _EVENT_PATH)
        )
        .order_by("recorded_at", "id")
        .values(
            "resident_id",
            "resident__atena_number",
            *(f"{_EVENT_PATH}{column}" for column in ("household_id", "change_id", "foreign", *columns)),
            *_EVENT_FIELDS,
        )
    )
    for event in events.iterator(chunk_size=CHUNK):
        row = {key.removeprefix(_EVENT_PATH): value for key, value in event.items()}
        row.update({f"{CARD_EVENT_PREFIX}{field}": event[field] for field in _EVENT_FIELDS})
        yield row


# Columns of other tables the catalogue reads through the snapshot's relations (live rows join them).
_RELATED = {
    "household__number": ("household", Household, "number"),
    "change__reason": ("change", Change, "reason"),
    "change__change_date": ("change", Change, "change_date"),
}


def _archived_rows(columns: list[str]) -> Iterator[dict[str, Any]]:
    """The 除票 row of each 除票データベース entry not purged, rebuilt from the archive's JSON copy.

    The copy is the serialized ``ResidentSnapshot``: its relations are ids, so 世帯番号 and the
    異動 columns are looked up per chunk, as the live query joins them.
    """
    copies = (
        ArchivedSnapshot.objects.filter(
            entry__purged_at__isnull=True, history_no=F("entry__through_history_no")
        )
        .order_by("id")
        .values_list("resident_id", "entry__atena_number", "row")
    )
    for chunk in _chunked(
        {"resident_id": r, "resident__atena_number": a, "row": row} for r, a, row in copies.iterator(CHUNK)
    ):
        fields = [json.loads(copy["row"])[0]["fields"] for copy in chunk]
        related = _related_values(fields, columns)
        for copy, stored in zip(chunk, fields, strict=True):
            row = {
                "resident_id": copy["resident_id"],
                "resident__atena_number": copy["resident__atena_number"],
                "household_id": stored["household"],
                "change_id": stored.get("change"),
                "foreign": stored.get("foreign"),
            }
            for column in columns:
                if column in _RELATED:
                    relation, _model, _attr = _RELATED[column]
                    row[column] = related[column].get(stored[relation])
                else:
                    row[column] = stored.get(column)
            yield row


def _related_values(fields: list[dict[str, Any]], columns: list[str]) -> dict[str, dict[int, Any]]:
    """For each related column asked for, its value per related id, one query per column."""
    found: dict[str, dict[int, Any]] = {}
    for column in columns:
        if column not in _RELATED:
            continue
        relation, model, attr = _RELATED[column]
        ids = {stored[relation] for stored in fields}
        found[column] = dict(model._default_manager.filter(pk__in=ids).values_list("pk", attr))
    return found


def _chunks(definition: Definition, columns: list[str]) -> Iterator[list[dict[str, Any]]]:
    if definition.scope is Scope.ARCHIVE:
        return _chunked(_archived_rows(columns))
    if definition.scope is Scope.CARD_EVENTS:
        return _chunked(_card_event_rows(definition, columns))
    return _chunked(_live_rows(definition, columns))


def _years(row: dict[str, Any], column: str, reference: date | None) -> int | None:
    """Full years from a stored date (和暦, 西暦 or 不詳) to the reference date: 満年齢 from 生年月日,
    years since 住民となった日; None when unknown or still to come."""
    stored = row.get(column)
    if reference is None or not isinstance(stored, dict):
        return None
    try:
        return recorded_dates.age_on(recorded_dates.from_json(stored), reference)
    except DomainError:  # a stored date that cannot be read gives no age, never a guessed one
        return None


def _stay_days_left(row: dict[str, Any], reference: date | None) -> str:
    """Days from the reference date to 在留期間等の満了の日, 0 once it has passed; empty without one."""
    expiry = (row["foreign"] or {}).get("stay_expiry_date")
    if reference is None or not expiry:
        return ""
    try:
        return str(max(0, (date.fromisoformat(str(expiry)) - reference).days))
    except ValueError:  # a stored value that is no day gives nothing, never a guess
        return ""


@dataclass(frozen=True)
class HouseholdNow:
    """A 世帯 as it is now: the 世帯主's name and the number of its members not removed."""

    head_name: str = ""
    members: int = 0


def households_now(household_ids: set[int]) -> dict[int, HouseholdNow]:
    """Each 世帯's current members (current committed rows, not removed), in one query."""
    heads: dict[int, str] = {}
    counts: dict[int, int] = {}
    rows = ResidentSnapshot.objects.filter(
        household_id__in=household_ids, current_of__isnull=False, current_of__archive_entry__isnull=True
    ).exclude(status=ResidentStatus.REMOVED)
    for household_id, is_head, surname, given_name in rows.values_list(
        "household_id", "is_head", "surname", "given_name"
    ):
        counts[household_id] = counts.get(household_id, 0) + 1
        if is_head:
            heads[household_id] = full_name(surname, given_name)
    return {key: HouseholdNow(heads.get(key, ""), count) for key, count in counts.items()}


def latest_fuhyo_notices(atena_numbers: list[str]) -> dict[str, dict[str, Any]]:
    """The latest 戸籍附票記載事項通知 the registry made for each person (one query)."""
    rows = (
        FuhyoNoticeOutbox.objects.filter(atena_number__in=atena_numbers)
        .order_by("id")
        .values("atena_number", "created_at", "destination_code", "sent_at")
    )
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        created = row["created_at"]
        latest[row["atena_number"]] = {
            "created_at": timezone.localdate(created) if created else None,
            "destination_code": row["destination_code"],
            "sent_at": row["sent_at"] is not None,
        }
    return latest


@dataclass(frozen=True)
class _Related:
    """What a chunk's rows read besides their own columns."""

    flags: dict[tuple[int, str], bool]
    cards: dict[tuple[int, str], tuple[CardStatus, date | None]]
    reference: date | None
    households: dict[int, HouseholdNow] = field(default_factory=dict)
    households_then: dict[tuple[int, int], HouseholdThen] = field(default_factory=dict)
    fuhyo: dict[str, dict[str, Any]] = field(default_factory=dict)


def _value(item: EucItem, row: dict[str, Any], related: _Related) -> str:
    kind, _, key = item.source.partition(":")
    if kind == "foreign" and key:
        return _text((row["foreign"] or {}).get(key))
    if kind == "program" and key:
        return _text(related.flags.get((row["resident_id"], key), False))
    if kind == "card" and key:
        card_kind, _, part = key.partition(":")
        status, expiry = related.cards.get((row["resident_id"], card_kind), (CardStatus.NONE, None))
        return status.name.lower() if part == "status" else _text(expiry)
    if kind == "event":
        return _text(row[item.source])
    if item.source in HOUSEHOLD_THEN_SOURCES:
        then = related.households_then.get((row["household_id"], row["change_id"]), HouseholdThen())
        return then.head_name if item.source == HOUSEHOLD_HEAD_NAME_THEN else str(then.members)
    if kind == "household":
        household = related.households.get(row["household_id"], HouseholdNow())
        return household.head_name if item.source == HOUSEHOLD_HEAD_NAME else str(household.members)
    if kind == "fuhyo":
        return _text(related.fuhyo.get(row["resident__atena_number"], {}).get(key))
    if item.source == STAY_DAYS_LEFT:
        return _stay_days_left(row, related.reference)
    if item.source in (AGE, AGE_BAND, RESIDENT_YEARS):
        column = BECAME_RESIDENT_COLUMN if item.source == RESIDENT_YEARS else BIRTH_DATE_COLUMN
        years = _years(row, column, related.reference)
        if years is None:
            return ""
        return age_band(years) if item.source == AGE_BAND else str(years)
    return _text(row[item.source])


def _natural(value: str) -> tuple[int, int, str]:
    """Group order: leading digits as a number (年齢階級 「5～9歳」 before 「10～14歳」), empty last."""
    if not value:
        return (2, 0, "")
    digits = re.match(r"\d+", value)
    return (0, int(digits.group()), value) if digits else (1, 0, value)


def _function(aggregate: Aggregate, rows: list[dict[str, str]]) -> str:
    texts = [values[aggregate.item.key] for values in rows if values[aggregate.item.key] != ""]
    if aggregate.function is Function.COUNT:
        return str(len(texts))
    if not texts:
        return ""
    numbers = [int(text) for text in texts]
    if aggregate.function is Function.SUM:
        return str(sum(numbers))
    if aggregate.function is Function.AVG:
        return f"{fmean(numbers):.1f}"
    return str(min(numbers) if aggregate.function is Function.MIN else max(numbers))


def totals(definition: Definition, matched: list[dict[str, str]]) -> list[Total]:
    """件数 and the functions per group of the grouping items (one group, the whole, without any)."""
    groups: dict[tuple[str, ...], list[dict[str, str]]] = {}
    for values in matched:
        groups.setdefault(tuple(values[item.key] for item in definition.group_by), []).append(values)
    return [
        Total(keys, len(rows), tuple(_function(aggregate, rows) for aggregate in definition.aggregates))
        for keys, rows in sorted(groups.items(), key=lambda group: [_natural(v) for v in group[0]])
    ]


def _columns(referenced: tuple[EucItem, ...]) -> list[str]:
    columns = {i.source for i in referenced if ":" not in i.source}
    if any(i.source in (AGE, AGE_BAND) for i in referenced):
        columns.add(BIRTH_DATE_COLUMN)
    if any(i.source == RESIDENT_YEARS for i in referenced):
        columns.add(BECAME_RESIDENT_COLUMN)
    return sorted(columns - {"resident__atena_number"})


def extract(definition: Definition) -> Extraction:
    """Run a checked definition over committed data; the caller has authorised every item it names."""
    referenced = definition.referenced()
    columns = _columns(referenced)
    programs = {i.source.partition(":")[2] for i in referenced if i.source.startswith("program:")}
    reads_cards = any(i.source.startswith("card:") for i in referenced)
    reads_households = any(i.source in (HOUSEHOLD_HEAD_NAME, HOUSEHOLD_MEMBERS) for i in referenced)
    reads_fuhyo = any(i.source.startswith("fuhyo:") for i in referenced)
    reads_households_then = any(i.source in HOUSEHOLD_THEN_SOURCES for i in referenced)
    result = Extraction()
    matched: list[dict[str, str]] = []
    for chunk in _chunks(definition, columns):
        people = {row["resident__atena_number"]: (row["resident_id"], row["household_id"]) for row in chunk}
        marks = marks_of_people(people)
        resident_ids = sorted({row["resident_id"] for row in chunk})
        related = _Related(
            flags=_program_flags(resident_ids, programs),
            cards=card_states(resident_ids) if reads_cards else {},
            reference=definition.reference_date,
            households=households_now({row["household_id"] for row in chunk}) if reads_households else {},
            fuhyo=latest_fuhyo_notices(list(people)) if reads_fuhyo else {},
            households_then=households_then(chunk) if reads_households_then else {},
        )
        for row in chunk:
            values = {item.key: _value(item, row, related) for item in referenced}
            if not definition.accepts(values):
                continue
            number = row["resident__atena_number"]
            if marks[number].support_measure:
                result.excluded_count += 1
                continue
            values["_atena"] = number
            matched.append(values)
    for sort_key in reversed(definition.sort):  # stable sorts, last key first
        column, key = sort_key.item.key, ordering(sort_key.item)
        matched.sort(key=lambda values: key(values[column]), reverse=sort_key.descending)
    result.atena_numbers = list(dict.fromkeys(values["_atena"] for values in matched))
    if definition.mode is Mode.COUNT:
        result.totals = totals(definition, matched)
    else:
        result.rows = matched
    return result
