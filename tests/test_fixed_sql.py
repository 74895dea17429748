"""``fixed_sql``: a shape's text is kept only when the caller's parameters are the ORM's, and the kept
path writes and reads exactly what the ORM would (dates and times converted, keys set)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

import pytest
from django.db import connection
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from jumin import fixed_sql
from jumin.accounts.models import InputPlace
from jumin.registry.models import JuminhyoCodePool

pytestmark = pytest.mark.django_db

_keys = count()
TAKEN = datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=UTC)


def _key(name: str) -> tuple[str, str, int]:
    """A shape of this test's own: the kept texts outlive one test."""
    return ("test", name, next(_keys))


@pytest.fixture
def pool() -> list[str]:
    codes = [f"{10000000000 + n}" for n in range(5)]
    JuminhyoCodePool.objects.bulk_create([JuminhyoCodePool(code=code) for code in codes])
    return codes


def _take(
    key: tuple[str, str, int], codes: list[str], taken: datetime, params: list[object] | None = None
) -> int:
    expected = [fixed_sql.db_value(JuminhyoCodePool, "taken_at", taken), *codes]
    return fixed_sql.run(
        (key, len(codes)),
        expected if params is None else params,
        fixed_sql.updating(lambda: JuminhyoCodePool.objects.filter(code__in=codes), taken_at=taken),
    )


def test_an_update_is_kept_and_its_later_runs_write_what_the_orm_writes(pool: list[str]) -> None:
    key = _key("update")
    assert _take(key, pool[:2], TAKEN) == 2
    assert fixed_sql.is_kept((key, 2))
    with CaptureQueriesContext(connection) as later:
        assert _take(key, pool[2:4], TAKEN) == 2  # the kept text, other values
    assert len(later.captured_queries) == 1
    taken = dict(JuminhyoCodePool.objects.values_list("code", "taken_at"))
    assert [taken[code] for code in pool] == [TAKEN, TAKEN, TAKEN, TAKEN, None]


def test_parameters_that_are_not_the_orms_keep_nothing_and_the_orms_are_used(pool: list[str]) -> None:
    key = _key("wrong order")
    wrong = [*pool[:2], fixed_sql.db_value(JuminhyoCodePool, "taken_at", TAKEN)]
    assert _take(key, pool[:2], TAKEN, params=wrong) == 2
    assert not fixed_sql.is_kept((key, 2))
    assert _take(key, pool[2:4], TAKEN, params=wrong) == 2  # still right: the ORM's own parameters
    assert JuminhyoCodePool.objects.filter(taken_at=TAKEN).count() == 4


def test_a_read_of_text_columns_is_kept_and_a_converted_one_only_when_the_caller_converts(
    pool: list[str],
) -> None:
    codes_key, times_key, own_key = _key("codes"), _key("times"), _key("own")
    JuminhyoCodePool.objects.filter(code=pool[1]).update(taken_at=TAKEN)

    def codes(after: str) -> list[tuple[object, ...]]:
        return fixed_sql.read(
            codes_key,
            [after],
            fixed_sql.reading(
                lambda: JuminhyoCodePool.objects.filter(code__gt=after).order_by("code").values_list("code")
            ),
        )

    assert codes(pool[2]) == [(pool[3],), (pool[4],)]
    assert codes(pool[3]) == [(pool[4],)]  # kept text, new value
    assert fixed_sql.is_kept(codes_key)
    times = fixed_sql.reading(lambda: JuminhyoCodePool.objects.filter(code=pool[1]).values_list("taken_at"))
    fixed_sql.read(times_key, [pool[1]], times)
    # SQLite hands back text that only the ORM's converter makes a datetime: never kept there.
    assert fixed_sql.is_kept(times_key) is (connection.vendor == "postgresql")
    counted = fixed_sql.reading(
        lambda: JuminhyoCodePool.objects.filter(code__in=pool).values_list("code").order_by("code"),
        caller_converts=True,
    )
    assert fixed_sql.read((own_key, 5), pool, counted) == [(code,) for code in pool]
    assert fixed_sql.is_kept((own_key, 5))


def test_kept_instances_are_the_orms_objects_with_converted_dates(pool: list[str]) -> None:
    key = _key("instances")
    InputPlace.objects.create(code="010", name="本庁", kind="main", valid_from=date(2026, 4, 1))
    InputPlace.objects.create(
        code="020", name="支所", kind="branch", valid_from=date(2026, 4, 1), valid_to=date(2026, 12, 31)
    )

    def places(code: str) -> list[InputPlace]:
        return fixed_sql.instances(key, [code], lambda: InputPlace.objects.filter(code=code).order_by("pk"))

    places("010")  # compiled by the ORM, kept
    assert fixed_sql.is_kept(key)
    (kept,) = places("020")
    (orm,) = InputPlace.objects.filter(code="020")
    assert kept.valid_to == date(2026, 12, 31)
    assert isinstance(kept.valid_from, date)
    assert [getattr(kept, f.attname) for f in InputPlace._meta.concrete_fields] == [
        getattr(orm, f.attname) for f in InputPlace._meta.concrete_fields
    ]
    assert not kept._state.adding
    assert kept._state.db == orm._state.db
    kept.name = "支所（改称）"
    kept.save(update_fields=["name"])  # a saved object like any other
    assert InputPlace.objects.get(pk=orm.pk).name == "支所（改称）"


def test_reads_the_orm_would_do_more_for_are_never_kept() -> None:
    key = _key("related")
    InputPlace.objects.create(code="010", name="本庁", kind="main", valid_from=date(2026, 4, 1))
    rows = fixed_sql.instances(
        key, ["010"], lambda: InputPlace.objects.select_related("registered_by").filter(code="010")
    )
    assert [row.code for row in rows] == ["010"]
    assert not fixed_sql.is_kept(key)


def test_an_empty_in_runs_no_statement_as_the_orm_does(pool: list[str]) -> None:
    key = _key("empty")
    with CaptureQueriesContext(connection) as nothing:
        assert _take(key, [], TAKEN) == 0
        empty = fixed_sql.reading(lambda: JuminhyoCodePool.objects.filter(code__in=[]).values_list("code"))
        assert fixed_sql.read(key, [], empty) == []
        assert fixed_sql.instances(key, [], lambda: JuminhyoCodePool.objects.filter(code__in=[])) == []
    assert nothing.captured_queries == []
    assert not fixed_sql.is_kept((key, 0))


@pytest.mark.skipif(not connection.features.has_select_for_update, reason="no row locks on this engine")
def test_a_kept_row_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it(
    pool: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _key("lock")

    def locked(code: str) -> list[tuple[object, ...]]:
        lock = fixed_sql.reading(
            lambda: JuminhyoCodePool.objects.select_for_update().filter(code=code).values_list("code")
        )
        return fixed_sql.read(key, [code], lock)

    assert locked(pool[0]) == [(pool[0],)]  # inside the test's transaction
    assert fixed_sql.is_kept(key)
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)  # as outside any transaction
    with pytest.raises(TransactionManagementError):
        locked(pool[1])
