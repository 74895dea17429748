"""世帯照会 (standard 3.3-a) and the 世帯主変更依頼 対象者一覧 (4.0.5-a): reads of whole households.

Both read committed snapshots only, never drafts, and never change anything: a former member is found
in their own history (the last row in the household, then the row that took them out of it).
Masked fields (controls.md C-10) read ＊＊＊＊ as on the person's screen (``selectors._view``). Each
call is authorised (``resident:view``) and audited once, naming every person it shows
(``record_results``, "appeared in the results", C-48); the 照会 抑止 of those persons apply as to a
person's record (an error refuses, an alert needs its code acknowledged; standard 3.1-b).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F, Subquery

from jumin.accounts.authorization import authorize, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.domain.eras import Calendar
from jumin.domain.errors import refusal
from jumin.domain.resident import ResidentStatus
from jumin.domain.wareki import format_date_ja
from jumin.registry import services_restrictions
from jumin.registry.models import Household, Resident, ResidentSnapshot
from jumin.registry.restrictions import RestrictedProcess, restriction_marks
from jumin.registry.selectors import ResidentView, _view

HOUSEHOLD_QUERY = "household_number"
HEADLESS_QUERY = "headless_household"


@dataclass(frozen=True)
class Departure:
    """How a person left a household: the 異動 that took them out (転出, 死亡, 世帯分離 …)."""

    change_id: int
    reason: str  # the 異動事由
    change_date: date  # the 異動日

    @property
    def left_on(self) -> str:
        """The 異動日 as the screens print it (和暦)."""
        return format_date_ja(self.change_date, calendar=Calendar.WAREKI)


@dataclass(frozen=True)
class FormerMember:
    """A person who has left the household: their last row in it (masked like a member's) and how."""

    member: ResidentView
    departure: Departure


@dataclass(frozen=True)
class HouseholdView:
    """The 世帯照会 screen: current members in the stored order, then former members by date left."""

    household_number: str
    members: tuple[ResidentView, ...]
    former_members: tuple[FormerMember, ...]

    @property
    def people(self) -> tuple[ResidentView, ...]:
        """Everyone the screen shows (the 「支援」 banner looks at each)."""
        return (*self.members, *(f.member for f in self.former_members))


def _committed(query: Any) -> Any:
    return query.filter(history_no__isnull=False).select_related("household", "change", "resident")


def departures(
    household: Household, resident_ids: Iterable[int]
) -> dict[int, tuple[ResidentSnapshot, Departure]]:
    """For each person, their last resident row in ``household`` and the change that took them out.

    People whose latest row is still a resident's row in the household (nothing took them out) are
    left out. A person who left, came back and left again counts from their last stay."""
    history: dict[int, list[ResidentSnapshot]] = defaultdict(list)
    rows = _committed(ResidentSnapshot.objects.filter(resident_id__in=list(resident_ids)))
    for row in rows.order_by("resident_id", "history_no"):
        history[row.resident_id].append(row)
    found: dict[int, tuple[ResidentSnapshot, Departure]] = {}
    for resident_id, rows_of in history.items():
        stays = [
            i
            for i, row in enumerate(rows_of)
            if row.household_id == household.pk and row.status == ResidentStatus.RESIDENT
        ]
        if not stays or stays[-1] + 1 >= len(rows_of):
            continue
        last, leaving = rows_of[stays[-1]], rows_of[stays[-1] + 1]
        found[resident_id] = (
            last,
            Departure(
                change_id=leaving.change_id,
                reason=leaving.change.reason,
                change_date=leaving.change.change_date,
            ),
        )
    return found


def _authorize(actor: Any, purpose: str) -> None:
    """Both reads need ``resident:view``; a refusal is audited under the list's action."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_RECORD_LIST,
        purpose=purpose,
        subject_type="household",
    )


def _household(household_number: str) -> Household:
    household = Household.objects.filter(number=household_number.strip()).first()
    if household is None:
        raise refusal(
            "household_number",
            "該当する世帯が見つかりません。",
            "世帯番号を確認してください（住民票照会の画面に表示されます）。",
            "registry.household_not_found",
        )
    return household


def household_inquiry(
    *, actor: Any, purpose: str, household_number: str, acknowledged_alerts: Collection[str] = ()
) -> HouseholdView:
    """The 世帯照会: the household's current members, then its former members (standard 3.3-a)."""
    _authorize(actor, purpose)
    household = _household(household_number)
    ever = set(
        ResidentSnapshot.objects.filter(household=household, history_no__isnull=False).values_list(
            "resident_id", flat=True
        )
    )
    residents = list(
        Resident.objects.filter(pk__in=ever, current__isnull=False).select_related(
            "current__household", "current__change", "current__resident"
        )
    )
    current = sorted(
        (
            r.current
            for r in residents
            if r.current is not None
            and r.current.household_id == household.pk
            and r.current.status == ResidentStatus.RESIDENT
        ),
        key=lambda s: (s.member_order, s.resident.atena_number),
    )
    members_ids = {s.resident_id for s in current}
    left = departures(household, (r.pk for r in residents if r.pk not in members_ids))
    former = sorted(
        left.values(), key=lambda f: (f[1].change_date, f[0].member_order, f[0].resident.atena_number)
    )
    numbers = [s.resident.atena_number for s in current] + [row.resident.atena_number for row, _ in former]
    if not numbers:
        raise refusal(
            "household_number",
            "この世帯には記録された世帯員がいません。",
            "世帯番号を確認してください。",
            "registry.household_not_found",
        )
    check = services_restrictions.enforce_restrictions(
        actor=actor,
        purpose=purpose,
        atena_numbers=numbers,
        process=RestrictedProcess.INQUIRY,
        action=AuditAction.RESIDENT_RECORD_LIST,
        subject_type="household",
        subject_id=household.number,
        acknowledged=acknowledged_alerts,
    )
    visible = visible_fields(actor)
    with (
        services_restrictions.refusals_audited(
            actor=actor,
            purpose=purpose,
            action=AuditAction.RESIDENT_RECORD_LIST,
            subject_type="household",
            subject_id=household.number,
        ),
        transaction.atomic(),
    ):
        check = services_restrictions.consume_or_refuse(
            check, actor=actor, purpose=purpose, subject_type="household", subject_id=household.number
        )
        services_restrictions.acknowledge_alerts(
            check, actor=actor, purpose=purpose, subject_type="household", subject_id=household.number
        )
        record_results(
            actor,
            "resident",
            numbers,
            purpose,
            HOUSEHOLD_QUERY,
            support_measure=check.support_measure,
        )
    return HouseholdView(
        household_number=household.number,
        members=tuple(_view(s, visible) for s in current),
        former_members=tuple(FormerMember(member=_view(row, visible), departure=d) for row, d in former),
    )


@dataclass(frozen=True)
class HeadlessHousehold:
    """A household without a 世帯主 awaiting a 世帯主変更届 (4.0.5-a), as the 対象者一覧 shows it.

    ``addressee`` is the member the 世帯主変更依頼通知書 goes to: the first remaining member in the
    stored order, which a household without a head keeps as it stood before the head left (5.2-a,
    algorithms.md D.2). ``head_left`` is how the last 世帯主 left, when the history shows it."""

    household_number: str
    addressee: ResidentView
    member_count: int
    head_left: Departure | None
    suppressed: bool  # 抑止 or 支援措置 marks of the addressee (standard 3.1-f), as a result list shows
    support_measure: bool

    @property
    def atena_number(self) -> str:
        return self.addressee.atena_number


def _head_left(household: Household) -> Departure | None:
    last_head = (
        ResidentSnapshot.objects.filter(household=household, is_head=True, history_no__isnull=False)
        .order_by(F("change__reviewed_at").desc(nulls_last=True), "-change_id")
        .values_list("resident_id", flat=True)
        .first()
    )
    if last_head is None:
        return None
    left = departures(household, [last_head]).get(last_head)
    return left[1] if left else None


def headless_households(*, actor: Any, purpose: str) -> tuple[HeadlessHousehold, ...]:
    """The 世帯主変更依頼 対象者一覧: every household whose resident members have no 世帯主, by 世帯番号.

    Authorised (``resident:view``) and audited once, naming each addressee listed (C-48)."""
    _authorize(actor, purpose)
    visible = visible_fields(actor)
    with transaction.atomic():
        residents = ResidentSnapshot.objects.filter(current_of__isnull=False, status=ResidentStatus.RESIDENT)
        headed = residents.filter(is_head=True).values("household_id")
        rows = list(
            residents.exclude(household_id__in=Subquery(headed))
            .select_related("household", "change", "resident")
            .order_by("household__number", "member_order", "resident__atena_number")
        )
        by_household: dict[int, list[ResidentSnapshot]] = defaultdict(list)
        for row in rows:
            by_household[row.household_id].append(row)
        firsts = [members[0] for members in by_household.values()]
        marks = restriction_marks(s.resident.atena_number for s in firsts)
        listed = tuple(
            HeadlessHousehold(
                household_number=first.household.number,
                addressee=_view(first, visible),
                member_count=len(by_household[first.household_id]),
                head_left=_head_left(first.household),
                suppressed=marks[first.resident.atena_number].suppressed,
                support_measure=marks[first.resident.atena_number].support_measure,
            )
            for first in firsts
        )
        record_results(
            actor,
            "resident",
            [h.addressee.atena_number for h in listed],
            purpose,
            HEADLESS_QUERY,
            support_measure=any(h.support_measure for h in listed),
        )
    return listed
