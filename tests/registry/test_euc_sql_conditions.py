"""EUC conditions pushed into SQL (standard 10.1-a/b; registry/euc/sql_computed.py): on random
populations and random definitions the run with SQL narrowing lists exactly what the Python-only run
lists, and for full 生年月日 the SQL narrowing of 年齢・年齢階級 is exact (docs/euc.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jumin.accounts.models import User
from jumin.domain.recorded_dates import to_json
from jumin.domain.uncertain_dates import UncertainDate, UncertainPattern, age_in_years
from jumin.population import write_population
from jumin.registry.euc import extraction
from jumin.registry.euc.catalogue import CATALOGUE, age_band
from jumin.registry.euc.definition import Definition, Scope, ordering, parse_definition
from jumin.registry.euc.sql_computed import FULL_DATE_KINDS, latest_birth_for_age
from jumin.registry.importer import import_population
from jumin.registry.models import ResidentSnapshot

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def population(make_clerk: Callable[..., User], tmp_path: Path) -> None:
    """A synthetic town (its program records included), some 生年月日 made 不詳 or 和暦 and a few
    unborn on early reference dates, so every branch of the translation meets rows."""
    path = tmp_path / "pop.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_population(out, 160, "422029", seed=7)
    import_population(path, actor=make_clerk("migration-operator"))
    vague = [
        UncertainDate.create(UncertainPattern.U10, era="showa", year=40),
        UncertainDate.create(UncertainPattern.U09),
    ]
    snapshots = list(ResidentSnapshot.objects.order_by("id"))
    for index, snapshot in enumerate(snapshots[::9]):
        value = vague[index % len(vague)]
        snapshot.birth_date = to_json(value)
        snapshot.birth_sort_date = value.approx_date
        snapshot.save(update_fields=["birth_date", "birth_sort_date"])
    kinds = set(ResidentSnapshot.objects.values_list("birth_date__kind", flat=True))
    assert {"uncertain"} < kinds  # full dates and 不詳 ones both present


def _raw_condition(item: str, op: str, value: str, other: str) -> dict[str, Any]:
    if op == "between":
        low, high = sorted([value, other], key=ordering(CATALOGUE[item]))
        return {"item": item, "op": op, "value": low, "value2": high}
    return {"item": item, "op": op, "value": f"{value}、{other}" if op == "in" else value}


def _condition(
    item: str, ops: list[str], values: st.SearchStrategy[str]
) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(_raw_condition, st.just(item), st.sampled_from(ops), values, values)


AGES = st.one_of(st.integers(0, 110).map(str), st.sampled_from(["0", "05", "007", "120", "2000"]))
BANDS = st.one_of(st.integers(0, 104).map(age_band), st.sampled_from(["5～9歳", "4～8歳", "100歳以上"]))
CONDITIONS = st.one_of(
    _condition("age", ["eq", "ne", "lt", "gt", "between", "in", "prefix", "empty"], AGES),
    _condition("age_band", ["eq", "ne", "lt", "gt", "between", "in", "prefix", "empty"], BANDS),
    _condition("household_members", ["eq", "ne", "lt", "gt", "between", "in"], st.integers(0, 9).map(str)),
    _condition("program_national_health_insurance", ["eq", "ne", "in"], st.sampled_from(["0", "1"])),
    _condition("program_long_term_care", ["eq", "ne"], st.sampled_from(["0", "1"])),
    _condition("sex", ["eq", "ne"], st.sampled_from(["male", "female"])),
    _condition("resident_years", ["lt", "gt"], st.integers(0, 60).map(str)),  # Python only
    _condition("birth_date", ["lt", "gt"], st.dates(date(1920, 1, 1), date(2026, 1, 1)).map(str)),
)
COMBINE = st.sampled_from(["and", "or"])
GROUPS = st.fixed_dictionaries(
    {"combine": COMBINE, "conditions": st.lists(CONDITIONS, min_size=1, max_size=3)},
    optional={
        "groups": st.lists(
            st.fixed_dictionaries(
                {"combine": COMBINE, "conditions": st.lists(CONDITIONS, min_size=1, max_size=2)}
            ),
            max_size=2,
        )
    },
)
REFERENCES = st.one_of(
    st.dates(date(1950, 1, 1), date(2040, 12, 31)), st.sampled_from([date(2028, 2, 29), date(2027, 3, 1)])
)


def _definition(
    conditions: list[dict[str, Any]], groups: list[dict[str, Any]], combine: str, reference: date, scope: str
) -> Definition:
    return parse_definition(
        {
            "scope": scope,
            "items": ["atena_number", "age", "age_band", "household_members"],
            "combine": combine,
            "conditions": conditions,
            "groups": groups,
            "reference_date": reference.isoformat(),
        }
    )


def _python_only(definition: Definition) -> extraction.Extraction:
    """The same run with no SQL narrowing: every row of the scope tested in Python."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(extraction, "prefilter", lambda *_args, **_kwargs: Q())
        return extraction.extract(definition)


