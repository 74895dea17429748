"""The 本登録 checks 異動入力 抑止 only under the row locks a setter of a 抑止 or 支援措置 also takes
(restriction_locks; standard 3.1-b; issue 4). On both engines: the order of the calls. The race itself,
two connections on PostgreSQL: test_restriction_race.py."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jumin.accounts.models import User
from jumin.registry import restriction_locks, services_restrictions
from jumin.registry.models import Household, Resident
from jumin.registry.models_restrictions import SupportMeasurePerson, Suppression
from jumin.registry.restrictions import RestrictedProcess
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.services_restrictions import SuppressionScope, create_support_measure
from tests.registry.conftest import PURPOSE
from tests.registry.test_change_entry_restrictions import ENTRIES
from tests.registry.test_restrictions import application, officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["officer"]  # the fixture, imported for use here


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Each lock taken and each restriction check made, in order, with whether a transaction was open
    and how many 抑止/支援措置 rows existed at the lock."""
    seen: list[tuple[str, Any]] = []
    lock_households = restriction_locks.lock_households
    lock_residents = restriction_locks.lock_residents
    check = services_restrictions.check_restrictions

    def rows_now() -> int:
        return Suppression.objects.count() + SupportMeasurePerson.objects.count()

    def households(ids: Iterable[int | None]) -> None:
        ids = list(ids)
        seen.append(("households", (set(ids), connection.in_atomic_block, rows_now())))
        lock_households(ids)

    def residents(ids: Iterable[int]) -> dict[int, Resident]:
        ids = list(ids)
        seen.append(("residents", (set(ids), connection.in_atomic_block, rows_now())))
        return lock_residents(ids)

    def checked(*args: Any, **kwargs: Any) -> Any:
        seen.append(("check", connection.in_atomic_block))
        return check(*args, **kwargs)

    monkeypatch.setattr(restriction_locks, "lock_households", households)
    monkeypatch.setattr(restriction_locks, "lock_residents", residents)
    monkeypatch.setattr(services_restrictions, "check_restrictions", checked)
    return seen


def split_child(clerk: User, family: DraftRecorded) -> DraftRecorded:
    """The child leaves the family's household for a new one (世帯分離): a row leaves one household
    and enters another."""
    enter, _ = ENTRIES["household_split"]
    return enter(clerk, family)


def test_a_commit_locks_the_households_left_and_entered_and_the_people_before_its_check(
    clerk: User, reviewer: User, family: DraftRecorded, calls: list[tuple[str, Any]]
) -> None:
    draft = split_child(clerk, family)
    calls.clear()  # the draft's own check, before any transaction, is not this test's concern

    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)

    left = Household.objects.get(number=family.household_number).pk
    entered = Household.objects.get(number=draft.household_number).pk
    child = Resident.objects.get(atena_number=family.atena_numbers[2]).pk
    assert [name for name, _ in calls] == ["households", "residents", "check"]
    (_, (households, in_transaction, _)), (_, (people, _, _)), (_, checked_in_transaction) = calls
    assert (households, people) == ({left, entered}, {child})
    assert in_transaction
    assert checked_in_transaction


def test_setting_a_person_suppression_locks_the_person_before_writing_it(
    officer: User, family: DraftRecorded, calls: list[tuple[str, Any]]
) -> None:
    suppress(officer, family.atena_numbers[0], process=RestrictedProcess.CHANGE_ENTRY)
    person = Resident.objects.get(atena_number=family.atena_numbers[0]).pk
    assert calls[0] == ("residents", ({person}, True, 0))


def test_setting_a_household_suppression_locks_the_household_before_writing_it(
    officer: User, family: DraftRecorded, calls: list[tuple[str, Any]]
) -> None:
    suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD)
    household = Household.objects.get(number=family.household_number).pk
    assert calls[0] == ("households", ({household}, True, 0))


def test_creating_a_support_measure_locks_its_persons_before_writing_it(
    officer: User, family: DraftRecorded, calls: list[tuple[str, Any]]
) -> None:
    head, wife, _child = family.atena_numbers
    create_support_measure(
        actor=officer, purpose=PURPOSE, application=application(head, co_applicants=[wife], provisional=True)
    )
    people = set(Resident.objects.filter(atena_number__in=[head, wife]).values_list("pk", flat=True))
    assert calls[0] == ("residents", (people, True, 0))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite takes no row locks (BEGIN IMMEDIATE)")
def test_on_postgresql_the_commit_selects_its_households_for_update(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    draft = split_child(clerk, family)
    with CaptureQueriesContext(connection) as committed:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    statements = [query["sql"] for query in committed.captured_queries]
    assert any(
        s.startswith('SELECT "registry_household"."id"') and s.endswith("FOR UPDATE") for s in statements
    )
