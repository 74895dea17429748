"""世帯主変更 by 職権 when the 世帯主 leaves and exactly one member remains (standard 4.0.4-a).

Every workflow that can take the head out of a household (転出, 死亡, 失踪, 職権消除, 転居, 世帯変更)
calls ``follow_up`` inside its draft transaction. When one member remains, a second change is
entered beside the draft: 異動事由 世帯変更, 届出区分 職権, with its 職権記録書 (action 世帯主変更),
making that member 世帯主. It ``follows`` the draft: the reviewer sees both, commit_change commits
both in one transaction, discarding the draft discards it, and cancelling the draft cancels it.
Its own change keeps the history honest (the remaining member did not move) and gives the
職権記載等通知書 its data (selectors_corrections.ex_officio_notice). Two or more remaining members
get no automatic change: the alert and the 世帯主変更依頼通知書 (4.0.4-b, 4.0.5-a) stay; neither does a
member who is in another open draft (the generic alert asks the clerk to enter the 世帯主変更).

The change is a 異動入力 about the remaining member, checked when entered like every draft (standard
3.1-b, docs/workflows/suppression.md): under an error 抑止 not covered by a 一時解除 it is not entered
(it could never be committed, and would hold up the draft whose person is not restricted); the draft
gets an alert saying so, and the withheld entry is audited as refused. An alert 抑止 goes with the
draft's alerts and is acknowledged at the 本登録, as ``commit_change`` checks both changes' persons.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import Alert
from jumin.domain.relationships import HEAD_TEXT
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry import services_restrictions
from jumin.registry.models import Change, ChangeState, ExOfficioRecord, Household, ResidentSnapshot
from jumin.registry.restrictions import RestrictedProcess, check_restrictions
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows.household import current_members
from jumin.registry.workflows.household_members import HEAD_BY_EX_OFFICIO

ACTION = "世帯主変更"
LEGAL_BASIS = "住民基本台帳法第8条、住民基本台帳法施行令第12条第1項・第3項"
HEAD_BY_EX_OFFICIO_RESTRICTED = "registry.head_by_ex_officio_restricted"
"""The 職権 世帯主変更 was not entered: the remaining member's 異動入力 is suppressed (error)."""


def follow_up(
    *, actor: Any, purpose: str, primary: Change, household: Household, leavers: Collection[str]
) -> tuple[Alert, ...]:
    """Enter the 職権 世帯主変更 that ``primary`` makes necessary, if any; the alerts say so.

    Call inside ``primary``'s transaction, after its own snapshots. Reads committed rows only, so
    ``leavers`` (宛名番号) are still members here. Nothing happens unless the head is among them and
    exactly one other member is a resident. The remaining member's 異動入力 抑止 are checked first:
    an error leaves the change out (one alert, the withheld entry audited), an alert goes with it.
    """
    members = current_members(household)
    leaving = set(leavers)
    if not any(m.is_head and m.resident.atena_number in leaving for m in members):
        return ()
    remaining = [m for m in members if m.resident.atena_number not in leaving]
    if len(remaining) != 1 or remaining[0].status != ResidentStatus.RESIDENT:
        return ()
    current = remaining[0]
    if ResidentSnapshot.objects.filter(
        resident_id=current.resident_id, change__state=ChangeState.DRAFT
    ).exists():
        # The member is in another open draft (their own 死亡, say): making them head now would be
        # stale at once or held by another clerk's lock. The generic alert tells the clerk instead.
        return ()
    # 異動入力 (standard 3.1-b): the member's own and their household's 抑止, as at any draft's entry.
    restriction = check_restrictions([current.resident.atena_number], process=RestrictedProcess.CHANGE_ENTRY)
    if restriction.blocked:
        return (_withheld(actor=actor, purpose=purpose, primary=primary),)
    follower = Change.objects.create(
        reason=ChangeReason.HOUSEHOLD_CHANGE,
        change_date=primary.change_date,
        notification_date=None,
        notification_kind="職権",
        made_by=actor,
        made_at=timezone.now(),
        follows=primary,
    )
    ExOfficioRecord.objects.create(
        change=follower,
        action=ACTION,
        legal_basis=LEGAL_BASIS,
        found_on=timezone.localdate(),
        grounds=f"世帯主の{primary.reason}により世帯員が1人となったため",
        findings=f"異動番号 {primary.pk} の{primary.reason}の入力時に確認",
        notice_required=True,
        changed_items=["relationship"],
    )
    draft_from_current(current.resident, current, follower, is_head=True, relationship=HEAD_TEXT)
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_EX_OFFICIO_RECORD,
        subject_type="change",
        subject_id=str(follower.pk),
        purpose=purpose,
        reason=f"{ACTION} follows={primary.pk}",
    )
    entered = Alert(
        field="atena_numbers",
        message=(
            "世帯主が世帯を離れ、世帯員が1人残ります。"
            f"残る方（宛名番号 {current.resident.atena_number}）を職権で世帯主とする世帯変更"
            f"（異動番号 {follower.pk}）を同時に入力しました。本登録も同時に行われます。"
            "本登録後、職権記載等通知書を送付してください。"
        ),
        code=HEAD_BY_EX_OFFICIO,
    )
    return (entered, *services_restrictions.as_alerts(restriction))


def _withheld(*, actor: Any, purpose: str, primary: Change) -> Alert:
    """Audit the 世帯主変更 left out for a 抑止 (refused, like any draft) and say so to the clerk."""
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_EX_OFFICIO_RECORD,
        subject_type="change",
        subject_id=str(primary.pk),
        purpose=purpose,
        outcome=Outcome.REFUSED,
        outcome_reason="restricted",
        reason=f"{ACTION} follows={primary.pk}",
    )
    return Alert(
        field="atena_numbers",
        message=(
            "世帯主が世帯を離れ、世帯員が1人残りますが、残る方に異動入力の抑止が設定されているため、"
            "職権で世帯主とする世帯変更は入力していません。この異動は本登録できます。"
            "抑止・支援措置の担当者に確認し、抑止の解除または一時解除の後に、残る方を世帯主とする"
            "世帯変更を職権で入力し、職権記載等通知書を送付してください。"
        ),
        code=HEAD_BY_EX_OFFICIO_RESTRICTED,
    )


def with_follow_up(alerts: list[Alert], follow: Sequence[Alert]) -> list[Alert]:
    """The draft's alerts with the generic 1-member alert replaced by those ``follow_up`` returned."""
    if not follow:
        return alerts
    kept = [a for a in alerts if a.code != HEAD_BY_EX_OFFICIO]
    # A household 抑止 (alert) already stands in the draft's alerts for its leavers: once is enough.
    return kept + [a for a in follow if a not in kept]
