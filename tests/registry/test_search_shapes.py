"""The P2 search shapes (issue 5 item 6; docs/search.md "Indexes").

Each shape finds exactly the people its conditions name, walks one of the covering indexes for
the ids, and a result page costs the same number of statements whatever its size (marks, audit and
history are one statement each, not one per hit).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditResultSubject
from jumin.domain.resident import ResidentStatus
from jumin.population import write_population
from jumin.registry.importer import import_population
from jumin.registry.models import ResidentSearchKey
from jumin.registry.search import (
    NameMatch,
    SearchCriteria,
    _hit_statement,
    matching_ids,
    search_filter,
    search_residents,
)
from tests.registry.conftest import PURPOSE

pytestmark = pytest.mark.django_db

# 宛名番号, kana key, birth day, address code, current address, variant (kanji) key, current kanji name
_Row = tuple[str, str, date, str, bool, str, str]


@pytest.fixture
def searcher(make_clerk: Callable[..., User]) -> User:
    return make_clerk("searcher", Permission.RESIDENT_SEARCH)


@pytest.fixture
def key_rows(tmp_path: Path, make_clerk: Callable[..., User]) -> list[_Row]:
    """A small synthetic population loaded by the importer; its living people's key rows."""
    path = tmp_path / "pop.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_population(out, 150, "422029", seed=11)
    import_population(path, actor=make_clerk("loader"))
    assert any(
        json.loads(line)["status"] == "removed" for line in path.read_text(encoding="utf-8").splitlines()
    )
    rows = ResidentSearchKey.objects.exclude(status=ResidentStatus.REMOVED).values_list(
        "resident__atena_number",
        "full_key",
        "birth_sort_date",
        "address_code",
        "is_current_address",
        "variant_key",
        "snapshot__surname",
        "snapshot__given_name",
    )
    return [(*row[:6], row[6] + row[7]) for row in rows]


def _found(actor: User, criteria: SearchCriteria) -> set[str]:
    return {
        hit.atena_number for hit in search_residents(actor=actor, purpose=PURPOSE, criteria=criteria).hits
    }


def _shapes(rows: list[_Row]) -> list[tuple[SearchCriteria, Callable[[_Row], bool]]]:
    """The four benchmark shapes built from real rows, each with its condition evaluated in Python."""
    current = [row for row in rows if row[4] and len(row[1]) >= 2 and row[3]]
    # The most common two-kana heads, so the prefix shapes match several people each.
    heads = [head for head, _ in Counter(row[1][:2] for row in current).most_common(3)]
    shapes: list[tuple[SearchCriteria, Callable[[_Row], bool]]] = []
    for head in heads:
        sample = next(row for row in current if row[1].startswith(head))
        full, born, code, variant, kanji = sample[1], sample[2], sample[3], sample[5], sample[6]
        shapes += [
            (
                SearchCriteria(kana_name=full, birth_date=born.isoformat()),
                lambda r, full=full, born=born: r[4] and r[1] == full and r[2] == born,
            ),
            (
                SearchCriteria(kana_name=head, name_mode=NameMatch.PREFIX, birth_date=str(born.year)),
                lambda r, head=head, year=born.year: r[4] and r[1].startswith(head) and r[2].year == year,
            ),
            (
                # An address condition also matches addresses from history (include_past_addresses).
                SearchCriteria(kana_name=head, name_mode=NameMatch.PREFIX, address_code=code),
                lambda r, head=head, code=code: r[3] == code and r[1].startswith(head),
            ),
            (
                # The kanji name as written, matched through its variant key (渡邊 finds 渡辺 too).
                SearchCriteria(kanji_name=kanji, birth_date=born.isoformat()),
                lambda r, variant=variant, born=born: r[4] and r[5] == variant and r[2] == born,
            ),
        ]
    return shapes


def test_each_search_shape_finds_exactly_the_people_its_conditions_name(
    key_rows: list[_Row], searcher: User
) -> None:
    shapes = _shapes(key_rows)
    assert len(shapes) == 12
    for criteria, condition in shapes:
        expected = {row[0] for row in key_rows if condition(row)}
        assert expected, criteria
        assert _found(searcher, criteria) == expected, criteria


