"""The rows of one chunk of an import file, built without the database (performance.md P1).

``prepare_chunk`` turns the raw lines of a chunk into the Resident, snapshot and search-key rows the
loader inserts; it touches no database connection, so the loader may run it in forked worker
processes (``registry.importer``). Ids come from the chunk's offset in the file; the household id of
each row is left to the loader (households span chunks), which fills it in with ``with_household``.
A bad line gives a ``ChunkRefusal`` that names only its line number.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from jumin.crypto.individual_number import BulkSealer
from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentStatus
from jumin.registry.import_programs import ProgramDatesRefused, program_rows
from jumin.registry.models import SearchKeyKind
from jumin.registry.search_keys import NAME_COLUMNS, name_entries, name_keys_of

LAYOUT_VERSION = 1
SEX_CODES = {"1": "male", "2": "female"}

SNAPSHOT_COLUMNS = (
    "id",
    "resident",
    "change",
    "history_no",
    "status",
    "kind",
    "surname",
    "given_name",
    "surname_kana",
    "given_name_kana",
    "kana_confirmed",
    "former_surname",
    "former_surname_kana",
    "alias",
    "alias_kana",
    "birth_date",
    "birth_sort_date",
    "sex",
    "household",
    "is_head",
    "relationship",
    "member_order",
    "postal_code",
    "address_code",
    "address",
    "katagaki",
    "previous_address",
    "became_resident_date",
    "became_resident_reason",
    "address_set_date",
    "honseki",
    "hittousha",
    "foreign",
    "juminhyo_code",
    "removal_reason",
    "removal_date",
    "programs",
    "individual_number",
    "individual_number_index",
    "planned_destination",
)


# Dates, 和暦 birth dates and program flags repeat across a population: each distinct value is
# validated and encoded once per load instead of once per person (performance.md P1).
_VALUE_CACHE = 1 << 16


@functools.lru_cache(maxsize=_VALUE_CACHE)
def _exact(iso: str) -> str:
    # The recorded_dates JSON of an exact day, built directly: json.dumps per date is a tenth of a load.
    return f'{{"kind": "gregorian", "date": "{date.fromisoformat(iso).isoformat()}"}}'


@functools.lru_cache(maxsize=_VALUE_CACHE)
def _wareki(items: tuple[tuple[str, Any], ...], key: tuple[Any, ...]) -> str:
    # ``key`` (the values with their types) only keeps equal values of different types apart.
    return json.dumps({"kind": "wareki", **dict(items)}, ensure_ascii=False)


def _typed(values: tuple[Any, ...]) -> tuple[Any, ...]:
    # A cache key that tells 1, 1.0 and True apart (they are equal, but encode differently).
    return (values, tuple(map(type, values)))


def _birth(record: dict[str, Any]) -> str:
    wareki = record.get("birth_date_wareki")
    if wareki:
        items = tuple(wareki.items())
        try:
            return _wareki(items, _typed(tuple(wareki.values())))
        except TypeError:  # an unhashable value (a list, an object): encoded as given, not cached
            return _wareki.__wrapped__(items, ())
    return _exact(record["birth_date"])


def _foreign(record: dict[str, Any]) -> dict[str, Any] | None:
    """The 外国人 items of a foreign resident's snapshot (None for a Japanese one)."""
    if record["resident_kind"] != "F":
        return None
    return {
        "nationality_code": record["nationality"],
        "category": record["foreign_category"],
        "alphabet_name": record.get("alphabet_name", ""),
        "residence_status": record.get("residence_status", ""),
        "period_of_stay": record.get("residence_period", ""),
        "stay_expiry_date": record.get("residence_expiry_date", ""),
        "residence_card_number": record.get("residence_card_number", ""),
        "special_permanent_resident_number": record.get("special_permanent_resident_certificate_number", ""),
    }


# The program flags of layout_version 1 (docs/import-layout.md §6.10).
PROGRAMS = ("nhi", "late_elderly", "long_term_care", "national_pension", "child_allowance", "voter")


_PROGRAM_FIELDS = tuple((name, f"program_{name}") for name in PROGRAMS)


class _Absent:
    """A program flag the row does not carry (it is left out of the JSON)."""


_ABSENT = _Absent()
_FLAG_ITEMS = tuple(field for _, field in _PROGRAM_FIELDS)
_NO_FLAGS = (_ABSENT,) * len(_FLAG_ITEMS)


