"""Propagation of 抑止 and 支援措置 to the 宛名 systems, the CS and コンビニ交付 (standard 3.1-g, 3.2-a).

Called by ``services_restrictions`` inside the transaction of each set and lift, so the feed and the
CS follow the registry exactly: a refused or rolled-back set writes neither. Two outputs:

* the outbox (``RegistryEvent``, docs/outbox.md): one event per person held, type
  ``resident.restriction_set`` / ``resident.restriction_lifted``, with the 宛名番号, the kind
  (``suppression:<process>`` or ``support_measure``) and the registry's id of the restriction; no
  reason text, no 加害者, no period. This is what the 宛名 systems and other consumers read (3.2-a);
  every 抑止, whatever its process, is in it;
* the 市町村CS's 抑止マーク (``cs_link.forward_restriction_set`` / ``_lift``): only what blocks
  certificate issuance (a 抑止 of 証明書発行, error or alert, and every 支援措置), keyed by 住民票コード;
  the same set or lift goes to the 証明書交付センター as a KIOSK_MARK message (``kiosk_link``), so
  コンビニ交付 refuses while it stands.
  A person without a 住民票コード gets the event but no mark (the CS holds no record of them).

A household 抑止 follows its membership: the commit that puts a person in sends them its set
(``members_joined``), the commit that takes a person out its lift (``members_left``).

Never propagated: a 一時解除 (3.1-d, it is local and lapses by itself), and changes of a support
measure's period or role (start, extension, edited end, 転出元), which change no block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.messaging import housekeeping
from jumin.registry import cs_link, kiosk_link
from jumin.registry.models import Resident, ResidentSnapshot
from jumin.registry.models_restrictions import RestrictedProcessChoice, SupportMeasurePerson, Suppression
from jumin.registry.models_review import RegistryEvent
from jumin.registry.outbox import next_subject_seq

EVENT_RESTRICTION_SET = "resident.restriction_set"
EVENT_RESTRICTION_LIFTED = "resident.restriction_lifted"
KIND_SUPPORT_MEASURE = "support_measure"
#: The purpose the daily resync is audited under (as ``jumin cs marks``'s default).
DAILY_PURPOSE = "registry_batch"


def suppression_kind(process: str) -> str:
    """The event kind of a 抑止 of ``process``: ``suppression:certificate`` and so on."""
    return f"suppression:{process}"


@dataclass(frozen=True)
class Propagated:
    """What one set or lift sent: events appended, CS marks stored, persons the CS could not be told."""

    events: int
    cs_marks: int
    without_code: int

    def summary(self) -> str:
        """For the audit entry of the set or lift (counts only)."""
        return f"feed events={self.events} cs_marks={self.cs_marks} no_code={self.without_code}"


def with_counts(reason: str, label: str, sent: Propagated) -> str:
    """A commit's audit reason with what it sent to joiners or leavers; unchanged when nothing was sent
    (a member who stays is sent nothing, and not counted)."""
    if not (sent.events or sent.cs_marks or sent.without_code):
        return reason
    return "; ".join(part for part in (reason, f"{label}{sent.summary()}") if part)


def _append(event_type: str, kind: str, restriction_id: int, residents: Sequence[Resident]) -> int:
    now = timezone.now()
    for resident in residents:
        RegistryEvent.objects.create(
            event_type=event_type,
            change_reason="",
            atena_number=resident.atena_number,
            subject_seq=next_subject_seq(resident.atena_number),
            restriction_kind=kind,
            restriction_id=restriction_id,
            created_at=now,
        )
    return len(residents)


def _locked(resident_ids: Sequence[int]) -> list[Resident]:
    """The persons, row-locked (as a commit locks them) so their event sequence cannot be taken twice."""
    return list(
        Resident.objects.select_for_update(of=("self",))
        .select_related("current")
        .filter(pk__in=sorted(set(resident_ids)))
        .order_by("pk")
    )


def _codes(residents: Sequence[Resident]) -> tuple[list[str], int]:
    codes = [r.current.juminhyo_code for r in residents if r.current is not None and r.current.juminhyo_code]
    return codes, len(residents) - len(codes)


def _set(
    *,
    kind: str,
    cs_kind: str | None,
    restriction_id: int,
    resident_ids: Sequence[int],
    start: date | None,
    actor: Any,
) -> Propagated:
    residents = _locked(resident_ids)
    events = _append(EVENT_RESTRICTION_SET, kind, restriction_id, residents)
    codes, without_code = _codes(residents)
    marks = 0
    if cs_kind is not None:
        marks = cs_link.forward_restriction_set(
            kind=cs_kind,
            restriction_id=restriction_id,
            resident_codes=codes,
            effective_from=start,
            actor=actor,
        )
        kiosk_link.send_set(kind=cs_kind, restriction_id=restriction_id, resident_codes=codes)
    return Propagated(events=events, cs_marks=marks, without_code=without_code if cs_kind else 0)


def _sent(kind: str, restriction_id: int) -> dict[str, bool]:
    """Each person this restriction was ever sent for, and whether it stands sent (their latest event
    for it is a set, not a lift): one query. Empty for a restriction set before this feed existed."""
    latest: dict[str, bool] = {}
    rows = RegistryEvent.objects.filter(
        event_type__in=(EVENT_RESTRICTION_SET, EVENT_RESTRICTION_LIFTED),
        restriction_kind=kind,
        restriction_id=restriction_id,
    ).order_by("pk")
    for event_type, atena in rows.values_list("event_type", "atena_number"):
        latest[atena] = event_type == EVENT_RESTRICTION_SET
    return latest


def _lift(
    *, kind: str, cs_kind: str | None, restriction_id: int, held_now: Sequence[int], actor: Any
) -> Propagated:
    # Exactly the persons it stands sent for (a household's members at the set and those who joined
    # since, not those who left: their lift was sent when they left); a restriction set before this
    # feed existed has no set event, so its lift goes to the persons it holds now.
    sent = _sent(kind, restriction_id)
    numbers = [atena for atena, standing in sent.items() if standing]
    ids = list(Resident.objects.filter(atena_number__in=numbers).values_list("pk", flat=True))
    residents = _locked(ids if sent else held_now)
    events = _append(EVENT_RESTRICTION_LIFTED, kind, restriction_id, residents)
    marks = 0
    if cs_kind is not None:
        marks = cs_link.forward_restriction_lift(kind=cs_kind, restriction_id=restriction_id, actor=actor)
        kiosk_link.send_lift(kind=cs_kind, restriction_id=restriction_id)
    return Propagated(events=events, cs_marks=marks, without_code=0)


def _suppression_cs_kind(row: Suppression) -> str | None:
    return (
        cs_link.RESTRICTION_KIND_SUPPRESSION if row.process == RestrictedProcessChoice.CERTIFICATE else None
    )


def _held_ids(row: Suppression) -> list[int]:
    """The persons a 抑止 holds now: its person, or its household's current members."""
    if row.resident_id is not None:
        return [row.resident_id]
    # The check constraint: a household suppression names its household.
    members = Resident.objects.filter(current__household_id=row.household_id or 0)
    return list(members.values_list("pk", flat=True))


