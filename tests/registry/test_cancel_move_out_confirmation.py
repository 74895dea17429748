"""異動の取消し of a 転出確定 (the 転入通知 recorded for the wrong person, say): the 予定 state returns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry.models import Change
from jumin.registry.selectors_corrections import change_history
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.move_in_notice import missing_notices, record_move_in_notice
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_in_notice import CONFIRMED, moved_out, notice, receive
from tests.registry.test_move_out import DESTINATION, current, family, today

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here


def cancel(clerk: User, change_id: int) -> DraftRecorded:
    return record_cancellation(
        actor=clerk, purpose=PURPOSE, cancellation=Cancellation(change_id=change_id, reason="別人の転入通知")
    )


def confirmation_change(atena: str) -> int:
    return current(atena).change_id


def test_cancelling_a_confirmation_before_the_planned_date_restores_the_planned_mover(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    planned = today() + timedelta(days=10)
    moved_out(clerk, reviewer, [child], planned)
    planned_row = current(child)
    confirmed = receive(clerk, reviewer, notice([child], move_in_date=today() - timedelta(days=2)))
    assert confirmed.status == ResidentStatus.REMOVED
    draft = cancel(clerk, confirmed.change_id)
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.cancels_id) == (ChangeReason.CANCELLATION_AMENDMENT, confirmed.change_id)
    assert current(child).history_no == confirmed.history_no  # a draft changes nothing yet
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    restored = current(child)
    assert restored.history_no == confirmed.history_no + 1  # appended, nothing overwritten
    assert (restored.status, restored.removal_date, restored.planned_destination) == (
        ResidentStatus.PLANNED_MOVE_OUT,
        planned,
        DESTINATION,
    )
    assert (
        restored.confirmed_destination,
        restored.confirmed_move_out_date,
        restored.move_in_notice_date,
    ) == (
        "",
        None,
        None,
    )
    assert restored.household_id == planned_row.household_id
    # The confirmation stays in history, marked as cancelled.
    history = change_history(actor=reviewer, purpose=PURPOSE, atena_number=child)
    by_change = {entry.change_id: entry for entry in history}
    assert by_change[confirmed.change_id].cancelled_by == draft.change_id
    assert by_change[confirmed.change_id].reason == "転出確定"


def test_after_the_planned_date_the_person_is_removed_and_waits_for_a_notice_again(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    planned = today() - timedelta(days=20)
    moved_out(clerk, reviewer, [child], planned)
    confirmed = receive(clerk, reviewer, notice([child]))
    assert child not in [m.atena_number for m in missing_notices(actor=reviewer, purpose=PURPOSE)]
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=cancel(clerk, confirmed.change_id).change_id)
    restored = current(child)
    assert (restored.status, restored.removal_date, restored.confirmed_destination) == (
        ResidentStatus.REMOVED,
        planned,
        "",
    )
    # Back on the 未着 list: the right 転入通知 can be received again.
    assert child in [m.atena_number for m in missing_notices(actor=reviewer, purpose=PURPOSE)]
    again = receive(clerk, reviewer, notice([child]))
    assert again.confirmed_destination == CONFIRMED


def test_the_move_out_itself_cannot_be_cancelled_while_its_confirmation_stands(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    moving = moved_out(clerk, reviewer, [child], today() - timedelta(days=3))
    confirmed = receive(clerk, reviewer, notice([child]))
    with pytest.raises(DomainError) as refused:
        cancel(clerk, moving.change_id)
    # The 転出確定 could not exist without the 転出: it is named, to be cancelled first.
    assert refused.value.code == "registry.cancel_later_change_depends"
    assert f"異動番号 {confirmed.change_id}" in refused.value.remedy


def test_the_screen_offers_the_confirmation_for_cancellation(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    moved_out(clerk, reviewer, [child], today() - timedelta(days=3))
    draft = record_move_in_notice(actor=clerk, purpose=PURPOSE, notice=notice([child]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    shown = logged_in(clerk).post(
        reverse("registry:cancellation"), {"purpose": PURPOSE, "atena_number": child, "show": "1"}
    )
    assert f'value="{draft.change_id}"' in shown.content.decode()
