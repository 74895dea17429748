"""Statement budgets of the 転入 path (performance.md P3): a count of SQL statements, never a time.

The budget is what the path needs today; a change that makes a 転入 issue more statements (an N+1
loop, a re-read) fails here and must either be fixed or raise the budget with a reason.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jumin.accounts.models import User
from jumin.registry.models import ResidentSearchKey
from jumin.registry.services import commit_change, record_move_in
from tests.registry.conftest import PURPOSE
from tests.registry.test_move_in import family_move_in

pytestmark = pytest.mark.django_db

# For a 3-person household, counting SAVEPOINT/RELEASE statements (the test runs inside a transaction).
# Draft: authorisation, 3 duplicate probes, change, household and 3 people with their numbers
# (4 counters), one INSERT of the 3 snapshots, audit. Commit: authorisation, the households' and the
# people's row locks, restriction checks (after the locks, restriction_locks) and last 履歴番号 in one
# statement each, 3 住民票コード from the pool (a random probe may wrap
# around), one UPDATE each for snapshots and people, search keys in 3 statements, 3 outbox events,
# lock release, audit. Before the batching (November 2026) the two took 33 and 59.
# The 市町村CS update in the same transaction (registry/cs_link.py, P3 counts it) adds at most 6: the
# maker's login name (操作者ID), the persons' CS rows under lock, one INSERT each for the versions, the
# new current rows and the waiting notices (送信待ち), and one for the CS未連携 list.
RECORD_MOVE_IN_BUDGET = 31
COMMIT_BUDGET = 50


def test_a_three_person_move_in_stays_within_its_statement_budget(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())  # warm caches (grants, counters)
    with CaptureQueriesContext(connection) as recorded:
        draft = record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(previous_address="大阪市")
        )
    with CaptureQueriesContext(connection) as committed:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert len(recorded.captured_queries) <= RECORD_MOVE_IN_BUDGET
    assert len(committed.captured_queries) <= COMMIT_BUDGET
    # The batched path still writes every person's search keys.
    assert ResidentSearchKey.objects.filter(resident__atena_number__in=draft.atena_numbers).count() == 3


def test_committing_does_not_issue_per_person_reads_of_people_or_history(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    with CaptureQueriesContext(connection) as committed:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    statements = [query["sql"] for query in committed.captured_queries]
    resident_reads = [s for s in statements if s.startswith('SELECT "registry_resident"."id"')]  # the locks
    history_reads = [s for s in statements if 'MAX("registry_residentsnapshot"."history_no")' in s]
    key_deletes = [s for s in statements if s.startswith('DELETE FROM "registry_residentsearchkey"')]
    assert (len(resident_reads), len(history_reads), len(key_deletes)) == (1, 1, 1)
