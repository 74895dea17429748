"""世帯主変更 by 職権 when the 世帯主 leaves one member behind (standard 4.0.4-a; issue 4).

The change that takes the head away carries a second, following change (世帯変更, 届出区分 職権)
that makes the remaining member 世帯主: shown, committed, discarded and cancelled with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry.models import Change, ChangeState, ExOfficioRecord, RegistryEvent, ResidentSnapshot
from jumin.registry.selectors import draft_for_review, drafts_for_review, resident_history
from jumin.registry.selectors_corrections import ex_officio_notice
from jumin.registry.selectors_review import confirmation, pending_drafts
from jumin.registry.services import DraftRecorded, commit_change, discard_change, record_move_in
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.ex_officio import ExOfficioRemoval, RecordBook, record_ex_officio_removal
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.household_members import HEAD_BY_EX_OFFICIO, HEAD_CHANGE_REQUEST
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in
from tests.registry.test_cancellation import NEW_ADDRESS

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def couple(
    clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]
) -> DraftRecorded:
    """A committed household of two: 世帯主 and 妻."""
    members = family_move_in().members[:2]
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=members)))


def follower_of(draft: DraftRecorded) -> Change:
    return Change.objects.get(follows_id=draft.change_id)


def move_out(numbers: list[str]) -> MoveOut:
    return MoveOut(
        atena_numbers=numbers, planned_date=today(), destination="東京都日野市", notification_date=today()
    )


def assert_wife_is_head_by_ex_officio(draft: DraftRecorded, wife: str, reviewer: User) -> Change:
    """The draft carries the wife's 職権 世帯主変更, and committing the draft commits it."""
    assert HEAD_BY_EX_OFFICIO in [a.code for a in draft.alerts]
    follower = follower_of(draft)
    assert (follower.reason, follower.notification_kind, follower.state) == (
        ChangeReason.HOUSEHOLD_CHANGE,
        "職権",
        ChangeState.DRAFT,
    )
    assert ExOfficioRecord.objects.get(change=follower).action == "世帯主変更"
    assert current(wife).is_head is False  # nothing visible before 本登録
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    follower.refresh_from_db()
    assert follower.state == ChangeState.COMMITTED
    row = current(wife)
    assert (row.is_head, row.relationship, row.change_id) == (True, "世帯主", follower.pk)
    return follower


def test_a_move_out_of_the_head_makes_the_remaining_member_head_by_ex_officio(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    assert draft.atena_numbers == (head,)
    follower = assert_wife_is_head_by_ex_officio(draft, wife, reviewer)
    # The history shows the 職権 change as its own row; the outbox reports it as a 世帯変更.
    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=wife)
    assert [(v.history_no, v.change_reason, v.relationship) for v in history] == [
        (1, ChangeReason.DOMESTIC_MOVE_IN, "妻"),
        (2, ChangeReason.HOUSEHOLD_CHANGE, "世帯主"),
    ]
    assert list(
        RegistryEvent.objects.filter(change=follower).values_list("atena_number", "change_reason")
    ) == [(wife, ChangeReason.HOUSEHOLD_CHANGE)]
    commits = AuditEntry.objects.filter(action="resident:change:commit", outcome="done")
    assert commits.get(subject_id=str(follower.pk)).reason == f"follows={draft.change_id}"
    assert current(head).status == ResidentStatus.REMOVED