@functools.lru_cache(maxsize=256)
def _programs_json(flags: tuple[Any, ...], key: tuple[Any, ...]) -> str:
    # ``key`` (the flags with their types) only keeps equal values of different types apart.
    return json.dumps(
        {name: flag for (name, _), flag in zip(_PROGRAM_FIELDS, flags, strict=True) if flag is not _ABSENT}
    )


def _programs(record: dict[str, Any]) -> str:
    flags = tuple(map(record.get, _FLAG_ITEMS, _NO_FLAGS))
    try:
        return _programs_json(flags, _typed(flags))
    except TypeError:  # an unhashable value: encoded as given, not cached
        return _programs_json.__wrapped__(flags, ())


def serial(number: str) -> int:
    """The serial part of a 宛名番号/世帯番号 (all but the check digit); 0 for a legacy non-numeric one."""
    return int(number[:-1]) if number[:-1].isdigit() else 0


_AT = {name: index for index, name in enumerate(SNAPSHOT_COLUMNS)}
_names_of = operator.itemgetter(*(_AT[name] for name in NAME_COLUMNS))
_ids_of = operator.itemgetter(_AT["resident"], _AT["id"], _AT["household"])
_FORMER_OR_ALIAS = (_AT["former_surname"], _AT["former_surname_kana"], _AT["alias"], _AT["alias_kana"])
_NAME_KIND = SearchKeyKind.NAME


def _search_keys(row: tuple[Any, ...], foreign: dict[str, Any] | None) -> list[tuple[Any, ...]]:
    """The search-key rows of one loaded person (standard 2.1.2, 2.1.3-a), from its snapshot row.

    The rows of ``key_tuples(facts_from_columns(…), name_entries(…))`` for a first snapshot (no past
    names or addresses), read from the row's positions: going through the general path was a third of
    a worker's time (performance.md P1). tests/registry/test_importer.py compares every key column of
    every loaded person with what ``rebuild_search_keys`` writes. ``foreign`` is the snapshot's
    外国人 items as a dict (its JSON column, not parsed back).
    """
    items = foreign or {}
    at = _AT
    tail = (
        row[at["birth_sort_date"]],
        row[at["sex"]],
        row[at["address_code"]] or "",
        row[at["address"]],
        row[at["status"]],
        row[at["juminhyo_code"]] or "",
        True,  # is_current_address
        row[at["katagaki"]] or "",
        row[at["relationship"]] or "",
        bool(row[at["kana_confirmed"]]),
        row[at["removal_reason"]] or "",
        str(items.get("residence_card_number") or ""),
        str(items.get("special_permanent_resident_number") or ""),
    )
    ids = _ids_of(row)
    if not any(row[index] for index in _FORMER_OR_ALIAS):
        surname, given_name, surname_kana, given_name_kana = _names_of(row)[:4]
        keys = name_keys_of(surname, given_name, surname_kana, given_name_kana)
        return [(*ids, _NAME_KIND, True, *keys, *tail)]
    rows = []
    for entry in name_entries(**dict(zip(NAME_COLUMNS, _names_of(row), strict=True))):
        keys = name_keys_of(entry.surname, entry.given_name, entry.surname_kana, entry.given_name_kana)
        # key_tuples: the 氏名 row always; a 旧氏 or 通称 row only when it yields a key.
        if entry.kind == _NAME_KIND or any(keys):
            rows.append((*ids, entry.kind, True, *keys, *tail))
    return rows


# Where the loader writes the household id into a prepared row (prepare_chunk leaves the 世帯番号 there).
SNAPSHOT_HOUSEHOLD = SNAPSHOT_COLUMNS.index("household")
KEY_HOUSEHOLD = 2  # KEY_COLUMNS: resident, snapshot, household, …


@dataclass(frozen=True, slots=True)
class LoadContext:
    """What every chunk of one load shares: the 異動, its time, the sealer and the first free ids."""

    change_id: int
    now: Any
    """The creation time of the Resident rows, as the database connection takes it."""
    sealer: BulkSealer
    first_resident_id: int
    first_snapshot_id: int
    date_value: Callable[[date], Any] = lambda day: day
    """A date as the database connection takes it (``adapt_datefield_value``): on SQLite its text,
    so the driver calls no adapter per value (performance.md P1)."""
    recorded_by: int | None = None
    """The loading user's id: who recorded the program rows of ``program_dates``."""
    today: date = field(default_factory=date.today)
    """The load's day: program dates after it are refused."""