def suppression_set(row: Suppression, *, actor: Any) -> Propagated:
    """Send a 抑止 just set: every person it holds now (a household's current members)."""
    ids = _held_ids(row)
    return _set(
        kind=suppression_kind(row.process),
        cs_kind=_suppression_cs_kind(row),
        restriction_id=row.pk,
        resident_ids=ids,
        start=row.start_date,
        actor=actor,
    )


def suppression_lifted(row: Suppression, *, actor: Any) -> Propagated:
    """Send a 抑止 just lifted, to every person its set was sent for."""
    return _lift(
        kind=suppression_kind(row.process),
        cs_kind=_suppression_cs_kind(row),
        restriction_id=row.pk,
        held_now=_held_ids(row),
        actor=actor,
    )


def members_joined(suppression_ids: Sequence[int], resident_ids: Sequence[int], *, actor: Any) -> Propagated:
    """Send household 抑止 in force to the persons a committed change has just put into that household.

    Call inside the commit's transaction, after the new rows became current. Of ``resident_ids`` (the
    change's persons), each current member of a suppressed household for whom that 抑止 does not stand
    sent gets a set event, and a CS mark if it blocks issuance, with the 抑止's start date (one set ahead
    reaches a joiner as it reached the members). A later lift then reaches them too (``_lift`` sends to
    everyone it stands sent for). A 抑止 set before this feed existed, with no set events at all, is
    left to ``jumin cs marks`` (its members were never sent one either).
    """
    sent_out: list[Propagated] = []
    for row in Suppression.objects.filter(pk__in=suppression_ids, lifted_at__isnull=True).order_by("pk"):
        kind = suppression_kind(row.process)
        sent = _sent(kind, row.pk)
        if not sent:
            continue
        members = Resident.objects.filter(
            pk__in=resident_ids, current__household_id=row.household_id or 0
        ).values_list("pk", "atena_number")
        # A former member who comes back (a cancelled 世帯分離) was sent its lift: they get a new set.
        joiners = [pk for pk, atena in members if not sent.get(atena, False)]
        if not joiners:
            continue
        sent_out.append(
            _set(
                kind=kind,
                cs_kind=_suppression_cs_kind(row),
                restriction_id=row.pk,
                resident_ids=joiners,
                start=row.start_date,
                actor=actor,
            )
        )
    return _total(sent_out)


