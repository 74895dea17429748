"""An issuance checks 抑止 and 支援措置 only under the row locks a setter also takes (registry
restriction_locks; standard 3.1-b, 3.4-a). On both engines: the order of the calls, and a 抑止 written
just before the locks are granted refuses the issuance. The race itself, two connections on
PostgreSQL: tests/registry/test_restriction_race.py (issuance mode)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from jumin.accounts.models import User
from jumin.certificates import services as certificate_services
from jumin.certificates.models import Issuance
from jumin.certificates.services import preview_certificate
from jumin.domain.errors import DomainError
from jumin.registry import restriction_locks, services_restrictions
from jumin.registry.models import Household, Resident
from jumin.registry.restrictions import RestrictionLevel
from jumin.registry.services import DraftRecorded
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.test_restrictions import issue, officer, refusals, suppress
from tests.registry.test_restriction_locks import calls

pytestmark = pytest.mark.django_db
__all__ = ["calls", "officer"]  # the fixtures, imported for use here


@pytest.fixture
def issuance_calls(calls: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """``calls`` (the registry's recorder of locks and checks), also recording the certificates' check."""
    monkeypatch.setattr(certificate_services, "check_restrictions", services_restrictions.check_restrictions)
    return calls


def test_an_issuance_locks_the_households_then_the_printed_persons_before_its_check(
    family: DraftRecorded, issuer: User, certifier: Any, issuance_calls: list[tuple[str, Any]]
) -> None:
    issue(issuer, [family.atena_numbers[0]])  # the whole household of three

    household = Household.objects.get(number=family.household_number).pk
    people = set(Resident.objects.filter(atena_number__in=family.atena_numbers).values_list("pk", flat=True))
    assert [name for name, _ in issuance_calls] == ["households", "residents", "check"]
    (_, (households, *in_transaction_at_households)), (_, (persons, *in_transaction_at_persons)), check = (
        issuance_calls
    )
    assert (households, persons) == ({household}, people)
    # Each lock and the check inside the issuance's transaction (nothing was set meanwhile: 0 rows).
    assert (in_transaction_at_households, in_transaction_at_persons, check) == (
        [True, 0],
        [True, 0],
        ("check", True),
    )


def test_the_confirmation_screen_only_advises_and_takes_no_lock(
    family: DraftRecorded, issuer: User, certifier: Any, issuance_calls: list[tuple[str, Any]]
) -> None:
    preview_certificate(
        actor=issuer,
        purpose=CERT_PURPOSE,
        request=own_request(),
        options=options_for([family.atena_numbers[0]]),
    )
    assert [name for name, _ in issuance_calls] == ["check"]


def test_a_suppression_committed_while_the_issuance_waits_on_its_lock_refuses_it(
    family: DraftRecorded,
    officer: User,
    issuer: User,
    certifier: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The setter gets the person's lock first and commits; the issuance, granted the lock after it,
    sees the 抑止 (on SQLite the setter cannot run inside the issuance: its write is staged at the lock)."""
    child = family.atena_numbers[2]
    lock_residents = restriction_locks.lock_residents
    setter_ran: list[bool] = []

    def granted_after_the_setter(ids: Iterable[int]) -> dict[int, Resident]:
        if not setter_ran:  # the issuance's lock (the setter's own lock comes through here too)
            setter_ran.append(True)
            # In the issuance's transaction here, so rolled back with it: the refusal must not need it.
            suppress(officer, child, RestrictionLevel.ERROR)
        return lock_residents(ids)

    monkeypatch.setattr(restriction_locks, "lock_residents", granted_after_the_setter)
    with pytest.raises(DomainError) as caught:
        issue(issuer, [family.atena_numbers[0]])
    assert caught.value.code == "certificates.restricted"
    assert refusals("certificates.restricted") == 1  # audited after the rollback
    assert not Issuance.objects.exists()