@dataclass(frozen=True, slots=True)
class ChunkRefusal:
    """A refused line, as plain fields so it crosses a process boundary (DomainError does not pickle)."""

    field: str
    reason: str
    remedy: str
    code: str

    def error(self) -> DomainError:
        """The DomainError the loader raises for it."""
        return DomainError(field=self.field, reason=self.reason, remedy=self.remedy, code=self.code)


@dataclass(frozen=True, slots=True)
class PreparedChunk:
    """The rows of one chunk; ``households[i]`` is the 世帯番号 of ``snapshots[i]``."""

    first_line: int
    last_line: int
    households: list[str]
    residents: list[tuple[Any, ...]]
    snapshots: list[tuple[Any, ...]]
    keys: list[tuple[Any, ...]]
    max_atena_serial: int
    programs: list[tuple[Any, ...]] = field(default_factory=list)
    """The ProgramRecord rows (import_programs.PROGRAM_COLUMNS) of the lines with ``program_dates``."""


def _refusal(line_no: int, reason: str, remedy: str, code: str) -> ChunkRefusal:
    # The line number, never the line: the line is personal data.
    return ChunkRefusal(field=f"line {line_no}", reason=reason, remedy=remedy, code=code)


# The items the loader reads with record[...]: a KeyError naming one of them is a missing item.
_REQUIRED_ITEMS = frozenset(
    {
        "household_number",
        "atena_number",
        "resident_kind",
        "status",
        "surname",
        "surname_kana",
        "birth_date",
        "sex",
        "is_household_head",
        "relationship",
        "postal_code",
        "address",
        "became_resident_date",
        "became_resident_reason",
        "address_set_date",
        "juminhyo_code",
        "nationality",
        "foreign_category",
    }
)


def _bad_row(line_no: int, error: Exception) -> ChunkRefusal:
    # Only the item's name (from the layout), never a value: a value is personal data.
    missing = error.args[0] if isinstance(error, KeyError) and error.args else None
    item = f"「{missing}」" if missing in _REQUIRED_ITEMS else ""
    return _refusal(
        line_no,
        f"必須項目{item}がないか、値の形式が正しくない行です。",
        "docs/import-layout.md の項目と形式に合わせて元データを直してください。",
        "import.bad_row",
    )


def _parse(line_no: int, raw: bytes) -> dict[str, Any] | ChunkRefusal:
    try:
        # orjson: a third of json's time per line (performance.md P1, docs/adr/0003). Stricter too:
        # NaN, integers beyond 64 bits and lone surrogates are refused as unreadable, never stored.
        record = orjson.loads(raw)
    except ValueError:
        return _refusal(
            line_no,
            "JSONとして読めない行があります。",
            "ファイルの破損を確認してください。",
            "import.bad_json",
        )
    if not isinstance(record, dict) or record.get("layout_version") != LAYOUT_VERSION:
        return _refusal(
            line_no,
            "未対応のレイアウト版です。",
            f"layout_version {LAYOUT_VERSION} のファイルを使ってください。",
            "import.layout_version",
        )
    return record


def _snapshot_row(
    record: dict[str, Any],
    ids: tuple[int, int, int],
    household_number: str,
    sealed: tuple[str, str],
    date_value: Callable[[date], Any],
) -> tuple[tuple[Any, ...], dict[str, Any] | None]:
    """The snapshot row of one record (its 世帯番号 in the household column) and its 外国人 items.

    ``ids``: the snapshot's, the person's and the change's id; ``sealed``: the stored 個人番号 and
    its blind index; ``date_value``: LoadContext.date_value.
    """
    snapshot_id, resident_id, change_id = ids
    foreign = _foreign(record)
    snapshot = (
        snapshot_id,
        resident_id,
        change_id,
        1,
        ResidentStatus.REMOVED if record["status"] == "removed" else ResidentStatus.RESIDENT,
        record["resident_kind"],
        record["surname"],
        record.get("given_name", ""),
        record["surname_kana"],
        record.get("given_name_kana", ""),
        False,
        record.get("former_surname", ""),
        record.get("former_surname_kana", ""),
        record.get("tsusho", ""),
        record.get("tsusho_kana", ""),
        _birth(record),
        date_value(date.fromisoformat(record["birth_date"])),
        SEX_CODES[record["sex"]],
        household_number,  # the loader puts the household id in its place
        record["is_household_head"],
        record["relationship"],
        record.get("member_order", 0),
        record["postal_code"],
        record.get("address_code", ""),
        record["address"],
        record.get("katagaki", ""),
        record.get("previous_address", ""),
        _exact(record["became_resident_date"]),
        record["became_resident_reason"],
        _exact(record["address_set_date"]),
        record.get("honseki", ""),
        record.get("hittousha", ""),
        None if foreign is None else json.dumps(foreign, ensure_ascii=False),
        record["juminhyo_code"],
        record.get("removal_reason", ""),
        record.get("removal_date"),
        _programs(record),
        *sealed,
        record.get("removal_destination", ""),
    )
    return snapshot, foreign