def test_the_notice_of_the_ex_officio_head_change_names_the_new_head(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    follower = assert_wife_is_head_by_ex_officio(draft, wife, reviewer)
    notice = ex_officio_notice(actor=reviewer, purpose=PURPOSE, change_id=follower.pk)
    assert (notice.action, notice.notice_required) == ("世帯主変更", True)
    [person] = notice.persons
    assert person.atena_number == wife
    assert [(i.label, i.before, i.after) for i in person.items] == [("続柄", "妻", "世帯主")]


def test_the_reviewer_sees_the_ex_officio_row_with_the_draft_and_cannot_commit_it_alone(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    follower = follower_of(draft)
    shown = draft_for_review(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert [(v.atena_number, v.relationship) for v in shown] == [(head, "世帯主"), (wife, "世帯主")]
    [preview] = confirmation(actor=reviewer, purpose=PURPOSE, change_ids=[draft.change_id])
    by_person = {p.atena_number: p for p in preview.people}
    assert by_person[wife].follower_change_id == follower.pk
    assert by_person[head].follower_change_id is None
    # Listed once, through the draft it follows.
    assert [d.change_id for d in drafts_for_review(actor=reviewer)] == [draft.change_id]
    assert [d.change_id for d in pending_drafts(actor=reviewer)] == [draft.change_id]
    with pytest.raises(DomainError) as refused:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=follower.pk)
    assert refused.value.code == "registry.follower_with_its_change"
    with pytest.raises(DomainError):
        discard_change(actor=clerk, purpose=PURPOSE, change_id=follower.pk, reason="誤り")
    assert current(wife).history_no == 1


def test_discarding_the_draft_discards_the_ex_officio_change_and_frees_the_member(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head = couple.atena_numbers[0]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    discard_change(actor=clerk, purpose=PURPOSE, change_id=draft.change_id, reason="入力誤り")
    assert follower_of(draft).state == ChangeState.DISCARDED
    # The wife's edit lock ended with the draft: another clerk's draft may include her.
    again = record_move_out(actor=reviewer, purpose=PURPOSE, move_out=move_out([head]))
    assert follower_of(again).state == ChangeState.DRAFT


def test_cancelling_the_move_out_restores_the_former_head(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    assert_wife_is_head_by_ex_officio(draft, wife, reviewer)
    cancellation = record_cancellation(
        actor=clerk,
        purpose=PURPOSE,
        cancellation=Cancellation(change_id=draft.change_id, reason="届出人の錯誤", atena_numbers=[head]),
    )
    assert set(cancellation.atena_numbers) == {head, wife}
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=cancellation.change_id)
    restored_head, restored_wife = current(head), current(wife)
    assert (restored_head.status, restored_head.is_head, restored_head.relationship) == (
        ResidentStatus.RESIDENT,
        True,
        "世帯主",
    )
    assert (restored_wife.is_head, restored_wife.relationship, restored_wife.history_no) == (False, "妻", 3)
    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=wife)
    assert [v.relationship for v in history] == ["妻", "世帯主", "妻"]


def test_a_death_of_the_head_makes_the_remaining_member_head(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    died = today() - timedelta(days=1)
    draft = record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=head, death_date=died, notification_date=today()),
    )
    assert_wife_is_head_by_ex_officio(draft, wife, reviewer)
    cancellation = record_cancellation(
        actor=clerk, purpose=PURPOSE, cancellation=Cancellation(change_id=draft.change_id, reason="誤り")
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=cancellation.change_id)
    assert (current(head).is_head, current(wife).is_head) == (True, False)


def test_a_move_within_of_the_head_alone_makes_the_remaining_member_head(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    move = MoveWithin(
        movers=[head],
        address=NEW_ADDRESS,
        move_date=today() - timedelta(days=1),
        notification_date=today(),
        relationships={head: "世帯主"},
    )
    draft = record_move_within(actor=clerk, purpose=PURPOSE, move=move)
    assert_wife_is_head_by_ex_officio(draft, wife, reviewer)
    assert current(head).household.number != current(wife).household.number
    cancellation = record_cancellation(
        actor=clerk, purpose=PURPOSE, cancellation=Cancellation(change_id=draft.change_id, reason="誤り")
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=cancellation.change_id)
    back_head, back_wife = current(head), current(wife)
    assert back_head.household_id == back_wife.household_id
    assert (back_head.is_head, back_wife.is_head, back_wife.relationship) == (True, False, "妻")


def test_a_split_of_the_head_makes_the_remaining_member_head(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    change = HouseholdChange(
        kind=HouseholdChangeKind.SPLIT,
        household_number=couple.household_number,
        change_date=today() - timedelta(days=1),
        notification_date=today(),
        members=[head],
        relationships={head: "世帯主"},
    )
    draft = record_household_change(actor=clerk, purpose=PURPOSE, change=change)
    assert_wife_is_head_by_ex_officio(draft, wife, reviewer)
    assert current(wife).household.number == couple.household_number


def test_an_ex_officio_removal_of_the_head_makes_the_remaining_member_head(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    book = RecordBook(
        legal_basis="住民基本台帳法第8条",
        found_on=today(),
        grounds="居住の実態なし",
        findings="現地調査の結果",
    )
    removal = ExOfficioRemoval(
        atena_numbers=[head],
        removal_date=today(),
        record=book,
        acknowledged_alerts=[HEAD_BY_EX_OFFICIO],
    )
    draft = record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal)
    assert_wife_is_head_by_ex_officio(draft, wife, reviewer)


def test_two_or_more_remaining_members_keep_the_alert_and_get_no_automatic_change(
    clerk: User, family: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    assert [a.code for a in draft.alerts] == [HEAD_CHANGE_REQUEST]
    assert not Change.objects.filter(follows_id=draft.change_id).exists()


def test_a_remaining_member_in_another_open_draft_is_left_to_the_clerk(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    died = today() - timedelta(days=1)
    record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=wife, death_date=died, notification_date=today()),
    )
    draft = record_move_out(actor=reviewer, purpose=PURPOSE, move_out=move_out([head]))
    assert [a.code for a in draft.alerts] == [HEAD_BY_EX_OFFICIO]
    assert "世帯主変更通知書を送付してください" in draft.alerts[0].message
    assert not Change.objects.filter(follows_id=draft.change_id).exists()


def test_a_member_leaving_without_the_head_changes_nobody_else(clerk: User, couple: DraftRecorded) -> None:
    wife = couple.atena_numbers[1]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([wife]))
    assert draft.alerts == ()
    assert not Change.objects.filter(follows_id=draft.change_id).exists()
    assert ResidentSnapshot.objects.filter(change_id=draft.change_id).count() == 1


def test_the_draft_screen_shows_the_ex_officio_row_and_commits_both(
    clerk: User, reviewer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
    client = logged_in(reviewer)
    url = reverse("registry:draft", args=[draft.change_id])
    shown = client.post(url, {"purpose": PURPOSE, "show": "1"}).content.decode()
    assert f"<td>{ChangeReason.HOUSEHOLD_CHANGE}</td>" in shown
    assert f"<td>{ChangeReason.DOMESTIC_MOVE_OUT}</td>" in shown
    done = client.post(url, {"purpose": PURPOSE, "commit": "1"}).content.decode()
    assert "本登録しました。" in done
    assert current(wife).is_head
