"""Bulk load of residents from the import layout (docs/import-layout.md, layout_version 1).

Used to migrate a municipality's registry and by the benchmark (performance.md P1). Each person
becomes a Resident and its first committed snapshot (履歴番号 1) under one 異動 of reason 「移行」;
the 個人番号 is encrypted with its blind index; the whole load is one audited event. Rows are
written with executemany in batches, because per-object ORM saves cannot reach P1's rate.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.crypto.individual_number import seal_with_index
from jumin.crypto.keys import get_keyring
from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentStatus
from jumin.registry import numbering
from jumin.registry.models import (
    Change,
    ChangeState,
    Household,
    NumberCounter,
    Resident,
    ResidentSearchKey,
    ResidentSnapshot,
)
from jumin.registry.search_keys import KEY_COLUMNS, facts_from_columns, key_tuples, name_entries

LAYOUT_VERSION = 1
MIGRATION_REASON = "移行"
SEX_CODES = {"1": "male", "2": "female"}


@dataclass(frozen=True)
class ImportResult:
    """What a load wrote: people, new households, the change that holds them, and the file's digest."""

    residents: int
    households: int
    change_id: int
    sha256: str


def _column_default(field: models.Field[Any, Any]) -> Any:
    """The value a column not named by the loader gets: the model's default, as the database takes it."""
    value = field.get_default()
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value)
    return field.get_db_prep_save(value, connection)


class _Table:
    """An INSERT for one model's chosen columns, with JSON casts where PostgreSQL needs them.

    Columns the loader does not name (added to the model later) get the model's default, so a new
    NOT NULL column can never make a load fail or, worse, be reported as a duplicate.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        named = [model._meta.get_field(name) for name in columns]
        others = [
            field
            for field in model._meta.concrete_fields
            if field.name not in columns and not field.primary_key
        ]
        self.filler = tuple(_column_default(field) for field in others)
        fields = named + others
        quote = connection.ops.quote_name
        json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
        placeholders = [f"%s{json_cast}" if isinstance(field, models.JSONField) else "%s" for field in fields]
        names = ", ".join(quote(str(getattr(field, "column", field.name))) for field in fields)
        # Table and column names come from the models, never from input.
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({', '.join(placeholders)})"  # noqa: S608

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            if self.filler:
                rows = [row + self.filler for row in rows]
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, rows)


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


def _refuse(line_no: int, reason: str, remedy: str, code: str) -> DomainError:
    # The line number, never the line: the line is personal data.
    return DomainError(field=f"line {line_no}", reason=reason, remedy=remedy, code=code)


def _exact(iso: str) -> str:
    # The recorded_dates JSON of an exact day, built directly: json.dumps per date is a tenth of a load.
    return f'{{"kind": "gregorian", "date": "{date.fromisoformat(iso).isoformat()}"}}'


def _birth(record: dict[str, Any]) -> str:
    wareki = record.get("birth_date_wareki")
    if wareki:
        return json.dumps({"kind": "wareki", **wareki}, ensure_ascii=False)
    return _exact(record["birth_date"])


def _foreign(record: dict[str, Any]) -> str | None:
    if record["resident_kind"] != "F":
        return None
    return json.dumps(
        {
            "nationality_code": record["nationality"],
            "category": record["foreign_category"],
            "alphabet_name": record.get("alphabet_name", ""),
            "residence_status": record.get("residence_status", ""),
            "period_of_stay": record.get("residence_period", ""),
            "stay_expiry_date": record.get("residence_expiry_date", ""),
            "residence_card_number": record.get("residence_card_number", ""),
            "special_permanent_resident_number": record.get(
                "special_permanent_resident_certificate_number", ""
            ),
        },
        ensure_ascii=False,
    )


# The program flags of layout_version 1 (docs/import-layout.md §6.10).
PROGRAMS = ("nhi", "late_elderly", "long_term_care", "national_pension", "child_allowance", "voter")


def _programs(record: dict[str, Any]) -> str:
    return json.dumps({name: record[f"program_{name}"] for name in PROGRAMS if f"program_{name}" in record})


def _records(stream: IO[bytes], digest: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    for line_no, raw in enumerate(stream, start=1):
        digest.update(raw)
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            raise _refuse(
                line_no,
                "JSONとして読めない行があります。",
                "ファイルの破損を確認してください。",
                "import.bad_json",
            ) from None
        if record.get("layout_version") != LAYOUT_VERSION:
            raise _refuse(
                line_no,
                "未対応のレイアウト版です。",
                f"layout_version {LAYOUT_VERSION} のファイルを使ってください。",
                "import.layout_version",
            )
        yield line_no, record


def _batches(
    items: Iterable[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    batch: list[tuple[int, dict[str, Any]]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _serial(number: str) -> int:
    """The serial part of a 宛名番号/世帯番号 (all but the check digit); 0 for a legacy non-numeric one."""
    return int(number[:-1]) if number[:-1].isdigit() else 0


def _advance_counter(name: str, serial: int) -> None:
    """Numbering continues after the highest imported serial, so new numbers never collide (A.4)."""
    counter, _ = NumberCounter.objects.select_for_update().get_or_create(name=name)
    if serial > counter.last_serial:
        counter.last_serial = serial
        counter.save(update_fields=["last_serial"])


_SNAPSHOT_COLUMN_INDEX = {name: i for i, name in enumerate(SNAPSHOT_COLUMNS)}


def _search_keys(row: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The search-key rows of one loaded person (standard 2.1.2, 2.1.3-a), from its snapshot row."""

    def column(name: str) -> Any:
        return row[_SNAPSHOT_COLUMN_INDEX[name]]

    facts = facts_from_columns(column)
    current = name_entries(
        surname=column("surname"),
        given_name=column("given_name"),
        surname_kana=column("surname_kana"),
        given_name_kana=column("given_name_kana"),
        former_surname=column("former_surname"),
        former_surname_kana=column("former_surname_kana"),
        alias=column("alias"),
        alias_kana=column("alias_kana"),
    )
    return key_tuples(facts, current)


