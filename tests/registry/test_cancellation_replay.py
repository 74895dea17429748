"""異動の取消し of an older change with later changes on top (standard 4.6.0.1-a).

The cancellation restores the record before the cancelled change and re-states every later change
on it, in one draft: the original rows stay byte for byte, the history shows the cancellation and
the re-stated rows. A later change that could not exist without the cancelled one is named instead.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet.cs.models import CsIdentity, CsIdentityVersion
from jumin.registry.models import Change, ResidentSearchKey, ResidentSnapshot
from jumin.registry.models_review import RegistryEvent
from jumin.registry.selectors_corrections import change_history
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_cancellation import NEW_ADDRESS, cancel, move_within, raw_rows, today
from tests.registry.test_cs_link import code_pool
from tests.registry.test_move_in import ADDRESS

pytestmark = pytest.mark.django_db
__all__ = ["code_pool"]  # the fixture: codes the CS accepts, so the CS update can be checked

DESTINATION = "東京都千代田区霞が関1丁目1番1号"


def move_out(clerk: User, atena_numbers: list[str]) -> DraftRecorded:
    return record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=MoveOut(
            atena_numbers=atena_numbers,
            planned_date=today(),
            destination=DESTINATION,
            notification_date=today(),
        ),
    )


def head_change(clerk: User, family: DraftRecorded) -> DraftRecorded:
    head, wife, child = family.atena_numbers
    return record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=HouseholdChange(
            kind=HouseholdChangeKind.HEAD_CHANGE,
            household_number=family.household_number,
            change_date=today(),
            notification_date=today(),
            relationships={wife: "世帯主", head: "夫", child: "子"},
        ),
    )


def rows_of(atena: str) -> list[ResidentSnapshot]:
    return list(
        ResidentSnapshot.objects.filter(resident__atena_number=atena, history_no__isnull=False).order_by(
            "history_no"
        )
    )


def test_a_move_within_under_a_later_move_out_is_cancelled_and_the_move_out_restated(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    head, wife, child = family.atena_numbers
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    left = commit(move_out(clerk, [child]))
    before = raw_rows()
    original_move_out = current(child)
    draft = cancel(clerk, moved.change_id)
    # A draft changes nothing anybody sees.
    assert current(child).pk == original_move_out.pk
    commit(draft)
    # Nothing is overwritten: every earlier row is byte for byte what it was.
    assert raw_rows()[: len(before)] == before
    restored, restated = rows_of(child)[3:]
    assert (restored.history_no, restored.change_id, restored.restates_id) == (4, draft.change_id, None)
    assert (restored.status, restored.address) == (ResidentStatus.RESIDENT, ADDRESS.address)
    # The 転出 is stated again from the restored address; what the 転出 set stays.
    assert (restated.history_no, restated.change_id, restated.restates_id) == (
        5,
        draft.change_id,
        original_move_out.pk,
    )
    assert (restated.address, restated.katagaki, restated.postal_code) == (
        ADDRESS.address,
        ADDRESS.katagaki,
        ADDRESS.postal_code,
    )
    assert (
        restated.status,
        restated.removal_reason,
        restated.removal_date,
        restated.planned_destination,
    ) == (
        original_move_out.status,
        original_move_out.removal_reason,
        original_move_out.removal_date,
        original_move_out.planned_destination,
    )
    assert current(child).pk == restated.pk
    # The search keys point at the record after the cancellation (the re-stated row), nothing older.
    keys = ResidentSearchKey.objects.filter(
        resident__atena_number=child, is_current_name=True, is_current_address=True
    )
    assert {key.snapshot_id for key in keys} == {restated.pk}
    # The others had nothing on top: one restoring row each.
    for atena in (head, wife):
        assert (current(atena).history_no, current(atena).address) == (3, ADDRESS.address)
    assert Change.objects.get(pk=left.change_id).state == "committed"


def test_the_history_shows_the_original_the_cancellation_and_the_restated_rows(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    left = commit(move_out(clerk, [child]))
    cancelling = commit(cancel(clerk, moved.change_id))
    history = change_history(actor=reviewer, purpose=PURPOSE, atena_number=child)
    assert [
        (h.history_no, h.reason, h.cancels, h.cancelled_by, h.restates, h.restated_in) for h in history
    ] == [
        (1, "国内転入", None, None, None, None),
        (2, "転居", None, cancelling.change_id, None, None),
        (3, "国内転出", None, None, None, 5),
        (4, "異動の取消し(修正)", moved.change_id, None, None, None),
        (5, "異動の取消し(修正)", moved.change_id, None, left.change_id, None),
    ]
    # The 転出 can still be cancelled (its re-stated row is what is undone); the 転居 no more, and the
    # 転入 only once nothing stands on it.
    assert [h.cancellable for h in history] == [False, False, True, False, False]


def test_two_later_changes_are_restated_in_order(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    head, wife, child = family.atena_numbers
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    commit(head_change(clerk, family))
    commit(move_out(clerk, [head]))
    commit(cancel(clerk, moved.change_id))
    # The former head: his 世帯主変更 and then his 転出 are re-stated, in that order.
    head_rows = rows_of(head)
    assert [row.history_no for row in head_rows] == [1, 2, 3, 4, 5, 6, 7]
    assert [row.restates_id for row in head_rows[4:]] == [None, head_rows[2].pk, head_rows[3].pk]
    assert [row.address for row in head_rows[4:]] == [ADDRESS.address] * 3
    assert [(row.is_head, row.relationship) for row in head_rows[4:]] == [
        (True, "世帯主"),
        (False, "夫"),
        (False, "夫"),
    ]
    assert current(head).status == head_rows[3].status != ResidentStatus.RESIDENT
    # The wife: her 世帯主変更 re-stated; the child had only the 転居 (restored).
    wife_now = current(wife)
    assert (wife_now.history_no, wife_now.address, wife_now.is_head, wife_now.relationship) == (
        5,
        ADDRESS.address,
        True,
        "世帯主",
    )
    assert (current(child).history_no, current(child).address) == (3, ADDRESS.address)


def test_partial_movers_only_the_named_mover_is_restored_and_restated(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    head, wife, child = family.atena_numbers
    moved = commit(move_within(clerk, [wife, child], relationships={wife: "世帯主", child: "子"}))
    commit(move_out(clerk, [child]))
    commit(cancel(clerk, moved.change_id, atena_numbers=[child]))
    back = current(child)
    assert (back.household.number, back.address, back.is_head, back.restates_id is not None) == (
        family.household_number,
        ADDRESS.address,
        False,
        True,
    )
    assert back.status != ResidentStatus.RESIDENT  # the 転出 stands, from the restored record
    assert current(wife).address == NEW_ADDRESS.address  # her part of the move is not cancelled
    assert current(head).history_no == 1


def test_a_change_needed_by_a_later_one_is_refused_and_the_remedy_works(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    left = commit(move_out(clerk, [child]))
    rows, changes, entries = raw_rows(), Change.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as raised:
        cancel(clerk, family.change_id, atena_numbers=[child])
    assert raised.value.code == "registry.cancel_later_change_depends"
    assert f"異動番号 {left.change_id}「国内転出」" in raised.value.reason
    assert (raw_rows(), Change.objects.count(), AuditEntry.objects.count()) == (rows, changes, entries)
    # Cancel the 転出 first, then the 転入 (offered again: nothing stands on it any more).
    commit(cancel(clerk, left.change_id))
    history = change_history(actor=clerk, purpose=PURPOSE, atena_number=child)
    assert [h.cancellable for h in history] == [True, False, False]
    commit(cancel(clerk, family.change_id, atena_numbers=[child]))
    assert (current(child).status, current(child).removal_reason) == (
        ResidentStatus.REMOVED,
        ChangeReason.CANCELLATION_REMOVAL,
    )


def test_a_restated_change_is_cancelled_through_its_restated_row(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    left = commit(move_out(clerk, [child]))
    commit(cancel(clerk, moved.change_id))
    commit(cancel(clerk, left.change_id))
    # Back to the record the first cancellation restored, not to the cancelled 転居's.
    row = current(child)
    assert (row.history_no, row.status, row.address) == (6, ResidentStatus.RESIDENT, ADDRESS.address)


def test_the_commit_audits_sends_events_per_row_and_the_cs_gets_the_newest_row(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    commit(move_out(clerk, [child]))
    draft = cancel(clerk, moved.change_id)
    assert AuditEntry.objects.filter(
        action="resident:cancellation:record", subject_id=str(draft.change_id)
    ).exists()
    code = current(child).juminhyo_code
    versions = CsIdentityVersion.objects.filter(resident_code=code).count()
    sequence = CsIdentity.objects.get(resident_code=code).update_seq
    commit(draft)
    events = RegistryEvent.objects.filter(change_id=draft.change_id, atena_number=child).order_by(
        "subject_seq"
    )
    assert [(e.event_type, e.history_no) for e in events] == [
        ("resident.change_cancelled", 4),
        ("resident.change_cancelled", 5),
    ]
    # The CS is told the person's record after the cancellation once: the re-stated 転出.
    assert CsIdentityVersion.objects.filter(resident_code=code).count() == versions + 1
    identity = CsIdentity.objects.select_related("current").get(resident_code=code)
    assert (identity.update_seq, identity.current.address) == (sequence + 1, ADDRESS.address)


def test_the_reviewer_sees_the_restoring_and_the_restated_rows_before_committing(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    commit(move_out(clerk, [child]))
    draft = cancel(clerk, moved.change_id)
    url = reverse("registry:draft", args=[draft.change_id])
    page = logged_in(reviewer).post(url, {"purpose": PURPOSE, "show": "1"}).content.decode()
    # Four rows: the couple's restoring rows, the child's restoring row and the re-stated 国内転出.
    assert page.count(NEW_ADDRESS.address) == 0
    name = f"{current(child).surname} {current(child).given_name}"
    assert page.count(name) == 2