def members_left(suppression_ids: Sequence[int], resident_ids: Sequence[int], *, actor: Any) -> Propagated:
    """Lift household 抑止 for the persons a committed change has just taken out of that household.

    Call inside the commit's transaction, after the new rows became current, with the household 抑止
    on the persons' households before the change (``RestrictionCheck.left_household_suppressions``).
    Of ``resident_ids``, each person now outside a suppressed household gets a lift event if the 抑止
    stands sent for them, and the CS lifts its mark under every 住民票コード it holds it (a mark a
    resync made for a 抑止 older than this feed included). Only this 抑止 is lifted: the person's own
    抑止 and that of the household they join are other restrictions, with their own events and marks,
    and stay. A 転出 or 死亡 leaves the 除票 in its household, so it lifts nothing (as the resync).
    """
    households = Resident.objects.filter(pk__in=resident_ids).values_list(
        "pk", "atena_number", "current__household_id"
    )
    people = [(pk, atena, household) for pk, atena, household in households]
    sent_out: list[Propagated] = []
    for row in Suppression.objects.filter(pk__in=suppression_ids, lifted_at__isnull=True).order_by("pk"):
        outside = [(pk, atena) for pk, atena, household in people if household != row.household_id]
        if not outside:  # everyone the change touches stays: no further statement
            continue
        kind = suppression_kind(row.process)
        sent = _sent(kind, row.pk)
        leavers = _locked([pk for pk, atena in outside if sent.get(atena, False)])
        events = _append(EVENT_RESTRICTION_LIFTED, kind, row.pk, leavers)
        cs_kind = _suppression_cs_kind(row)
        marks = 0
        if cs_kind is not None:
            codes = _all_codes([pk for pk, _ in outside])
            marks = cs_link.forward_restriction_lift(
                kind=cs_kind, restriction_id=row.pk, actor=actor, resident_codes=codes
            )
            kiosk_link.send_lift(kind=cs_kind, restriction_id=row.pk, resident_codes=codes)
        sent_out.append(Propagated(events=events, cs_marks=marks, without_code=0))
    return _total(sent_out)


def _all_codes(resident_ids: Sequence[int]) -> list[str]:
    """Every 住民票コード these persons ever had: a mark set before a code change is held under both."""
    codes = ResidentSnapshot.objects.filter(resident_id__in=resident_ids).exclude(juminhyo_code="")
    return sorted(set(codes.values_list("juminhyo_code", flat=True)))


def _total(parts: Sequence[Propagated]) -> Propagated:
    return Propagated(
        events=sum(p.events for p in parts),
        cs_marks=sum(p.cs_marks for p in parts),
        without_code=sum(p.without_code for p in parts),
    )


def _protected_ids(measure_id: int) -> list[int]:
    people = SupportMeasurePerson.objects.filter(measure_id=measure_id)
    return list(people.values_list("resident_id", flat=True))


def measure_set(measure_id: int, *, actor: Any) -> Propagated:
    """Send a 支援措置 (or 仮支援措置) just recorded: it blocks issuance at once for each protected person."""
    ids = _protected_ids(measure_id)
    return _set(
        kind=KIND_SUPPORT_MEASURE,
        cs_kind=cs_link.RESTRICTION_KIND_SUPPORT_MEASURE,
        restriction_id=measure_id,
        resident_ids=ids,
        start=None,
        actor=actor,
    )


def measure_ended(measure_id: int, *, actor: Any) -> Propagated:
    """Send a 支援措置 just ended (3.4-f): the block is gone for every protected person."""
    return _lift(
        kind=KIND_SUPPORT_MEASURE,
        cs_kind=cs_link.RESTRICTION_KIND_SUPPORT_MEASURE,
        restriction_id=measure_id,
        held_now=_protected_ids(measure_id),
        actor=actor,
    )


@dataclass(frozen=True)
class Resynced:
    """What ``resync_cs_marks`` changed at the CS, and the persons in force it could not mark."""

    set: int
    lifted: int
    without_code: int


