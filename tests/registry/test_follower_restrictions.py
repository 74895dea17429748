"""The 職権 世帯主変更 entered with a draft (head_by_ex_officio) is a 異動入力 about the remaining member:
checked against 抑止 when it is entered, like every draft (standard 3.1-b; issue 4)."""

from __future__ import annotations

import pytest

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.registry.models import Change, ChangeState
from jumin.registry.restrictions import CODE_SUPPRESSED, RestrictedProcess, RestrictionLevel
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.services_restrictions import ReleaseTarget, SuppressionScope, release_temporarily
from jumin.registry.workflows.head_by_ex_officio import HEAD_BY_EX_OFFICIO_RESTRICTED
from jumin.registry.workflows.household_members import HEAD_BY_EX_OFFICIO
from jumin.registry.workflows.move_out import record_move_out
from tests.registry.conftest import PURPOSE, current
from tests.registry.test_head_by_ex_officio import couple, move_out
from tests.registry.test_restrictions import officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["couple", "officer"]  # fixtures, imported for use here

CHANGE = RestrictedProcess.CHANGE_ENTRY


def codes(draft: DraftRecorded) -> list[str]:
    return [alert.code for alert in draft.alerts]


def followers(draft: DraftRecorded) -> int:
    return Change.objects.filter(follows_id=draft.change_id).count()


def test_an_error_on_the_remaining_member_leaves_the_head_change_out_with_an_alert(
    clerk: User, reviewer: User, officer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    suppress(officer, wife, process=CHANGE)

    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))

    # The 転出 itself is entered: only the 世帯主変更 about the wife is held, and the clerk is told.
    assert followers(draft) == 0
    assert HEAD_BY_EX_OFFICIO_RESTRICTED in codes(draft)
    assert HEAD_BY_EX_OFFICIO not in codes(draft)
    withheld = AuditEntry.objects.get(action="resident:ex_officio:record", outcome="refused")
    assert (withheld.outcome_reason, withheld.subject_id) == ("restricted", str(draft.change_id))
    # Nothing is left that cannot be committed: the 転出 commits, the wife stays as she was.
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.COMMITTED
    assert (current(wife).is_head, current(wife).relationship) == (False, "妻")


def test_an_alert_on_the_remaining_member_goes_with_the_draft_and_is_acknowledged_at_commit(
    clerk: User, reviewer: User, officer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    suppress(officer, wife, process=CHANGE, level=RestrictionLevel.ALERT)

    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))

    assert followers(draft) == 1
    assert {HEAD_BY_EX_OFFICIO, CODE_SUPPRESSED} <= set(codes(draft))
    with pytest.raises(DomainError) as refused:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert refused.value.code == "registry.alerts_not_acknowledged"
    commit_change(
        actor=reviewer, purpose=PURPOSE, change_id=draft.change_id, acknowledged_alerts=[CODE_SUPPRESSED]
    )
    assert current(wife).is_head is True


def test_a_temporary_release_of_the_remaining_member_lets_the_head_change_in(
    clerk: User, officer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    suppress(officer, wife, process=CHANGE)
    release_temporarily(
        actor=officer,
        purpose=PURPOSE,
        atena_number=wife,
        process=CHANGE,
        target=ReleaseTarget.SUPPRESSION,
        reason="世帯主の転出に伴う世帯主変更のため",
    )

    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))

    assert followers(draft) == 1
    assert HEAD_BY_EX_OFFICIO in codes(draft)
    assert HEAD_BY_EX_OFFICIO_RESTRICTED not in codes(draft)


def test_a_restriction_on_another_process_does_not_hold_the_head_change(
    clerk: User, officer: User, couple: DraftRecorded
) -> None:
    head, wife = couple.atena_numbers
    suppress(officer, wife)  # 証明書発行

    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))

    assert followers(draft) == 1
    assert codes(draft).count(HEAD_BY_EX_OFFICIO) == 1


def test_a_household_alert_is_shown_once_for_the_draft_and_its_head_change(
    clerk: User, officer: User, couple: DraftRecorded
) -> None:
    head, _wife = couple.atena_numbers
    suppress(
        officer,
        couple.household_number,
        scope=SuppressionScope.HOUSEHOLD,
        process=CHANGE,
        level=RestrictionLevel.ALERT,
    )

    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))

    assert followers(draft) == 1
    assert codes(draft).count(CODE_SUPPRESSED) == 1
