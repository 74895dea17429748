"""The 世帯主氏名 of the members follows the head (standard 4.2.3.1-a; records.md §6.4).

A member's 世帯主氏名 is derived when a record is read, never stored on the member's row: a committed
change of the head's 氏名 (or of who is head) is on every member's current record at once, with no
member row to cascade; a 除票 keeps the head as it stood.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jumin.accounts.models import User
from jumin.registry import certificate_sources
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.ex_officio import record_ex_officio_correction, record_ex_officio_removal
from jumin.registry.workflows.household_change import record_household_change
from tests.registry.conftest import PURPOSE, current
from tests.registry.test_ex_officio import correction, removal
from tests.registry.test_household_change import HEAD, change

pytestmark = pytest.mark.django_db


def head_names(atena: str) -> dict[str, str]:
    """宛名番号 → 世帯主の氏名 as a certificate of this person's household prints it."""
    return {p.atena_number: p.head_name for p in certificate_sources.household_of(atena)}


def test_a_correction_of_the_head_s_name_is_on_every_member_at_once(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    head, wife, child = family.atena_numbers
    assert set(head_names(child).values()) == {"青木　太郎"}
    draft = record_ex_officio_correction(
        actor=clerk,
        purpose=PURPOSE,
        correction=correction([head], {"surname": "新姓", "surname_kana": "シンセイ"}),
    )
    assert set(head_names(child).values()) == {"青木　太郎"}  # a draft is never seen
    commit(draft)
    assert set(head_names(child).values()) == {"新姓　太郎"}
    # Derived, not copied: the members' records got no row of their own.
    assert (current(wife).history_no, current(child).history_no) == (1, 1)
    assert current(head).surname_kana == "シンセイ"


def test_a_new_head_is_on_a_member_whose_own_row_did_not_change(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head, wife, child = family.atena_numbers
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(HEAD, family.household_number, relationships={head: "夫", wife: "世帯主", child: "子"}),
    )
    assert child not in draft.atena_numbers  # 続柄 and order unchanged: no draft row
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert head_names(child)[child] == "青木　花子"


def test_a_removed_member_keeps_the_head_as_it_stood(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    head, _wife, child = family.atena_numbers
    commit(record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal([child])))
    commit(
        record_ex_officio_correction(
            actor=clerk, purpose=PURPOSE, correction=correction([head], {"surname": "新姓"})
        )
    )
    names = head_names(head)
    assert (names[head], names[child]) == ("新姓　太郎", "青木　太郎")