@PROPERTY_SETTINGS
@given(
    conditions=st.lists(CONDITIONS, max_size=3),
    groups=st.lists(GROUPS, max_size=2),
    combine=COMBINE,
    reference=REFERENCES,
    scope=st.sampled_from(["current", "current_and_removed", "removed", "history"]),
)
def test_the_sql_narrowed_run_lists_what_the_python_only_run_lists(
    population: None,
    conditions: list[dict[str, Any]],
    groups: list[dict[str, Any]],
    combine: str,
    reference: date,
    scope: str,
) -> None:
    definition = _definition(conditions, groups, combine, reference, scope)
    narrowed = extraction.extract(definition)
    assert narrowed.rows == _python_only(definition).rows


def _near(years: int) -> st.SearchStrategy[dict[str, Any]]:
    """Conditions on 年齢 and 年齢階級 around ``years``, where an off-by-one boundary would show."""
    ages = st.integers(max(0, years - 1), years + 1).map(str)
    bands = st.integers(max(0, years - 5), years + 5).map(age_band)
    every_op = ["eq", "ne", "lt", "gt", "between", "in", "prefix", "empty"]
    return st.one_of(
        _condition("age", every_op, ages),
        _condition("age_band", every_op, bands),
        _condition("household_members", ["eq", "ne", "lt", "gt", "in"], st.integers(0, 9).map(str)),
        _condition("program_national_health_insurance", ["eq", "ne"], st.sampled_from(["0", "1"])),
    )


@PROPERTY_SETTINGS
@given(combine=COMBINE, data=st.data())
def test_for_full_birth_dates_sql_selects_exactly_the_rows_python_accepts(
    population: None, combine: str, data: st.DataObject
) -> None:
    full_dates = Q(birth_date__kind__in=FULL_DATE_KINDS)
    births = sorted(
        set(ResidentSnapshot.objects.filter(full_dates).values_list("birth_sort_date", flat=True))
    )
    born, years = data.draw(st.sampled_from(births)), data.draw(st.integers(0, 90))
    reference = _birthday(born, years) + timedelta(days=data.draw(st.integers(-1, 1)))
    conditions = data.draw(st.lists(_near(years), min_size=1, max_size=3))
    definition = _definition(conditions, [], combine, reference, "current")
    selected = set(
        ResidentSnapshot.objects.filter(
            extraction._scope_filter(Scope.CURRENT) & full_dates & extraction.prefilter(definition)
        ).values_list("resident__atena_number", flat=True)
    )
    full_people = set(
        ResidentSnapshot.objects.filter(extraction._scope_filter(Scope.CURRENT) & full_dates).values_list(
            "resident__atena_number", flat=True
        )
    )
    accepted = {row["atena_number"] for row in _python_only(definition).rows} & full_people
    assert selected == accepted


def _birthday(born: date, years: int) -> date:
    """The day ``born`` turns ``years`` (28 February for a 29 February birth in a common year)."""
    day = min(born.day, 28) if (born.month, born.day) == (2, 29) else born.day
    return date(born.year + years, born.month, day)


@given(
    age=st.integers(0, 130),
    reference=st.one_of(st.dates(date(1900, 1, 1), date(2100, 12, 31)), st.sampled_from([date(2028, 2, 29)])),
)
def test_the_last_birth_day_for_an_age_is_the_boundary_of_that_age(age: int, reference: date) -> None:
    last = latest_birth_for_age(age, reference)
    assert last is not None
    assert age_in_years(last, reference) >= age
    following = last + timedelta(days=1)
    assert following > reference or age_in_years(following, reference) < age