def prepare_chunk(
    context: LoadContext, lines: list[tuple[int, bytes]], offset: int
) -> PreparedChunk | ChunkRefusal:
    """The rows of the non-blank ``lines`` (line number, raw line); ``offset`` people precede them.

    Pure Python on the chunk alone, so chunks may be prepared in any process and order; the loader
    inserts them in file order. The first bad line refuses the chunk.
    """
    households: list[str] = []
    residents: list[tuple[Any, ...]] = []
    snapshots: list[tuple[Any, ...]] = []
    keys: list[tuple[Any, ...]] = []
    programs: list[tuple[Any, ...]] = []
    max_atena_serial = 0
    now, change_id, sealer = context.now, context.change_id, context.sealer
    resident_id = context.first_resident_id + offset
    snapshot_id = context.first_snapshot_id + offset
    for line_no, raw in lines:
        record = _parse(line_no, raw)
        if isinstance(record, ChunkRefusal):
            return record
        try:
            sealed = sealer.seal(record["individual_number"])
        except (KeyError, DomainError):
            return _refusal(
                line_no,
                "個人番号が正しくありません。",
                "元データの個人番号を確認してください。",
                "import.individual_number",
            )
        try:
            number, atena = record["household_number"], record["atena_number"]
            if not (isinstance(number, str) and isinstance(atena, str)):
                raise TypeError("household or atena number is not text")  # no value: it is data
            ids = (snapshot_id, resident_id, change_id)
            snapshot, foreign = _snapshot_row(record, ids, number, sealed, context.date_value)
            row_keys = _search_keys(snapshot, foreign)
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            return _bad_row(line_no, error)
        # Optional (docs/import-layout.md): a line without it costs this one lookup.
        if record.get("program_dates") is not None:
            try:
                programs += program_rows(
                    record,
                    resident_id,
                    today=context.today,
                    recorded_by=context.recorded_by,
                    recorded_at=now,
                    date_value=context.date_value,
                )
            except ProgramDatesRefused as refused:
                return ChunkRefusal(
                    f"line {line_no}: {refused.item}", refused.reason, refused.remedy, refused.code
                )
        households.append(number)
        max_atena_serial = max(max_atena_serial, serial(atena))
        residents.append((resident_id, atena, record["resident_kind"], now, snapshot_id))
        snapshots.append(snapshot)
        keys += row_keys
        resident_id += 1
        snapshot_id += 1
    return PreparedChunk(
        first_line=lines[0][0] if lines else 0,
        last_line=lines[-1][0] if lines else 0,
        households=households,
        residents=residents,
        snapshots=snapshots,
        keys=keys,
        max_atena_serial=max_atena_serial,
        programs=programs,
    )


def with_household(
    chunk: PreparedChunk, household_ids: list[int], snapshot_filler: tuple[Any, ...] = ()
) -> tuple[list[Any], list[Any]]:
    """The chunk's snapshot and key rows with the household id of each person filled in.

    ``snapshot_filler`` (the values of snapshot columns the loader does not name) is appended in the
    same pass, so each row is rebuilt once.
    """
    h, k = SNAPSHOT_HOUSEHOLD, KEY_HOUSEHOLD
    snapshots = [
        (*row[:h], hid, *row[h + 1 :], *snapshot_filler)
        for row, hid in zip(chunk.snapshots, household_ids, strict=True)
    ]
    first = chunk.residents[0][0] if chunk.residents else 0
    keys = [(*row[:k], household_ids[row[0] - first], *row[k + 1 :]) for row in chunk.keys]
    return snapshots, keys
