import json
from collections.abc import Callable
from pathlib import Path

import pytest

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.audit.selectors import verify_chain
from jumin.crypto.models import filter_by_individual_number
from jumin.domain import recorded_dates
from jumin.domain.errors import DomainError
from jumin.population import write_population
from jumin.registry.importer import import_population
from jumin.registry.models import Household, Resident, ResidentSearchKey, ResidentSnapshot
from jumin.registry.search_keys import KEY_COLUMNS, rebuild_search_keys

KEY_FIELDS = (
    "kind",
    "is_current_name",
    "full_key",
    "surname_key",
    "given_key",
    "variant_key",
    "birth_sort_date",
    "address",
    "status",
    "is_current_address",
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def population_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("population") / "pop.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_population(out, 300, "422029", seed=7)
    return path


@pytest.fixture
def loader(make_clerk: Callable[..., User]) -> User:
    return make_clerk("migration-operator")


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_line_becomes_a_current_committed_record(population_file: Path, loader: User) -> None:
    records = lines(population_file)
    result = import_population(population_file, actor=loader, batch_size=64)
    assert result.residents == len(records) == Resident.objects.count()
    assert result.households == len({r["household_number"] for r in records}) == Household.objects.count()
    assert not Resident.objects.filter(current__isnull=True).exists()
    assert set(ResidentSnapshot.objects.values_list("history_no", flat=True)) == {1}


def test_values_survive_the_load_exactly(population_file: Path, loader: User) -> None:
    import_population(population_file, actor=loader)
    for record in lines(population_file)[:50]:
        snapshot = Resident.objects.get(atena_number=record["atena_number"]).current
        assert snapshot is not None
        assert (snapshot.surname, snapshot.given_name, snapshot.surname_kana) == (
            record["surname"],
            record.get("given_name", ""),
            record["surname_kana"],
        )
        assert (
            recorded_dates.sort_date_of(recorded_dates.from_json(snapshot.birth_date)).isoformat()
            == record["birth_date"]
        )
        assert snapshot.get_individual_number() == record["individual_number"]
        assert snapshot.status == ("removed" if record["status"] == "removed" else "resident")
        assert snapshot.household.number == record["household_number"]


def test_individual_numbers_are_encrypted_and_found_by_blind_index(
    population_file: Path, loader: User
) -> None:
    import_population(population_file, actor=loader)
    record = lines(population_file)[10]
    number = str(record["individual_number"])
    stored = ResidentSnapshot.objects.values_list("individual_number", flat=True)
    assert all(number not in str(value) for value in stored)
    found = filter_by_individual_number(ResidentSnapshot.objects.all(), number)
    assert [s.resident.atena_number for s in found] == [record["atena_number"]]


def test_the_load_is_one_audited_event_and_the_chain_stays_intact(
    population_file: Path, loader: User
) -> None:
    before = AuditEntry.objects.count()
    result = import_population(population_file, actor=loader)
    entries = list(AuditEntry.objects.filter(seq__gt=before))
    assert [(e.action, e.subject_id) for e in entries] == [("resident:import:run", str(result.change_id))]
    assert result.sha256 in entries[0].reason
    assert verify_chain().intact


def test_a_bad_line_stops_the_whole_load_and_names_only_its_line_number(
    tmp_path: Path, population_file: Path, loader: User
) -> None:
    records = lines(population_file)[:20]
    records[12] = {**records[12], "individual_number": "123456789010"}
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    with pytest.raises(DomainError) as raised:
        import_population(path, actor=loader, batch_size=5)
    assert raised.value.field == "line 13"
    assert "123456789010" not in str(raised.value)
    assert not Resident.objects.exists()


@pytest.mark.parametrize(
    "broken",
    [
        '{"layout_version": 1, "surname": ',  # cut off
        '{"layout_version": 1, "surname": "\\ud800"}',  # a lone surrogate: not storable text
        '{"layout_version": 1, "member_order": NaN}',  # not JSON
    ],
)
def test_an_unreadable_line_is_refused_by_its_number(
    tmp_path: Path, population_file: Path, loader: User, broken: str
) -> None:
    good = [json.dumps(r, ensure_ascii=False) for r in lines(population_file)[:3]]
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join([*good[:2], broken, good[2]]) + "\n", encoding="utf-8")
    with pytest.raises(DomainError) as raised:
        import_population(path, actor=loader)
    assert (raised.value.code, raised.value.field) == ("import.bad_json", "line 3")
    assert not Resident.objects.exists()


def test_an_unknown_layout_version_is_refused(tmp_path: Path, population_file: Path, loader: User) -> None:
    record = {**lines(population_file)[0], "layout_version": 2}
    path = tmp_path / "v2.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(DomainError) as raised:
        import_population(path, actor=loader)
    assert raised.value.code == "import.layout_version"