def _reset_id_sequences() -> None:
    """PostgreSQL: move id sequences past the ids written explicitly, so later ORM inserts never collide."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Household, Resident, ResidentSnapshot])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


# The page cache during a load (KiB, SQLite's negative form): the four tables' indexes stay in
# memory instead of being re-read from the OS for every batch (performance.md P1). Restored after.
LOAD_CACHE_KIB = 1_048_576


def _cache_size(value: int | None) -> int | None:
    """SQLite only: set the connection's page cache (None: leave it) and return the previous setting."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        if value is not None:
            cursor.execute(f"PRAGMA cache_size = {int(value)}")
    return previous


def _secondary_indexes(model: type[models.Model]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's search indexes, which a load may drop and rebuild.

    Unique indexes stay (they refuse duplicates, A.4), and so do indexes led by a foreign-key
    column: SQLite looks child rows up through them for every parent row inserted while deferred
    constraints are pending, and without them each insert scans the child table (measured: the
    load became seven times slower).
    """
    table = model._meta.db_table
    foreign_keys = {field.column for field in model._meta.concrete_fields if field.is_relation}
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
        rows = cursor.fetchall()
    return [
        (name, sql)
        for name, sql in rows
        if not sql.upper().startswith("CREATE UNIQUE")
        and name in constraints
        and constraints[name]["columns"]
        and constraints[name]["columns"][0] not in foreign_keys
    ]


def _drop_indexes_of_empty_tables(tables: Sequence[type[models.Model]]) -> list[tuple[str, str]]:
    """Drop the secondary indexes of the tables that are still empty; return them for re-creation.

    Building an index once over a loaded table is much cheaper than updating it row by row
    (performance.md P1). SQLite only. Only empty tables qualify — a first migration — so a load
    into a live registry never loses its indexes, and SQLite's transactional DDL restores them if
    the load fails; readers in WAL mode keep seeing the indexed tables until the load commits.
    """
    dropped: list[tuple[str, str]] = []
    if connection.vendor != "sqlite":
        # PostgreSQL refuses CREATE INDEX while the load's deferred foreign-key checks are pending
        # ("pending trigger events"); its load keeps the indexes (its ratio to raw inserts is 1.2).
        return dropped
    quote = connection.ops.quote_name
    for model in tables:
        if model._default_manager.exists():
            continue
        indexes = _secondary_indexes(model)
        with connection.cursor() as cursor:
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        dropped += indexes
    return dropped


def _recreate_indexes(indexes: Sequence[tuple[str, str]]) -> None:
    with connection.cursor() as cursor:
        for _, sql in indexes:
            cursor.execute(sql)


def _next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(last=Max("id"))["last"] or 0) + 1


def import_population(
    path: Path, *, actor: Any, purpose: str = "migration", batch_size: int = 5000
) -> ImportResult:
    """Load a whole import file in one transaction: all of it or nothing (bad input changes nothing)."""
    previous_cache = _cache_size(LOAD_CACHE_KIB)
    try:
        return _load(path, actor=actor, purpose=purpose, batch_size=batch_size)
    finally:
        _cache_size(previous_cache)


def _load(path: Path, *, actor: Any, purpose: str, batch_size: int) -> ImportResult:
    digest = hashlib.sha256()
    keyring = get_keyring()
    households: dict[str, int] = {}
    count = new_household_count = max_atena_serial = 0
    with transaction.atomic(), path.open("rb") as stream:
        now = timezone.now()

        change = Change.objects.create(
            reason=MIGRATION_REASON,
            state=ChangeState.COMMITTED,
            change_date=now.date(),
            notification_date=None,
            notification_kind="移行",
            made_by=actor,
            made_at=now,
            reviewed_by=actor,
            reviewed_at=now,
        )
        households.update(Household.objects.values_list("number", "id"))
        next_household, next_resident, next_snapshot = (
            _next_id(Household),
            _next_id(Resident),
            _next_id(ResidentSnapshot),
        )
        household_table = _Table(Household, ("id", "number", "created_at"))
        resident_table = _Table(Resident, ("id", "atena_number", "kind", "created_at", "current"))
        snapshot_table = _Table(ResidentSnapshot, SNAPSHOT_COLUMNS)
        key_table = _Table(ResidentSearchKey, KEY_COLUMNS)
        dropped = _drop_indexes_of_empty_tables([Household, Resident, ResidentSnapshot, ResidentSearchKey])
        for batch in _batches(_records(stream, digest), batch_size):
            new_households, residents, snapshots = [], [], []
            keys: list[tuple[Any, ...]] = []
            for line_no, record in batch:
                number = record["household_number"]
                if number not in households:
                    households[number] = next_household
                    new_households.append((next_household, number, now))
                    next_household += 1
                try:
                    sealed, index = seal_with_index(
                        record["individual_number"], purpose="registry.resident", keyring=keyring
                    )
                except (KeyError, DomainError):
                    raise _refuse(
                        line_no,
                        "個人番号が正しくありません。",
                        "元データの個人番号を確認してください。",
                        "import.individual_number",
                    ) from None
                removed = record["status"] == "removed"
                max_atena_serial = max(max_atena_serial, _serial(record["atena_number"]))
                residents.append(
                    (next_resident, record["atena_number"], record["resident_kind"], now, next_snapshot)
                )
                became = record["became_resident_date"]
                snapshots.append(
                    (
                        next_snapshot,
                        next_resident,
                        change.pk,
                        1,
                        ResidentStatus.REMOVED if removed else ResidentStatus.RESIDENT,
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
                        date.fromisoformat(record["birth_date"]),
                        SEX_CODES[record["sex"]],
                        households[number],
                        record["is_household_head"],
                        record["relationship"],
                        record.get("member_order", 0),
                        record["postal_code"],
                        record.get("address_code", ""),
                        record["address"],
                        record.get("katagaki", ""),
                        record.get("previous_address", ""),
                        _exact(became),
                        record["became_resident_reason"],
                        _exact(record["address_set_date"]),
                        record.get("honseki", ""),
                        record.get("hittousha", ""),
                        _foreign(record),
                        record["juminhyo_code"],
                        record.get("removal_reason", ""),
                        record.get("removal_date"),
                        _programs(record),
                        sealed.token,
                        index,
                        record.get("removal_destination", ""),
                    )
                )
                keys += _search_keys(snapshots[-1])
                next_resident += 1
                next_snapshot += 1
            try:
                with transaction.atomic():
                    household_table.insert(new_households)
                    resident_table.insert(residents)
                    snapshot_table.insert(snapshots)
                    key_table.insert(keys)
            except IntegrityError:
                raise DomainError(
                    field=f"lines {batch[0][0]}-{batch[-1][0]}",
                    reason="登録済みの宛名番号・世帯番号・住民と重複する行があります。",
                    remedy="元データの番号を確認し、未登録の住民だけを読み込んでください。",
                    code="import.duplicate",
                ) from None
            new_household_count += len(new_households)
            count += len(batch)
        _recreate_indexes(dropped)
        _reset_id_sequences()
        _advance_counter(numbering.ATENA, max_atena_serial)
        _advance_counter(numbering.HOUSEHOLD, max((_serial(n) for n in households), default=0))
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_IMPORT_RUN,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=f"{count} residents from a file with sha256 {digest.hexdigest()}",
        )
    return ImportResult(
        residents=count, households=new_household_count, change_id=change.pk, sha256=digest.hexdigest()
    )
