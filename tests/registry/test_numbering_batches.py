"""The batched numbering helpers give what the one-at-a-time ones give (performance.md P3)."""

from __future__ import annotations

import pytest

from jumin.domain.errors import DomainError
from jumin.registry import numbering
from jumin.registry.models import JuminhyoCodePool

pytestmark = pytest.mark.django_db


def test_issuing_three_numbers_at_once_gives_the_next_three_in_order() -> None:
    first = numbering.issue_number(numbering.ATENA)
    batch = numbering.issue_numbers(numbering.ATENA, 3)
    after = numbering.issue_number(numbering.ATENA)
    one_by_one = [first, *batch, after]
    assert len(set(one_by_one)) == 5
    assert [int(n[:-1]) for n in one_by_one] == sorted(int(n[:-1]) for n in one_by_one)


def test_issuing_no_numbers_leaves_the_counter_alone() -> None:
    before = numbering.issue_number(numbering.HOUSEHOLD)
    assert numbering.issue_numbers(numbering.HOUSEHOLD, 0) == []
    assert int(numbering.issue_number(numbering.HOUSEHOLD)[:-1]) > int(before[:-1])


def test_issuing_two_counters_at_once_continues_each_as_one_by_one_would() -> None:
    household_before = numbering.issue_number(numbering.HOUSEHOLD)
    atena_before = numbering.issue_number(numbering.ATENA)
    issued = numbering.issue_numbers_of({numbering.HOUSEHOLD: 1, numbering.ATENA: 2})
    household_after = numbering.issue_number(numbering.HOUSEHOLD)
    atena_after = numbering.issue_number(numbering.ATENA)
    households = [household_before, *issued[numbering.HOUSEHOLD], household_after]
    atena = [atena_before, *issued[numbering.ATENA], atena_after]
    assert (len(set(households)), len(set(atena))) == (3, 4)
    for numbers in (households, atena):
        serials = [int(n[:-1]) for n in numbers]
        assert serials == sorted(serials)
    assert numbering.issue_numbers_of({numbering.HOUSEHOLD: 0, numbering.ATENA: 0}) == {
        numbering.HOUSEHOLD: [],
        numbering.ATENA: [],
    }


def test_codes_taken_together_are_distinct_and_all_marked_taken(code_pool: list[str]) -> None:
    taken = numbering.take_juminhyo_codes(3)
    assert len(set(taken)) == 3
    assert set(taken) <= set(code_pool)
    marked = JuminhyoCodePool.objects.filter(code__in=taken, taken_at__isnull=False).count()
    assert marked == 3
    assert JuminhyoCodePool.objects.filter(taken_at__isnull=True).count() == len(code_pool) - 3


def test_asking_for_more_codes_than_the_pool_holds_is_refused(code_pool: list[str]) -> None:
    with pytest.raises(DomainError) as refused:
        numbering.take_juminhyo_codes(len(code_pool) + 1)
    assert refused.value.code == "registry.code_pool_empty"
