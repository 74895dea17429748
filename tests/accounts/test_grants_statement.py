"""The grants statement every authorisation runs: prepared once per PostgreSQL connection, and right
for every actor and after every change all the same (accounts.authorization._grants_cursor)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from jumin.accounts.authorization import has_permission
from jumin.accounts.models import Grant
from jumin.accounts.permissions import Permission
from tests.helpers.accounts import grant_permissions, make_user

pytestmark = pytest.mark.django_db


def _prepared_grant_statements() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%" + Grant._meta.db_table + "%"],
        )
        return int(cursor.fetchone()[0])


def test_each_actor_gets_their_own_grants_and_a_withdrawn_grant_counts_no_more() -> None:
    searcher, clerk = make_user(username="searcher"), make_user(username="clerk")
    grant_permissions(searcher, [Permission.RESIDENT_SEARCH])
    grant_permissions(clerk, [Permission.RESIDENT_RECORD])
    for _ in range(3):  # the same statement, run again with other parameters
        assert has_permission(searcher, Permission.RESIDENT_SEARCH)
        assert not has_permission(searcher, Permission.RESIDENT_RECORD)
        assert has_permission(clerk, Permission.RESIDENT_RECORD)
        assert not has_permission(clerk, Permission.RESIDENT_SEARCH)
    Grant.objects.filter(user=searcher).update(ended_at=timezone.now())
    assert not has_permission(searcher, Permission.RESIDENT_SEARCH)
    assert has_permission(clerk, Permission.RESIDENT_RECORD)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_postgresql_prepares_the_grants_statement_once_per_connection() -> None:
    user = make_user(username="searcher")
    grant_permissions(user, [Permission.RESIDENT_SEARCH])
    assert has_permission(user, Permission.RESIDENT_SEARCH)
    assert _prepared_grant_statements() == 1
    for _ in range(10):
        assert has_permission(user, Permission.RESIDENT_SEARCH)
    assert _prepared_grant_statements() == 1
