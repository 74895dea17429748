"""A household 抑止 follows its membership (standard 3.1-g, 3.2-a): joiners are sent it, leavers its lift.

The commit that takes a person out of a household whose 抑止 is set (in force or set ahead) appends the
lift event for that person and lifts their CS mark in the same transaction; a joiner is sent a 抑止 set
ahead exactly as the members were at the set. The person's other 抑止 (their own, or the household they
join) are other restrictions and stay.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.utils import timezone

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.jukinet.cs.models_marks import CsRestrictionMark
from jumin.jukinet.cs.restriction_marks import marked_codes
from jumin.registry.models import Change
from jumin.registry.restriction_feed import EVENT_RESTRICTION_LIFTED, EVENT_RESTRICTION_SET, check_cs_marks
from jumin.registry.restrictions import RestrictedProcess, check_restrictions
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.services_restrictions import SuppressionScope, lift_suppression
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.registry.conftest import PURPOSE, current, family_move_in, person
from tests.registry.test_move_out import family
from tests.registry.test_restriction_feed import code_of, code_pool, marks, restriction_events
from tests.registry.test_restrictions import officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["code_pool", "family", "officer"]  # fixtures, imported for use here

HOUSEHOLD = SuppressionScope.HOUSEHOLD


def today() -> date:
    return timezone.localdate()


def household_change(kind: HouseholdChangeKind, household_number: str, **extra: object) -> HouseholdChange:
    values: dict[str, object] = {
        "kind": kind,
        "household_number": household_number,
        "change_date": today() - timedelta(days=1),
        "notification_date": today(),
    }
    values.update(extra)
    return HouseholdChange(**values)  # type: ignore[arg-type]


def split_off(clerk: User, reviewer: User, household_number: str, leaver: str) -> DraftRecorded:
    """世帯分離 of ``leaver`` into a new household of their own, committed."""
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=household_change(
            HouseholdChangeKind.SPLIT, household_number, members=[leaver], relationships={leaver: "世帯主"}
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def sent(atena: str) -> list[tuple[str, int | None]]:
    """(event type, restriction id) of every 抑止 event of one person, oldest first."""
    return [(kind, rid) for kind, n, _, rid in restriction_events() if n == atena]


def commit_reason(draft: DraftRecorded) -> str:
    return AuditEntry.objects.get(
        action="resident:change:commit", outcome="done", subject_id=str(draft.change_id)
    ).reason


def test_a_member_who_leaves_a_suppressed_household_is_sent_its_lift_and_loses_the_cs_mark(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    head, wife, child = family.atena_numbers
    suppression_id = suppress(officer, family.household_number, scope=HOUSEHOLD)

    draft = split_off(clerk, reviewer, family.household_number, child)

    assert sent(child) == [
        (EVENT_RESTRICTION_SET, suppression_id),
        (EVENT_RESTRICTION_LIFTED, suppression_id),
    ]
    assert marks()[-1] == (code_of(child), "lift", "suppression", suppression_id)
    assert marked_codes(code_of(n) for n in family.atena_numbers) == {code_of(head), code_of(wife)}
    assert commit_reason(draft) == "left: feed events=1 cs_marks=1 no_code=0"
    # The CS now holds exactly what the registry holds in force: the resync would change nothing.
    assert check_cs_marks(actor=officer, purpose=PURPOSE).differences == ()

    # The lift of the 抑止 goes to the members; the leaver was sent theirs already.
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    lifted = [n for kind, n, _, _ in restriction_events() if kind == EVENT_RESTRICTION_LIFTED]
    assert sorted(lifted) == sorted([child, head, wife])
    assert marked_codes(code_of(n) for n in family.atena_numbers) == set()


def test_a_member_the_same_commit_keeps_in_the_household_keeps_the_suppression(
    officer: User,
    clerk: User,
    reviewer: User,
    code_pool: list[str],
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    """The head splits off; the one member left becomes head by 職権 in the same commit and stays."""
    couple = commit(
        record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=family_move_in().members[:2])
        )
    )
    head, wife = couple.atena_numbers
    suppression_id = suppress(officer, couple.household_number, scope=HOUSEHOLD)

    draft = split_off(clerk, reviewer, couple.household_number, head)

    assert Change.objects.filter(follows_id=draft.change_id).exists()  # the wife's row is in the commit
    assert sent(head) == [(EVENT_RESTRICTION_SET, suppression_id), (EVENT_RESTRICTION_LIFTED, suppression_id)]
    assert sent(wife) == [(EVENT_RESTRICTION_SET, suppression_id)]
    assert marked_codes([code_of(head), code_of(wife)]) == {code_of(wife)}


def test_a_leaver_who_holds_their_own_suppression_keeps_that_mark(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    household_id = suppress(officer, family.household_number, scope=HOUSEHOLD)
    own_id = suppress(officer, child)

    split_off(clerk, reviewer, family.household_number, child)

    assert sent(child) == [
        (EVENT_RESTRICTION_SET, household_id),
        (EVENT_RESTRICTION_SET, own_id),
        (EVENT_RESTRICTION_LIFTED, household_id),
    ]
    assert marked_codes([code_of(child)]) == {code_of(child)}
    in_force = CsRestrictionMark.objects.filter(resident_code=code_of(child)).order_by("pk")
    assert [(m.action, m.restriction_id) for m in in_force] == [
        ("set", household_id),
        ("set", own_id),
        ("lift", household_id),
    ]


def test_a_household_merging_into_another_suppressed_household_swaps_one_mark_for_the_other(
    family: DraftRecorded, other_household: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    left_id = suppress(officer, other_household.household_number, scope=HOUSEHOLD)
    joined_id = suppress(officer, family.household_number, scope=HOUSEHOLD)
    sato, sato_child = other_household.atena_numbers

    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=household_change(
            HouseholdChangeKind.MERGE,
            other_household.household_number,
            target_household_number=family.household_number,
            relationships={sato: "同居人", sato_child: "同居人"},
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)

    for mover in (sato, sato_child):
        assert sent(mover) == [
            (EVENT_RESTRICTION_SET, left_id),
            (EVENT_RESTRICTION_SET, joined_id),
            (EVENT_RESTRICTION_LIFTED, left_id),
        ]
    assert marked_codes([code_of(sato), code_of(sato_child)]) == {code_of(sato), code_of(sato_child)}
    assert check_cs_marks(actor=officer, purpose=PURPOSE).differences == ()
    # The former household's 抑止 now holds nobody: its lift is sent to nobody more.
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=left_id, reason="調査終了")
    assert [n for kind, n, _, rid in restriction_events() if kind == EVENT_RESTRICTION_LIFTED] == [
        sato,
        sato_child,
    ]


def test_a_household_suppression_set_ahead_reaches_a_joiner_exactly_as_it_reached_the_members(
    family: DraftRecorded, officer: User, clerk: User, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    start = clock.today() + timedelta(days=3)
    suppression_id = suppress(officer, family.household_number, scope=HOUSEHOLD, start_date=start)

    joined = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(
                members=[person(given_name="四郎", given_name_kana="シロウ", relationship="子")],
                household_number=family.household_number,
            ),
        )
    )
    newcomer = joined.atena_numbers[0]
    everyone = [*family.atena_numbers, newcomer]

    for atena in everyone:
        assert sent(atena) == [(EVENT_RESTRICTION_SET, suppression_id)]
    starts = dict(CsRestrictionMark.objects.values_list("resident_code", "effective_from"))
    assert starts == {code_of(n): start for n in everyone}
    assert marked_codes(code_of(n) for n in everyone) == set()
    assert marked_codes((code_of(n) for n in everyone), on=start) == {code_of(n) for n in everyone}
    assert "feed events=1 cs_marks=1 no_code=0" in commit_reason(joined)


def test_a_leaver_of_a_household_whose_suppression_is_yet_to_start_is_sent_its_lift(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    head, wife, child = family.atena_numbers
    start = clock.today() + timedelta(days=3)
    suppression_id = suppress(officer, family.household_number, scope=HOUSEHOLD, start_date=start)

    split_off(clerk, reviewer, family.household_number, child)

    assert sent(child) == [
        (EVENT_RESTRICTION_SET, suppression_id),
        (EVENT_RESTRICTION_LIFTED, suppression_id),
    ]
    codes = [code_of(n) for n in family.atena_numbers]
    assert marked_codes(codes, on=start) == {code_of(head), code_of(wife)}


def test_a_cancelled_split_brings_the_member_back_under_the_household_suppression(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    suppression_id = suppress(officer, family.household_number, scope=HOUSEHOLD)
    split = split_off(clerk, reviewer, family.household_number, child)

    cancellation = record_cancellation(
        actor=clerk,
        purpose=PURPOSE,
        cancellation=Cancellation(change_id=split.change_id, reason="届出人の錯誤"),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=cancellation.change_id)

    assert current(child).household.number == family.household_number
    assert sent(child) == [
        (EVENT_RESTRICTION_SET, suppression_id),
        (EVENT_RESTRICTION_LIFTED, suppression_id),
        (EVENT_RESTRICTION_SET, suppression_id),
    ]
    assert marked_codes([code_of(child)]) == {code_of(child)}


def test_a_member_who_moves_out_keeps_the_mark_on_the_removed_record(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    """A 転出 leaves the 除票 in its household: nothing is lifted, as the resync would lift nothing."""
    child = family.atena_numbers[2]
    suppression_id = suppress(officer, family.household_number, scope=HOUSEHOLD)
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=MoveOut(
            atena_numbers=[child], planned_date=today(), destination="福岡県福岡市", notification_date=today()
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)

    assert sent(child) == [(EVENT_RESTRICTION_SET, suppression_id)]
    assert marked_codes([code_of(child)]) == {code_of(child)}
    assert "left:" not in commit_reason(draft)
    assert check_cs_marks(actor=officer, purpose=PURPOSE).differences == ()


def test_a_commit_that_moves_nobody_out_of_a_suppressed_household_sends_nothing(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    """A 世帯主変更 touches every member and moves none: no event, no CS row, no count in the audit."""
    head, wife, child = family.atena_numbers
    suppress(officer, family.household_number, scope=HOUSEHOLD, process=RestrictedProcess.CERTIFICATE)
    events, rows = restriction_events(), marks()
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=household_change(
            HouseholdChangeKind.HEAD_CHANGE,
            family.household_number,
            relationships={head: "父", wife: "母", child: "世帯主"},
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (restriction_events(), marks()) == (events, rows)
    assert commit_reason(draft) == ""


def test_the_check_names_a_household_suppression_set_ahead_for_joiners_and_leavers_but_finds_nothing(
    family: DraftRecorded, officer: User, other_household: DraftRecorded
) -> None:
    """Not in force before its start date (3.1-b), yet a commit must send it to whoever joins or leaves."""
    ahead = suppress(
        officer,
        family.household_number,
        scope=HOUSEHOLD,
        process=RestrictedProcess.CHANGE_ENTRY,
        start_date=clock.today() + timedelta(days=3),
    )
    leaving = check_restrictions(
        [family.atena_numbers[2]],
        process=RestrictedProcess.CHANGE_ENTRY,
        household_numbers=[other_household.household_number],
    )
    assert (leaving.findings, leaving.left_household_suppressions, leaving.joined_household_suppressions) == (
        (),
        (ahead,),
        (),
    )
    joining = check_restrictions(
        [other_household.atena_numbers[0]],
        process=RestrictedProcess.CHANGE_ENTRY,
        household_numbers=[family.household_number],
    )
    assert (joining.findings, joining.left_household_suppressions, joining.joined_household_suppressions) == (
        (),
        (),
        (ahead,),
    )
    in_force = check_restrictions(
        [family.atena_numbers[2]],
        process=RestrictedProcess.CHANGE_ENTRY,
        on=clock.today() + timedelta(days=3),
    )
    assert in_force.blocked
