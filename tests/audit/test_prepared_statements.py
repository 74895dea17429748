"""The statements every search runs are prepared once per PostgreSQL connection (``jumin.prepared``):
the audit append, its result rows and the search history; the chain and the history stay right."""

from __future__ import annotations

import pytest
from django.db import connection

from jumin.audit.models import AuditResultSubject
from jumin.audit.selectors import verify_chain
from jumin.audit.services import record_results
from jumin.registry import search_history
from jumin.registry.search import SearchCriteria
from tests.helpers.accounts import make_user

pytestmark = pytest.mark.django_db


def _prepared(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%" + table + "%"]
        )
        return int(cursor.fetchone()[0])


def _search_like_writes(actor: object, n: int) -> None:
    ids = [f"{n:04d}{k:08d}" for k in range(n % 3 + 1)]
    record_results(actor, "resident", ids, "resident_counter", "kana_name+birth_date")
    search_history.remember(actor, SearchCriteria(kana_name=f"サトウ{n}"), "kana_name", len(ids))


def test_repeated_appends_chain_list_and_prune_as_before() -> None:
    actor = make_user(username="prepared-searcher")
    for n in range(search_history.HISTORY_SIZE + 5):
        _search_like_writes(actor, n)
    verdict = verify_chain()
    assert verdict.intact, verdict
    assert verdict.entries >= search_history.HISTORY_SIZE + 5
    last = AuditResultSubject.objects.order_by("-entry_id", "position").values_list("subject_id", flat=True)
    n = search_history.HISTORY_SIZE + 4
    assert list(last[: n % 3 + 1]) == [f"{n:04d}{k:08d}" for k in range(n % 3 + 1)]
    assert len(search_history.history_of(actor)) == search_history.HISTORY_SIZE


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_postgresql_prepares_each_statement_once_per_connection() -> None:
    actor = make_user(username="prepared-searcher")
    _search_like_writes(actor, 0)
    counts = {table: _prepared(table) for table in ("audit_auditchainhead", "audit_auditresultsubject")}
    history = _prepared("registry_searchhistoryentry")
    assert counts == {"audit_auditchainhead": 1, "audit_auditresultsubject": 1}
    assert history == 1  # the INSERT and the pruning DELETE, one statement
    for n in range(1, 12):
        _search_like_writes(actor, n)
    assert {table: _prepared(table) for table in counts} == counts
    assert _prepared("registry_searchhistoryentry") == history
