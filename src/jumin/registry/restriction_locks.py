"""Row locks that serialise a 本登録 or a 証明書交付 with a 抑止 or 支援措置 being set (standard 3.1-b, 3.4).

A commit checks the 異動入力 restrictions of its persons and households and then writes. Were the
check made before its locks, a 抑止 another clerk sets in between would be missed. So both sides take
the same row locks inside their transaction, and the commit checks only once it holds them:

* the commit (``services.commit_change``) locks every household its rows leave or enter, then every
  person, and checks after (``services_restrictions.enforce_in_transaction``);
* an issuance (``certificates.services``) locks the printed persons' current households, then the
  persons, and checks after (``services_restrictions.lock_persons``);
* ``set_suppression`` locks the household of a household 抑止, or the person of a person 抑止, before
  writing it; ``create_support_measure`` locks its protected persons.

On PostgreSQL (READ COMMITTED) a commit that gets the lock first finishes before the setter goes on
(the 抑止 is then set after it); a setter that gets it first commits before the commit's check reads,
and each statement sees what was committed before it began, so the check sees the 抑止. Households
before persons, each in id order, on both sides: no two of them ever wait for each other in a cycle.

On SQLite ``select_for_update`` is a no-op and needs to be none: every transaction begins with
``BEGIN IMMEDIATE`` (settings/env.py), which takes the database's one write lock at once, so a commit's
check and its writes and a whole set of a 抑止 never interleave.
"""

from __future__ import annotations

from collections.abc import Iterable

from jumin import fixed_sql
from jumin.registry.models import Household, Resident


def lock_households(household_ids: Iterable[int | None]) -> None:
    """Row-lock these households (id order): nobody joins or leaves them, nor gets a 抑止 on them, until
    the caller's transaction ends. One statement; none for no household."""
    ids = sorted({pk for pk in household_ids if pk is not None})
    if ids:
        locking = fixed_sql.reading(
            lambda: Household.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk")
        )
        fixed_sql.read(("restriction_locks.households", len(ids)), ids, locking)


def lock_residents(resident_ids: Iterable[int]) -> dict[int, Resident]:
    """Row-lock these persons (id order, after any household) and return them by id; one statement."""
    ids = sorted(set(resident_ids))
    rows = fixed_sql.instances(
        ("restriction_locks.residents", len(ids)),
        ids,
        lambda: Resident.objects.select_for_update().filter(pk__in=ids).order_by("pk"),
    )
    return {resident.pk: resident for resident in rows}