def test_numbering_continues_after_the_imported_numbers(
    population_file: Path, loader: User, clerk: User, code_pool: list[str]
) -> None:
    from jumin.registry.services import record_move_in
    from tests.registry.conftest import PURPOSE
    from tests.registry.test_move_in import family_move_in

    import_population(population_file, actor=loader)
    imported = set(Resident.objects.values_list("atena_number", flat=True))
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    assert not set(draft.atena_numbers) & imported
    assert draft.household_number not in set(
        Household.objects.exclude(number=draft.household_number).values_list("number", flat=True)
    )


def test_loading_the_same_file_twice_is_refused_and_changes_nothing(
    population_file: Path, loader: User
) -> None:
    import_population(population_file, actor=loader)
    before = (Resident.objects.count(), ResidentSnapshot.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as raised:
        import_population(population_file, actor=loader)
    assert raised.value.code == "import.duplicate"
    assert (Resident.objects.count(), ResidentSnapshot.objects.count(), AuditEntry.objects.count()) == before


def test_a_removed_persons_destination_is_kept(population_file: Path, loader: User) -> None:
    import_population(population_file, actor=loader)
    moved_out = [r for r in lines(population_file) if r.get("removal_destination")]
    assert moved_out
    for record in moved_out[:10]:
        snapshot = Resident.objects.get(atena_number=record["atena_number"]).current
        assert snapshot is not None
        assert snapshot.status == "removed"
        assert snapshot.planned_destination == record["removal_destination"]


def _index_names() -> set[tuple[str, str]]:
    from django.db import connection

    tables = [m._meta.db_table for m in (Household, Resident, ResidentSnapshot, ResidentSearchKey)]
    with connection.cursor() as cursor:
        return {
            (table, name)
            for table in tables
            for name, info in connection.introspection.get_constraints(cursor, table).items()
            if info["index"]
        }


def test_a_load_into_empty_tables_rebuilds_every_index_it_dropped(
    population_file: Path, loader: User
) -> None:
    before = _index_names()
    result = import_population(population_file, actor=loader, batch_size=64)
    assert _index_names() == before
    # The rebuilt indexes serve lookups, and the keys equal what rebuild_search_keys writes.
    person = Resident.objects.get(atena_number=lines(population_file)[5]["atena_number"])
    loaded = sorted(ResidentSearchKey.objects.filter(resident=person).values_list(*KEY_FIELDS))
    assert person.current is not None
    rebuild_search_keys(person, person.current)
    assert sorted(ResidentSearchKey.objects.filter(resident=person).values_list(*KEY_FIELDS)) == loaded
    assert result.residents == Resident.objects.count()


def test_every_loaded_key_row_equals_what_rebuild_search_keys_writes(
    tmp_path: Path, population_file: Path, loader: User
) -> None:
    """The importer builds key rows from its row tuples (performance.md P1); commits use the general path."""
    records = lines(population_file)
    foreign = next(index for index, record in enumerate(records) if record["resident_kind"] == "F")
    # A 通称 (with and without its kana) so the 通称 branch is compared too.
    records[foreign] = {**records[foreign], "tsusho": "山田　花", "tsusho_kana": "ヤマダ　ハナ"}
    records[foreign + 1] = {**records[foreign + 1], "tsusho": "一郎", "tsusho_kana": ""}
    path = tmp_path / "with-tsusho.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    import_population(path, actor=loader, batch_size=64)
    columns = tuple(name for name in KEY_COLUMNS if name != "snapshot")

    def key_rows() -> dict[int, list[tuple[object, ...]]]:
        rows: dict[int, list[tuple[object, ...]]] = {}
        for row in ResidentSearchKey.objects.values_list(*columns):
            rows.setdefault(int(row[0]), []).append(row)  # type: ignore[arg-type]
        return {person: sorted(found, key=repr) for person, found in rows.items()}

    loaded = key_rows()
    kinds = {row[2] for found in loaded.values() for row in found}
    # 旧氏 (the synthetic population's married names) and 通称 rows: both extra branches are compared.
    assert kinds == {"name", "former_surname", "alias"}
    assert any(row[-1] or row[-2] for found in loaded.values() for row in found)  # 在留カード等の番号
    for person in Resident.objects.select_related("current"):
        assert person.current is not None
        rebuild_search_keys(person, person.current)
    assert key_rows() == loaded


def test_a_failed_load_into_empty_tables_keeps_every_index(
    tmp_path: Path, population_file: Path, loader: User
) -> None:
    before = _index_names()
    records = lines(population_file)[:20]
    records[15] = {**records[15], "individual_number": "123456789010"}
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    with pytest.raises(DomainError):
        import_population(path, actor=loader, batch_size=5)
    assert _index_names() == before
    assert not ResidentSearchKey.objects.exists()
