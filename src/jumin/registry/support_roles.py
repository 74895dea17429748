"""転出元 as a 仮支援措置 (standard 3.4-h): a support measure follows its protected people's 転出.

Called by ``services.commit_change`` in the commit's transaction, after the committed rows are
current. A measure in force switches to the role 転出元 (former municipality) when none of its
protected people is a 住民 here any more and at least one left by 転出 or 職権消除; it switches back to 住所地
when one of them is a 住民 again (a cancelled 転出, 異動の取消し). Each switch is a new
``SupportRoleSwitch`` row (append-only) and one audit entry in the same transaction. Every protected
person who leaves is also told to the 転入先 (``support_forwarding``), whether or not the measure switches.

The measure stays in force either way: ``restrictions.check_restrictions`` keeps refusing copies and
閲覧 that include its people, 除票 included (3.4-a, 3.4-g), now as a 仮支援措置. Its periods stay
as history but none runs while it is 転出元 (no period-end alerts or 期間終了通知); staff end it
with ``services_restrictions.end_support`` (3.4-f: on request or by decision).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.resident import CANCELLATION_REASONS, ChangeReason, ResidentStatus
from jumin.registry import support_forwarding
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.models_restrictions import MunicipalityRole, SupportMeasurePerson, SupportRoleSwitch

#: A 職権消除 (no residence found) leaves the measure's people elsewhere, as a 転出 does (3.4-h).
MOVE_OUT_REASONS = frozenset(
    {ChangeReason.DOMESTIC_MOVE_OUT, ChangeReason.MOVE_OUT_ABROAD, ChangeReason.EX_OFFICIO_REMOVAL}
)
REASON_MOVE_OUT = "転出による自動切替"
REASON_EX_OFFICIO_REMOVAL = "職権消除による自動切替"
REASON_CANCELLED = "異動の取消しによる復元"
REASON_RESIDENT_AGAIN = "住民としての記載による復元"


def _moved_out(status: str, removal_reason: str) -> bool:
    return status != ResidentStatus.RESIDENT and removal_reason in MOVE_OUT_REASONS


def role_of(measure_id: int) -> MunicipalityRole:
    """The measure's role in force: its latest switch, or 住所地 when it never switched."""
    latest = (
        SupportRoleSwitch.objects.filter(measure_id=measure_id).order_by("-pk").values_list("role", flat=True)
    )
    return MunicipalityRole(latest.first() or MunicipalityRole.CURRENT)


def latest_role(measure_id: OuterRef) -> Subquery:
    """The role in force of the measure ``measure_id`` refers to, as a subquery (NULL: never switched)."""
    return Subquery(
        SupportRoleSwitch.objects.filter(measure_id=measure_id).order_by("-pk").values("role")[:1]
    )


def former_measure_ids(measure_ids: Sequence[int]) -> set[int]:
    """Those of these measures whose role in force is 転出元 (one query)."""
    latest: dict[int, str] = {}
    rows = SupportRoleSwitch.objects.filter(measure_id__in=measure_ids).order_by("pk")
    for measure_id, role in rows.values_list("measure_id", "role"):
        latest[measure_id] = role
    return {pk for pk, role in latest.items() if role == MunicipalityRole.FORMER}


def follow_committed_change(
    *, change: Change, snapshots: Sequence[ResidentSnapshot], actor: Any, purpose: str
) -> None:
    """Switch the role of the measures protecting this change's people, when their moves call for it.

    Issues no statement unless the change moves someone out or is a 異動の取消し (P3).
    """
    cancelling = change.reason in CANCELLATION_REASONS
    if not cancelling and not any(_moved_out(s.status, s.removal_reason) for s in snapshots):
        return
    if cancelling:  # a cancelled 転出 withdraws the notices it sent (the 転入先 lifts nothing by it)
        support_forwarding.retract_cancelled(change=change, actor=actor, purpose=purpose)
    by_resident = {snapshot.resident_id: snapshot for snapshot in snapshots}
    links = list(
        SupportMeasurePerson.objects.filter(
            resident_id__in=by_resident, measure__ended_at__isnull=True
        ).values_list("measure_id", "resident_id")
    )
    measure_ids = sorted({measure_id for measure_id, _ in links})
    if not measure_ids:
        return
    support_forwarding.forward_departures(
        change=change,
        departed=[
            (measure_id, by_resident[resident_id])
            for measure_id, resident_id in sorted(links)
            if _moved_out(by_resident[resident_id].status, by_resident[resident_id].removal_reason)
        ],
        actor=actor,
        purpose=purpose,
    )
    statuses: dict[int, list[tuple[str, str]]] = {}
    protected = SupportMeasurePerson.objects.filter(measure_id__in=measure_ids).values_list(
        "measure_id", "resident__current__status", "resident__current__removal_reason"
    )
    for measure_id, status, removal_reason in protected:
        statuses.setdefault(measure_id, []).append((status or "", removal_reason or ""))
    former = former_measure_ids(measure_ids)
    now = timezone.now()
    for measure_id in measure_ids:
        rows = statuses.get(measure_id, [])
        if any(status == ResidentStatus.RESIDENT for status, _ in rows):
            wanted = MunicipalityRole.CURRENT
            reason = REASON_CANCELLED if cancelling else REASON_RESIDENT_AGAIN
        elif any(_moved_out(status, removal_reason) for status, removal_reason in rows):
            wanted = MunicipalityRole.FORMER
            by_move_out = any(
                _moved_out(status, removal_reason) and removal_reason != ChangeReason.EX_OFFICIO_REMOVAL
                for status, removal_reason in rows
            )
            reason = REASON_MOVE_OUT if by_move_out else REASON_EX_OFFICIO_REMOVAL
        else:  # e.g. every protected person died: not a 転出, no switch
            continue
        if (measure_id in former) == (wanted is MunicipalityRole.FORMER):
            continue
        SupportRoleSwitch.objects.create(
            measure_id=measure_id,
            role=wanted,
            reason=reason,
            change=change,
            recorded_by=actor,
            recorded_at=now,
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_SUPPORT_MEASURE_ROLE_SWITCH,
            subject_type="support_measure",
            subject_id=str(measure_id),
            purpose=purpose,
            reason=f"{wanted.value}: {reason} (change={change.pk})",
            support_measure=True,
        )
