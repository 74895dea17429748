"""At the 転入先: a 転出元's 支援措置 notice protects the person at once (standard 3.4-h, 3.4-g).

A received ``registry.support_measure_notice`` names the person by 住民票コード only (the payload
carries no name, birth date or 個人番号: ``support_forwarding.validate_notice``), so that is the key.
As soon as a person living here holds the code, a 仮支援措置 is opened for them:

- when the notice arrives and the person already lives here (``protect_on_receipt``, in the inbox
  transaction; no clerk acts, so the measure has no ``created_by`` and the audit entry no actor);
- when the person arrives later, by a committed 転入 or 職権記載 (``protect_arrivals``, in the
  commit's transaction, by the committing clerk).

The 仮支援措置 is an ordinary ``SupportMeasure`` without a period: it blocks every 写し and 閲覧 of
the person (``restrictions.check_restrictions``), shows the 「支援」 banner and pop-up, and goes to the
outbox and the CS like any new measure (``restriction_feed.measure_set``). A person already protected
here by a measure in force gets no second one: the notice is linked to that measure. A later
retraction (the 転出 was cancelled at the 転出元) is recorded beside the notice and lifts nothing: staff
end the 仮支援措置 (``services_restrictions.end_support``) once they have checked.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry import restriction_feed, restriction_locks
from jumin.registry.models import Change, Resident, ResidentSnapshot
from jumin.registry.models_restrictions import SupportMeasure, SupportMeasurePerson, SupportRole
from jumin.registry.models_support import ForwardingDirection, SupportForwarding

#: The 異動事由 by which a notified person starts to live here.
ARRIVAL_REASONS = frozenset({ChangeReason.DOMESTIC_MOVE_IN, ChangeReason.EX_OFFICIO_RECORDING})
#: The audit purpose when the inbox opens one: no clerk's purpose exists there.
RECEIPT_PURPOSE = "転出元からの支援措置の連絡の受信"
START_REASON = "転出元（{code}）からの支援措置の連絡による仮支援措置"


def _pending(codes: Sequence[str]) -> dict[str, list[SupportForwarding]]:
    """The notices not yet linked to a measure here, per 住民票コード (retractions are not notices)."""
    rows = (
        SupportForwarding.objects.select_for_update()
        .filter(
            direction=ForwardingDirection.INCOMING,
            measure__isnull=True,
            retracts_message_id="",
            juminhyo_code__in=codes,
        )
        .order_by("pk")
    )
    pending: dict[str, list[SupportForwarding]] = {}
    for row in rows:
        pending.setdefault(row.juminhyo_code, []).append(row)
    return pending


def _protect(
    resident_id: int, notices: Sequence[SupportForwarding], *, actor: Any, purpose: str
) -> SupportMeasure:
    """Link ``notices`` to the person's measure in force, or open a 仮支援措置 for them; audited."""
    restriction_locks.lock_residents([resident_id])
    ids = ",".join(str(row.pk) for row in notices)
    existing = (
        SupportMeasure.objects.filter(people__resident_id=resident_id, ended_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        measure, action = existing, AuditAction.RESIDENT_SUPPORT_MEASURE_FORWARDING_RECORD
        reason = f"incoming forwarding={ids} linked"
    else:
        services = sorted({service for row in notices for service in row.covered_services})
        measure = SupportMeasure.objects.create(
            covered_services=services,
            start_reason=START_REASON.format(code=notices[0].municipality_code),
            provisional_since=timezone.localdate(),
            created_by=actor,
            created_at=timezone.now(),
        )
        SupportMeasurePerson.objects.create(
            measure=measure, resident_id=resident_id, role=SupportRole.APPLICANT
        )
        sent = restriction_feed.measure_set(measure.pk, actor=actor)
        action = AuditAction.RESIDENT_SUPPORT_MEASURE_CREATE
        reason = f"provisional from incoming forwarding={ids}; {sent.summary()}"
    SupportForwarding.objects.filter(pk__in=[row.pk for row in notices]).update(measure=measure)
    record_event(
        actor=actor,
        action=action,
        subject_type="support_measure",
        subject_id=str(measure.pk),
        purpose=purpose,
        reason=reason,
        support_measure=True,
    )
    return measure


def _protect_all(residents: Mapping[str, int], *, actor: Any, purpose: str) -> list[int]:
    """Protect every person of ``residents`` (住民票コード → resident id) a pending notice names."""
    measures = []
    for code, notices in _pending(sorted(residents)).items():
        measures.append(_protect(residents[code], notices, actor=actor, purpose=purpose).pk)
    return measures


def protect_on_receipt(row: SupportForwarding) -> list[int]:
    """A notice just received: protect the person at once when they already live here."""
    living = Resident.objects.filter(
        current__juminhyo_code=row.juminhyo_code, current__status=ResidentStatus.RESIDENT
    ).values_list("current__juminhyo_code", "pk")
    return _protect_all(dict(living), actor=None, purpose=RECEIPT_PURPOSE)


def protect_arrivals(
    *,
    change: Change,
    snapshots: Sequence[ResidentSnapshot],
    newly_coded: Collection[int],
    actor: Any,
    purpose: str,
) -> list[int]:
    """A committed 転入 or 職権記載: protect each arriving person a notice waits for.

    Only persons who brought their 住民票コード (``newly_coded``: the snapshots this commit drew a
    code for, which no notice can name) are looked up: one query then, none for any other change (P3).
    """
    if change.reason not in ARRIVAL_REASONS:
        return []
    arriving = {
        snapshot.juminhyo_code: snapshot.resident_id
        for snapshot in snapshots
        if snapshot.juminhyo_code
        and snapshot.pk not in newly_coded
        and snapshot.status == ResidentStatus.RESIDENT
    }
    if not arriving:
        return []
    return _protect_all(arriving, actor=actor, purpose=purpose)