def test_each_search_shape_reads_its_ids_from_a_covering_index(key_rows: list[_Row]) -> None:
    if connection.vendor == "postgresql":
        # A planner on a small table rightly prefers a sequential scan; check what LIKE 'x%' needs.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s",
                ["registry_skey_%_idx"],
            )
            definitions = dict(cursor.fetchall())
        covering = ("registry_skey_kana_idx", "registry_skey_birth_kana_idx", "registry_skey_addr_kana_idx")
        assert all("full_key varchar_pattern_ops" in definitions[name] for name in covering)
        assert "variant_key varchar_pattern_ops" in definitions["registry_skey_variant_idx"]
        return
    for criteria, _ in _shapes(key_rows):
        sql, params = matching_ids(search_filter(criteria), 200).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(step[-1]) for step in cursor.fetchall())
        assert "USING COVERING INDEX registry_skey_" in plan, (criteria, plan)


def test_a_result_page_costs_the_same_statements_whatever_its_size(
    key_rows: list[_Row], searcher: User
) -> None:
    code = Counter(row[3] for row in key_rows if row[4] and row[3]).most_common(1)[0][0]
    single = next(row for row in key_rows if row[4] and len(row[1]) >= 2)
    one = SearchCriteria(kana_name=single[1], birth_date=single[2].isoformat())
    many = SearchCriteria(address_code=code)

    def statements(criteria: SearchCriteria) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            hits = len(search_residents(actor=searcher, purpose=PURPOSE, criteria=criteria).hits)
        return hits, len(captured.captured_queries)

    statements(one)  # the first search of a clerk has nothing to prune from the history yet
    one_hits, one_statements = statements(one)
    many_hits, many_statements = statements(many)
    assert one_hits == 1
    assert many_hits >= 5
    assert many_statements == one_statements
    # Every hit is still audited as having appeared in the results.
    listed: Any = AuditResultSubject.objects.order_by("-entry_id").values_list("entry_id", flat=True)
    assert Counter(listed)[listed[0]] == many_hits


def test_the_name_keys_have_no_index_of_their_own_beside_the_covering_ones(db: None) -> None:
    """full_key and variant_key lead a covering index each; a single-column index would only cost writes."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ResidentSearchKey._meta.db_table)
    columns = {
        name: info["columns"]
        for name, info in constraints.items()
        if info["index"] and not info["primary_key"]
    }
    assert [name for name, cols in columns.items() if cols in (["full_key"], ["variant_key"])] == []
    assert columns["registry_skey_kana_idx"][0] == "full_key"
    assert columns["registry_skey_variant_idx"][:2] == ["variant_key", "birth_sort_date"]


# One warm search, counting SAVEPOINT/RELEASE (the test runs inside a transaction): authorisation (the
# grants), the savepoint, the hits with their ids in one statement, both marks in one, the audit entry
# (head, entry, head's hash, the listed people), the history entry and its pruning, the release.
# Before November 2026 (issue 5, P2) the ids, the rows and the two marks took four statements: 13.
SEARCH_BUDGET = 11


def test_a_search_stays_within_its_statement_budget(key_rows: list[_Row], searcher: User) -> None:
    code = Counter(row[3] for row in key_rows if row[4] and row[3]).most_common(1)[0][0]
    criteria = SearchCriteria(address_code=code)
    search_residents(actor=searcher, purpose=PURPOSE, criteria=criteria)  # the first prunes nothing
    with CaptureQueriesContext(connection) as captured:
        hits = search_residents(actor=searcher, purpose=PURPOSE, criteria=criteria).hits
    assert len(hits) >= 5
    assert len(captured.captured_queries) <= SEARCH_BUDGET


def test_a_cut_page_holds_the_first_people_of_the_id_walk(key_rows: list[_Row], searcher: User) -> None:
    """With more people than the limit, the page is the first ``limit`` people the id statement found."""
    code = Counter(row[3] for row in key_rows if row[4] and row[3]).most_common(1)[0][0]
    criteria = SearchCriteria(address_code=code, limit=3)
    result = search_residents(actor=searcher, purpose=PURPOSE, criteria=criteria)
    walked = list(matching_ids(search_filter(criteria), 3))
    assert result.has_more is True
    assert len(walked) == 4
    expected = set(
        ResidentSearchKey.objects.filter(resident_id__in=walked[:3]).values_list(
            "resident__atena_number", flat=True
        )
    )
    assert {hit.atena_number for hit in result.hits} == expected


def test_the_hit_statement_walks_a_covering_index_for_its_ids(key_rows: list[_Row]) -> None:
    """The one statement a search runs keeps the id walk of ``matching_ids`` on a covering index."""
    if connection.vendor == "postgresql":
        pytest.skip("the planner prefers a sequential scan on a small table; the index check is above")
    for criteria, _ in _shapes(key_rows):
        sql, params = _hit_statement(search_filter(criteria), 200)
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(step[-1]) for step in cursor.fetchall())
        assert "USING COVERING INDEX registry_skey_" in plan, (criteria, plan)
