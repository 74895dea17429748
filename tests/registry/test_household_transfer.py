"""世帯変更 in the narrow sense (standard 4.1.4.1-a): members move into another existing household."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry.models import Change, ChangeState, RegistryEvent
from jumin.registry.selectors import resident_history
from jumin.registry.services import Address, DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.household_members import HEAD_BY_EX_OFFICIO, HEAD_CHANGE_REQUEST
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in
from tests.registry.test_household_change import _form, change

pytestmark = pytest.mark.django_db

TRANSFER = HouseholdChangeKind.TRANSFER


def _transfer(
    family: DraftRecorded, target: str, members: list[str], **relationships: str
) -> HouseholdChange:
    return change(
        TRANSFER,
        family.household_number,
        members=members,
        target_household_number=target,
        relationships=relationships or dict.fromkeys(members, "同居人"),
    )


def test_a_member_moves_into_the_other_household_behind_its_head(
    clerk: User, reviewer: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    head, wife, child = family.atena_numbers
    sato, sato_child = other_household.atena_numbers
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=_transfer(family, other_household.household_number, [child]),
    )
    assert (draft.atena_numbers, draft.household_number, draft.alerts) == (
        (child,),
        other_household.household_number,
        (),
    )
    assert Change.objects.get(pk=draft.change_id).reason == ChangeReason.HOUSEHOLD_CHANGE
    assert AuditEntry.objects.get(subject_id=str(draft.change_id)).reason == "世帯変更"
    assert current(child).household.number == family.household_number  # nothing visible before 本登録
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    moved = current(child)
    assert (moved.household.number, moved.is_head, moved.relationship, moved.member_order) == (
        other_household.household_number,
        False,
        "同居人",
        3,
    )
    assert moved.address == family_move_in().address.address  # the address never changes
    # The household left keeps its rows; the target's members and head are untouched.
    assert (current(head).history_no, current(wife).history_no) == (1, 1)
    assert current(head).is_head
    assert current(sato).is_head
    assert current(sato_child).history_no == 1
    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=child)
    assert [(v.history_no, v.change_reason) for v in history] == [
        (1, ChangeReason.DOMESTIC_MOVE_IN),
        (2, ChangeReason.HOUSEHOLD_CHANGE),
    ]
    assert list(
        RegistryEvent.objects.filter(change_id=draft.change_id).values_list("atena_number", "change_reason")
    ) == [(child, ChangeReason.HOUSEHOLD_CHANGE)]


def test_a_head_moving_with_one_member_left_behind_makes_that_member_head_by_ex_officio(
    clerk: User, reviewer: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    head, wife, child = family.atena_numbers
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=_transfer(family, other_household.household_number, [head, wife]),
    )
    assert HEAD_BY_EX_OFFICIO in [a.code for a in draft.alerts]
    follower = Change.objects.get(follows_id=draft.change_id)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    follower.refresh_from_db()
    assert follower.state == ChangeState.COMMITTED
    assert (current(child).is_head, current(child).relationship) == (True, "世帯主")


def test_a_head_moving_with_two_members_left_behind_is_an_alert(
    clerk: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=_transfer(family, other_household.household_number, [head]),
    )
    assert [a.code for a in draft.alerts] == [HEAD_CHANGE_REQUEST]
    assert not Change.objects.filter(follows_id=draft.change_id).exists()


@pytest.fixture
def elsewhere(clerk: User, commit: Callable[[DraftRecorded], DraftRecorded]) -> DraftRecorded:
    """A committed household of one at another address."""
    address = Address(address="長崎県佐世保市相生町2番2号", katagaki="", postal_code="8570044")
    members = family_move_in().members[:1]
    return commit(
        record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=members, address=address))
    )


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("whole", "registry.transfer_of_whole_household"),
        ("no_members", "registry.no_members"),
        ("not_a_member", "registry.not_a_member"),
        ("no_target", "registry.target_household_required"),
        ("itself", "registry.merge_into_itself"),
        ("elsewhere", "registry.target_at_other_address"),
        ("as_head", "registry.head_joins_household"),
    ],
)
def test_bad_transfers_are_refused_and_write_nothing(
    clerk: User,
    family: DraftRecorded,
    other_household: DraftRecorded,
    elsewhere: DraftRecorded,
    case: str,
    code: str,
) -> None:
    child = family.atena_numbers[2]
    target = other_household.household_number
    bad = {
        "whole": _transfer(family, target, list(family.atena_numbers)),
        "no_members": _transfer(family, target, []),
        "not_a_member": _transfer(family, target, [other_household.atena_numbers[1]]),
        "no_target": _transfer(family, "", [child]),
        "itself": _transfer(family, family.household_number, [child]),
        "elsewhere": _transfer(family, elsewhere.household_number, [child]),
        "as_head": _transfer(family, target, [child], **{child: "世帯主"}),
    }[case]
    changes, entries = Change.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as raised:
        record_household_change(actor=clerk, purpose=PURPOSE, change=bad)
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert (Change.objects.count(), AuditEntry.objects.count()) == (changes, entries)


def test_the_screen_enters_a_transfer(
    clerk: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    child = family.atena_numbers[2]
    data = _form(family) | {
        "kind": "世帯変更",
        "relationships": f"{child} 同居人",
        "target_household_number": other_household.household_number,
    }
    done = logged_in(clerk).post(reverse("registry:household_change"), data)
    assert "仮登録しました" in done.content.decode()
    draft = Change.objects.filter(reason=ChangeReason.HOUSEHOLD_CHANGE).latest("pk")
    assert [s.household.number for s in draft.snapshots.all()] == [other_household.household_number]