def _wanted() -> tuple[dict[tuple[str, str, int], date | None], int]:
    """Every issuance restriction in force now, per 住民票コード, and how many persons have no code."""
    wanted: dict[tuple[str, str, int], date | None] = {}
    without_code = 0

    def add(code: str | None, kind: str, restriction_id: int, start: date | None) -> None:
        nonlocal without_code
        if code:
            wanted[(code, kind, restriction_id)] = start
        else:
            without_code += 1

    rows = Suppression.objects.filter(process=RestrictedProcessChoice.CERTIFICATE, lifted_at__isnull=True)
    for pk, code, household_id, start in rows.values_list(
        "pk", "resident__current__juminhyo_code", "household_id", "start_date"
    ):
        if household_id is None:
            add(code, cs_link.RESTRICTION_KIND_SUPPRESSION, pk, start)
            continue
        members = Resident.objects.filter(current__household_id=household_id)
        for member_code in members.values_list("current__juminhyo_code", flat=True):
            add(member_code, cs_link.RESTRICTION_KIND_SUPPRESSION, pk, start)
    protected = SupportMeasurePerson.objects.filter(measure__ended_at__isnull=True)
    for measure_id, code in protected.values_list("measure_id", "resident__current__juminhyo_code"):
        add(code, cs_link.RESTRICTION_KIND_SUPPORT_MEASURE, measure_id, None)
    return wanted, without_code


def resync_cs_marks(*, actor: Any, purpose: str) -> Resynced:
    """Bring the CS's 抑止マーク in line with every issuance restriction in force (``jumin cs marks``).

    For restrictions set before the marks existed, a person given a 住民票コード after the set, and a
    household's current members. One transaction, one audit entry with the counts (C-42).
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_BATCH_RUN,
        action=AuditAction.CS_RESTRICTION_MARK_RESYNC,
        purpose=purpose,
        subject_type="cs_restriction_mark",
    )
    return _resync(actor=actor, purpose=purpose)


def resync_cs_marks_daily() -> Resynced:
    """The node's own daily resync (housekeeping; the system, not a user, is the actor).

    So a person given a 住民票コード after a set, and a member of a household whose 抑止 was set before
    the marks existed, are marked at the CS within a day without anyone running ``jumin cs marks``.
    """
    return _resync(actor=None, purpose=DAILY_PURPOSE)


def _resync(*, actor: Any, purpose: str) -> Resynced:
    with transaction.atomic():
        wanted, without_code = _wanted()
        marked, lifted = cs_link.reconcile_restrictions(wanted, actor=actor)
        record_event(
            actor=actor,
            action=AuditAction.CS_RESTRICTION_MARK_RESYNC,
            subject_type="cs_restriction_mark",
            purpose=purpose,
            reason=f"set {marked} lifted {lifted} no_code {without_code}",
            result_count=marked + lifted,
        )
    return Resynced(set=marked, lifted=lifted, without_code=without_code)


@dataclass(frozen=True)
class MarkDifference:
    """One restriction on one 住民票コード where the CS differs from the registry."""

    resident_code: str
    kind: str  # 抑止 / 支援措置
    restriction_id: int
    in_registry: bool  # True: in force in the registry, not marked at the CS; False: the reverse


@dataclass(frozen=True)
class MarksCheck:
    """The 抑止マーク照合: marks in force at the CS, restrictions in force here, and each difference."""

    cs_marks: int
    registry_marks: int
    without_code: int
    differences: tuple[MarkDifference, ...]


_KIND_LABELS = {
    cs_link.RESTRICTION_KIND_SUPPRESSION: "抑止",
    cs_link.RESTRICTION_KIND_SUPPORT_MEASURE: "支援措置",
}


def check_cs_marks(*, actor: Any, purpose: str) -> MarksCheck:
    """Compare the CS's 抑止マーク with the registry's issuance restrictions in force, writing nothing.

    What ``jumin cs marks`` would set (``in_registry``) and lift. Lists 住民票コード and restriction numbers
    only, never the reason or the 加害者. Needs ``suppression:manage``; one audited read (C-42).
    """
    authorize(
        actor=actor,
        permission=Permission.SUPPRESSION_MANAGE,
        action=AuditAction.CS_RESTRICTION_MARK_CHECK,
        purpose=purpose,
        subject_type="cs_restriction_mark",
    )
    with transaction.atomic():
        wanted, without_code = _wanted()
        compared = cs_link.compare_restrictions(wanted)
        differences = tuple(
            MarkDifference(code, _KIND_LABELS.get(kind, kind), restriction_id, in_registry)
            for in_registry, keys in ((True, compared.missing), (False, compared.extra))
            for code, kind, restriction_id in sorted(keys)
        )
        record_event(
            actor=actor,
            action=AuditAction.CS_RESTRICTION_MARK_CHECK,
            subject_type="cs_restriction_mark",
            purpose=purpose,
            reason=f"missing {len(compared.missing)} extra {len(compared.extra)} no_code {without_code}",
            result_count=len(differences),
        )
    return MarksCheck(
        cs_marks=compared.in_force,
        registry_marks=len(wanted),
        without_code=without_code,
        differences=differences,
    )


# The CS's marks follow the registry by themselves, daily, for what no commit tells it (above).
housekeeping.register("registry.resync_cs_marks", resync_cs_marks_daily, kind="municipality")
