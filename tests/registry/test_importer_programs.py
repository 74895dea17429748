"""The programs' eligibility dates of the bulk load (standard 1.1.1-a; docs/import-layout.md
``program_dates``; registry.import_programs): optional per line, checked as the departments' own entry
checks them, refused per line by item (never by value) with nothing committed.

All data is synthetic (jumin.population; the 基礎年金番号 is made up).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jumin.accounts.models import User
from jumin.domain.errors import DomainError
from jumin.population import write_population
from jumin.registry.importer import import_population
from jumin.registry.models import ProgramRecord, Resident
from jumin.registry.programs import program_status
from tests.registry.conftest import PURPOSE
from tests.registry.test_importer_workers import records, write

pytestmark = pytest.mark.django_db

PENSION_NUMBER = "1234-567890"


def with_program_dates(record: dict[str, Any]) -> dict[str, Any]:
    """The line with dates for the programs its flags name (a 除票 gets a lost 国保)."""
    dates: dict[str, Any] = {}
    if record["status"] == "removed":
        dates["nhi"] = {"acquired_date": "2010-04-01", "lost_date": "2024-03-31"}
    if record["program_nhi"]:
        dates["nhi"] = {"acquired_date": "2020-04-01"}
    if record["program_national_pension"]:
        dates["national_pension"] = {
            "acquired_date": "2015-06-01",
            "basic_pension_number": PENSION_NUMBER,
            "pension_kind": "第1号被保険者",
            "pension_kind_date": "2021-04-01",
        }
    if record["program_child_allowance"]:
        dates["child_allowance"] = {"first_month": "2022-05"}
    if record["program_voter"]:
        dates["voter"] = {"acquired_date": "2019-06-01"}
    return {**record, "program_dates": dates}


@pytest.fixture(scope="module")
def population_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("population") / "pop.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_population(out, 80, "422029", seed=13)
    return path


@pytest.fixture
def loader(make_clerk: Callable[..., User]) -> User:
    return make_clerk("migration-operator")


def test_1_1_1_a_a_file_without_dates_records_no_program_rows(population_file: Path, loader: User) -> None:
    import_population(population_file, actor=loader, workers=0)
    assert Resident.objects.exists()
    assert not ProgramRecord.objects.exists()


@pytest.mark.parametrize("workers", [0, 2])
def test_1_1_1_a_program_dates_become_program_records(
    tmp_path: Path, population_file: Path, loader: User, clerk: User, workers: int
) -> None:
    rows = records(population_file)
    dated = [with_program_dates(r) if i % 2 == 0 else r for i, r in enumerate(rows)]
    import_population(write(tmp_path / "dated.jsonl", dated), actor=loader, workers=workers, batch_size=16)
    expected = sum(len(r.get("program_dates", {})) for r in dated)
    assert ProgramRecord.objects.count() == expected > 0
    assert set(ProgramRecord.objects.values_list("reason", "recorded_by", flat=False).distinct()) == {
        ("移行", loader.pk)
    }
    pensioner = next(r for r in dated if "national_pension" in r.get("program_dates", {}))
    status = program_status(actor=clerk, purpose=PURPOSE, atena_number=pensioner["atena_number"])
    pension = next(e for e in status.current if e.program == "national_pension")
    assert (pension.enrolled, pension.acquired_on, pension.basic_pension_number, pension.pension_kind) == (
        True,
        "2015-06-01",
        "1234567890",
        "第1号被保険者",
    )
    stored = ProgramRecord.objects.get(
        resident__atena_number=pensioner["atena_number"], program="national_pension"
    )
    assert stored.details["pension_kind_changed_on"] == "2021-04-01"
    removed = next(r for r in dated if r["status"] == "removed" and "program_dates" in r)
    lost = ProgramRecord.objects.get(resident__atena_number=removed["atena_number"])
    assert (lost.program, lost.enrolled, str(lost.acquired_on), str(lost.lost_on)) == (
        "national_health_insurance",
        False,
        "2010-04-01",
        "2024-03-31",
    )
    undated = next(r for i, r in enumerate(dated) if i % 2 == 1)
    assert not ProgramRecord.objects.filter(resident__atena_number=undated["atena_number"]).exists()


def _first(rows: list[dict[str, Any]], flag: str) -> int:
    return next(i for i, r in enumerate(rows) if r[flag] and r["status"] == "resident")


BAD = [
    # (flag the line must have, program_dates, the refused item, words of the reason)
    ("program_nhi", {"nhi": {"acquired_date": "2020-13-01"}}, "program_dates.nhi.acquired_date", "形式"),
    ("program_nhi", {"nhi": {}}, "program_dates.nhi.acquired_date", "資格取得日"),
    ("program_nhi", {"nhi": {"acquired_date": "2999-04-01"}}, "program_dates.nhi.acquired_date", "未来"),
    (
        "program_nhi",
        {"nhi": {"acquired_date": "2020-04-01", "lost_date": "2019-04-01"}},
        "program_dates.nhi.lost_date",
        "前",
    ),
    (
        "program_national_pension",
        {
            "national_pension": {
                "acquired_date": "2015-06-01",
                "basic_pension_number": "12-34",
                "pension_kind": "第1号被保険者",
            }
        },
        "program_dates.national_pension.basic_pension_number",
        "基礎年金番号",
    ),
    (
        "program_national_pension",
        {"national_pension": {"acquired_date": "2015-06-01", "basic_pension_number": PENSION_NUMBER}},
        "program_dates.national_pension.pension_kind",
        "種別",
    ),
    (
        "program_child_allowance",
        {"child_allowance": {"first_month": "2022-5"}},
        "program_dates.child_allowance.first_month",
        "支給開始月",
    ),
    (
        "program_voter",
        {"voter": {"acquired_date": "2999-01-01"}},
        "program_dates.voter.acquired_date",
        "未来",
    ),
    ("program_nhi", {"nhi": {"acquired": "2020-04-01"}}, "program_dates.nhi", "項目"),
    ("program_nhi", {"pension": {}}, "program_dates", "制度"),
    ("program_nhi", ["nhi"], "program_dates", "オブジェクト"),
]


@pytest.mark.parametrize(("flag", "dates", "item", "words"), BAD)
def test_1_1_1_a_bad_program_dates_refuse_the_file_by_line_and_item(
    tmp_path: Path, population_file: Path, loader: User, flag: str, dates: Any, item: str, words: str
) -> None:
    rows = records(population_file)
    index = _first(rows, flag)
    rows[index] = {**rows[index], "program_dates": dates}
    with pytest.raises(DomainError) as refused:
        import_population(write(tmp_path / "bad.jsonl", rows), actor=loader, workers=0)
    error = refused.value
    assert (error.code, error.field) == ("import.program_dates", f"line {index + 1}: {item}")
    assert words in error.reason
    assert error.remedy
    assert "2020-13-01" not in f"{error.reason}{error.remedy}"  # never the value
    assert not Resident.objects.exists()
    assert not ProgramRecord.objects.exists()


def _with_periods(rows: list[dict[str, Any]], flag: str, dates: dict[str, Any]) -> int:
    index = _first(rows, flag)
    rows[index] = {**rows[index], "program_dates": dates}
    return index


def test_1_1_1_a_earlier_periods_become_history_in_date_order(
    tmp_path: Path, population_file: Path, loader: User, clerk: User
) -> None:
    rows = records(population_file)
    index = _with_periods(
        rows,
        "program_nhi",
        {
            "nhi": [
                {"acquired_date": "2001-04-01", "lost_date": "2005-10-01"},
                {"acquired_date": "2005-10-01", "lost_date": "2012-03-31"},
                {"acquired_date": "2020-04-01"},
            ]
        },
    )
    pensioner = next(
        i
        for i, r in enumerate(rows)
        if r["program_national_pension"] and r["status"] == "resident" and i != index
    )
    rows[pensioner] = {
        **rows[pensioner],
        "program_dates": {
            "national_pension": [
                {
                    "acquired_date": "2010-06-01",
                    "lost_date": "2012-06-01",
                    "basic_pension_number": PENSION_NUMBER,
                    "pension_kind": "第3号被保険者",
                },
                {
                    "acquired_date": "2015-06-01",
                    "basic_pension_number": PENSION_NUMBER,
                    "pension_kind": "第1号被保険者",
                },
            ]
        },
    }
    import_population(write(tmp_path / "periods.jsonl", rows), actor=loader, workers=0)
    status = program_status(actor=clerk, purpose=PURPOSE, atena_number=rows[index]["atena_number"])
    nhi = [
        (e.enrolled, e.acquired_on, e.lost_on)
        for e in status.history
        if e.program == "national_health_insurance"
    ]
    assert nhi == [  # newest first
        (True, "2020-04-01", ""),
        (False, "2005-10-01", "2012-03-31"),
        (False, "2001-04-01", "2005-10-01"),
    ]
    assert [(e.enrolled, e.acquired_on) for e in status.current] == [(True, "2020-04-01")]
    ended = ProgramRecord.objects.filter(
        resident__atena_number=rows[pensioner]["atena_number"], enrolled=False
    ).get()
    assert ended.details == {"basic_pension_number": "1234567890", "pension_kind": "第3号被保険者"}


PERIODS_BAD = [
    # (flag, program_dates, the refused item, words of the reason)
    (
        "program_nhi",
        {"nhi": [{"acquired_date": "2001-04-01"}, {"acquired_date": "2020-04-01"}]},
        "program_dates.nhi[0].lost_date",
        "終わっていない",
    ),
    (
        "program_nhi",
        {
            "nhi": [
                {"acquired_date": "2010-04-01", "lost_date": "2012-04-01"},
                {"acquired_date": "2011-04-01", "lost_date": "2013-04-01"},
                {"acquired_date": "2020-04-01"},
            ]
        },
        "program_dates.nhi[1].acquired_date",
        "重な",
    ),
    (
        "program_nhi",
        {
            "nhi": [
                {"acquired_date": "2015-04-01", "lost_date": "2016-04-01"},
                {"acquired_date": "2010-04-01", "lost_date": "2012-04-01"},
            ]
        },
        "program_dates.nhi[1].acquired_date",
        "順",
    ),
    (
        "program_child_allowance",
        {
            "child_allowance": [
                {"first_month": "2020-04", "last_month": "2021-03"},
                {"first_month": "2021-03"},
            ]
        },
        "program_dates.child_allowance[1].first_month",
        "重な",
    ),
    (
        "program_nhi",
        {"nhi": [{"acquired_date": "2010-04-01", "lost_date": "2012-04-01"}, {"lost_date": "2013-04-01"}]},
        "program_dates.nhi[1].acquired_date",
        "資格取得日",
    ),
    (
        "program_nhi",
        {"nhi": [{"acquired_date": "2010-04-01", "lost_date": "2012-04-01"}, "2020-04-01"]},
        "program_dates.nhi[1]",
        "項目",
    ),
]


@pytest.mark.parametrize(("flag", "dates", "item", "words"), PERIODS_BAD)
def test_1_1_1_a_periods_out_of_order_or_overlapping_refuse_the_line(
    tmp_path: Path, population_file: Path, loader: User, flag: str, dates: Any, item: str, words: str
) -> None:
    rows = records(population_file)
    index = _with_periods(rows, flag, dates)
    with pytest.raises(DomainError) as refused:
        import_population(write(tmp_path / "bad.jsonl", rows), actor=loader, workers=0)
    error = refused.value
    assert (error.code, error.field) == ("import.program_dates", f"line {index + 1}: {item}")
    assert words in error.reason
    assert "2011-04-01" not in f"{error.reason}{error.remedy}"
    assert not ProgramRecord.objects.exists()
