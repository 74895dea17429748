"""The bulk load's worker pool and per-row refusals (performance.md P1; registry.import_rows).

A load prepared by forked worker processes must write exactly the rows the in-process load writes,
and a bad line anywhere — also in a later chunk, prepared by a worker — refuses the whole file.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from jumin.accounts.models import User
from jumin.crypto.individual_number import decrypt_individual_number
from jumin.domain.errors import DomainError
from jumin.population import write_population
from jumin.registry.importer import import_population
from jumin.registry.models import Household, ProgramRecord, Resident, ResidentSearchKey, ResidentSnapshot

pytestmark = pytest.mark.django_db

TABLES = (Household, Resident, ResidentSnapshot, ResidentSearchKey, ProgramRecord)
# Columns that differ between two loads by design: the load's 異動 and time, the random nonce of
# each encrypted 個人番号 (compared decrypted instead) and the key and program rows' ids (a PostgreSQL
# sequence is not rolled back; the loader gives the other tables' ids itself).
VARYING = {"change_id", "created_at", "recorded_at", "individual_number"}
_SEQUENCED = (ResidentSearchKey, ProgramRecord)


@pytest.fixture(scope="module")
def population_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("population") / "pop.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_population(out, 200, "422029", seed=11)
    return path


@pytest.fixture
def loader(make_clerk: Callable[..., User]) -> User:
    return make_clerk("migration-operator")


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def table_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables the load writes, in id order, the varying columns normalised."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    for model in TABLES:
        columns = [f.column for f in model._meta.concrete_fields]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {names} FROM {table} ORDER BY id")  # noqa: S608
            rows = cursor.fetchall()
        dump[model.__name__] = [
            tuple(
                (decrypt_individual_number(value, purpose="registry.resident") if value else value)
                if name == "individual_number"
                else value
                for name, value in zip(columns, row, strict=True)
                if (name not in VARYING or name == "individual_number")
                and not (model in _SEQUENCED and name == "id")
            )
            for row in rows
        ]
    return dump


class _Rollback(Exception):  # noqa: N818 (control flow)
    pass


def load_and_dump(path: Path, loader: User, **options: Any) -> dict[str, list[tuple[Any, ...]]]:
    """The rows a load writes, then rolled back so the next load starts from the same tables."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with transaction.atomic():
            import_population(path, actor=loader, **options)
            dump = table_rows()
            raise _Rollback
    except _Rollback:
        pass
    assert not Resident.objects.exists()
    return dump


def test_a_worker_pool_load_writes_the_rows_of_the_in_process_load(
    population_file: Path, loader: User
) -> None:
    alone = load_and_dump(population_file, loader, workers=0)
    pooled = load_and_dump(population_file, loader, workers=2, batch_size=16)
    assert len(alone["Resident"]) == len(records(population_file))
    assert len(alone["ResidentSearchKey"]) >= len(alone["Resident"])
    assert pooled == alone


def test_households_spanning_chunks_get_one_id(population_file: Path, loader: User) -> None:
    import_population(population_file, actor=loader, workers=2, batch_size=3)
    expected = {r["atena_number"]: r["household_number"] for r in records(population_file)}
    stored = dict(ResidentSnapshot.objects.values_list("resident__atena_number", "household__number"))
    assert stored == expected
    assert Household.objects.count() == len(set(expected.values()))
    keyed = set(ResidentSearchKey.objects.values_list("resident_id", "household_id"))
    assert keyed == set(ResidentSnapshot.objects.values_list("resident_id", "household_id"))


@pytest.mark.parametrize("workers", [0, 2])
def test_a_bad_line_in_a_later_chunk_changes_nothing(
    tmp_path: Path, population_file: Path, loader: User, workers: int
) -> None:
    rows = records(population_file)[:60]
    rows[47] = {**rows[47], "individual_number": "123456789010"}
    path = write(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DomainError) as raised:
        import_population(path, actor=loader, workers=workers, batch_size=8)
    assert raised.value.field == "line 48"
    assert "123456789010" not in str(raised.value)
    for model in TABLES:
        assert not model.objects.exists()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"surname": None}, ""),  # present but not text
        ({"birth_date": "1948-13-40"}, ""),  # not a date
        ({"sex": "9"}, ""),  # not a code of the layout
    ],
)
def test_a_malformed_item_is_refused_with_its_line_and_without_its_value(
    tmp_path: Path, population_file: Path, loader: User, change: dict[str, Any], named: str
) -> None:
    rows = records(population_file)[:30]
    rows[20] = {**rows[20], **change}
    path = write(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DomainError) as raised:
        import_population(path, actor=loader, workers=2, batch_size=8)
    assert (raised.value.field, raised.value.code) == ("line 21", "import.bad_row")
    for value in change.values():
        if value:
            assert str(value) not in str(raised.value)
    assert not Resident.objects.exists()


def test_a_missing_item_is_named(tmp_path: Path, population_file: Path, loader: User) -> None:
    rows = records(population_file)[:10]
    del rows[4]["surname_kana"]
    path = write(tmp_path / "missing.jsonl", rows)
    with pytest.raises(DomainError) as raised:
        import_population(path, actor=loader, workers=0)
    assert raised.value.field == "line 5"
    assert "surname_kana" in raised.value.reason
    assert not Resident.objects.exists()


def test_program_flags_are_stored_as_given(tmp_path: Path, population_file: Path, loader: User) -> None:
    # The loader caches each distinct set of flags; 1 == True must not share an entry with true.
    first, second = records(population_file)[:2]
    flags = {f"program_{name}": True for name in ("nhi", "voter")}
    rows = [{**first, **flags}, {**second, **flags, "program_nhi": 1}]
    import_population(write(tmp_path / "flags.jsonl", rows), actor=loader, workers=0)
    stored = {
        s.resident.atena_number: s.programs for s in ResidentSnapshot.objects.select_related("resident")
    }
    assert stored[first["atena_number"]]["nhi"] is True
    assert stored[second["atena_number"]]["nhi"] == 1
    assert stored[second["atena_number"]]["nhi"] is not True


def test_wareki_birth_dates_are_stored_as_given(tmp_path: Path, population_file: Path, loader: User) -> None:
    # The loader caches each distinct 和暦 birth date; 23 == 23.0 must not share an entry with 23.
    first, second = [r for r in records(population_file) if r.get("birth_date_wareki")][:2]
    wareki = {"era": "showa", "year": 23, "month": 5, "day": 8}
    rows = [{**first, "birth_date_wareki": wareki}, {**second, "birth_date_wareki": {**wareki, "year": 23.0}}]
    import_population(write(tmp_path / "wareki.jsonl", rows), actor=loader, workers=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.atena_number, s.birth_date FROM registry_residentsnapshot s"
            " JOIN registry_resident r ON r.id = s.resident_id"
        )
        stored = {atena: json.loads(value) if isinstance(value, str) else value for atena, value in cursor}
    assert type(stored[first["atena_number"]]["year"]) is int
    assert type(stored[second["atena_number"]]["year"]) is float
