"""Reads of 抑止 and 支援措置 for the clerk screens and the API (standard 3.1, 3.4, 2.2.4-a).

``person_notices`` is the unaudited flag read behind the 「支援」 banner and pop-up: callers show it
beside a record whose read they have already audited. The other reads are authorised and audited.
Details of a support measure (the 加害者 above all) need ``SUPPORT_MEASURE_VIEW`` (controls.md C-38).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from jumin.accounts import clock
from jumin.accounts.authorization import authorize, has_permission
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import periods, recorded_dates
from jumin.domain.errors import Alert, refusal
from jumin.registry import support_roles
from jumin.registry.models import Resident
from jumin.registry.models_restrictions import (
    CoveredService,
    MunicipalityRole,
    PeriodKind,
    ReleaseTarget,
    RestrictedProcessChoice,
    RestrictionLevelChoice,
    SupportEndReason,
    SupportMeasure,
    SupportMeasurePerson,
    SupportRole,
    Suppression,
    SuppressionReason,
    SuppressionScope,
    TemporaryRelease,
)
from jumin.registry.models_support import ForwardingDirection, PerpetratorSex, SupportForwarding
from jumin.registry.restrictions import restriction_marks


@dataclass(frozen=True)
class PersonNotices:
    """What a screen showing one person must display: banner, pop-up and period alerts (3.4-e)."""

    suppressed: bool
    support_measure: bool
    provisional: bool
    alerts: tuple[Alert, ...]
    former_municipality: bool = False  # every measure protecting them is 転出元 (3.4-h)


def _current_period(measure: SupportMeasure) -> periods.SupportPeriod | None:
    row = max(measure.periods.all(), key=lambda p: p.pk, default=None)
    return periods.SupportPeriod(row.start, row.end) if row is not None else None


def person_notices(atena_number: str, *, on: date | None = None) -> PersonNotices:
    """The 「支援」 banner and pop-up flags and the end-of-period alerts for one person.

    Unaudited: call it only next to a read of the same person that was authorised and audited.
    Alerts fire in the last month of a period and after an end without extension (3.4-e).
    """
    day = on or clock.today()
    marks = restriction_marks([atena_number], on=day).get(atena_number)
    if marks is None:
        return PersonNotices(suppressed=False, support_measure=False, provisional=False, alerts=())
    measures = list(
        SupportMeasure.objects.filter(people__resident__atena_number=atena_number, ended_at__isnull=True)
        .prefetch_related("periods")
        .distinct()
    )
    alerts: list[Alert] = []
    provisional = bool(measures)
    former = support_roles.former_measure_ids([m.pk for m in measures]) if measures else set()
    for measure in measures:
        period = _current_period(measure)
        if period is None or measure.pk in former:  # 転出元: a 仮支援措置 again, no period runs (3.4-h)
            continue
        provisional = False
        for alert in periods.alerts_on_view(period.end, day, ended=False):
            if alert not in alerts:
                alerts.append(alert)
    return PersonNotices(
        suppressed=marks.suppressed,
        support_measure=marks.support_measure,
        provisional=provisional,
        alerts=tuple(alerts),
        former_municipality=bool(measures) and len(former) == len(measures),
    )


def notices_for(atena_numbers: Iterable[str], *, on: date | None = None) -> PersonNotices:
    """The banner and pop-up flags for a screen showing several people (a household, a draft).

    One person: exactly ``person_notices``. Several: set when any of them is protected or suppressed
    (three queries for the marks, then one ``person_notices`` per protected person). Unaudited,
    like ``person_notices``.
    """
    numbers = list(dict.fromkeys(n for n in atena_numbers if n))
    if len(numbers) == 1:
        return person_notices(numbers[0], on=on)
    marks = restriction_marks(numbers, on=on)
    protected = [person_notices(n, on=on) for n, m in marks.items() if m.support_measure]
    alerts: list[Alert] = []
    for notices in protected:
        alerts += [a for a in notices.alerts if a not in alerts]
    return PersonNotices(
        suppressed=any(m.suppressed for m in marks.values()),
        support_measure=bool(protected),
        provisional=bool(protected) and all(n.provisional for n in protected),
        alerts=tuple(alerts),
        former_municipality=bool(protected) and all(n.former_municipality for n in protected),
    )


@dataclass(frozen=True)
class SuppressionView:
    """One suppression as the list shows it; lifted ones stay in the list as history."""

    suppression_id: int
    scope: str
    process: str
    process_label: str
    level: str
    level_label: str
    start_date: str
    end_date: str
    reason_label: str
    reason_text: str
    set_by: str
    set_at: str
    lifted: bool
    lifted_by: str
    lifted_at: str
    lift_reason: str


@dataclass(frozen=True)
class ReleaseView:
    """A 一時解除 with its state: 有効 (unused, unexpired), 使用済 (by which request) or 期限切れ."""

    release_id: int
    process_label: str
    target: str
    target_label: str
    granted_by: str
    granted_at: str
    expires_at: str
    state: str  # "active" | "consumed" | "expired"
    state_label: str
    consumed_for: str  # "交付 12", "異動 34" or "照会"; empty while unused
    consumed_by: str
    consumed_at: str


# What used a release up, by the consumer's subject type (services_restrictions.consume_releases).
_CONSUMER_LABELS = {"issuance": "交付", "change": "異動", "resident": "照会"}


def _release_view(row: TemporaryRelease, now: Any) -> ReleaseView:
    consumed_for = ""
    if row.consumed_at is not None:
        state, state_label = "consumed", "使用済"
        kind = row.consumed_subject_type
        label = _CONSUMER_LABELS.get(kind, kind)
        # A 照会's subject is the person themselves: the label alone says enough.
        consumed_for = label if kind == "resident" else f"{label} {row.consumed_subject_id}"
    elif row.expires_at <= now:
        state, state_label = "expired", "期限切れ"
    else:
        state, state_label = "active", "有効"
    return ReleaseView(
        release_id=row.pk,
        process_label=RestrictedProcessChoice(row.process).label,
        target=row.target,
        target_label=ReleaseTarget(row.target).label,
        granted_by=str(row.granted_by),
        granted_at=_iso(row.granted_at),
        expires_at=_iso(row.expires_at),
        state=state,
        state_label=state_label,
        consumed_for=consumed_for,
        consumed_by=str(row.consumed_by) if row.consumed_by is not None else "",
        consumed_at=_iso(row.consumed_at),
    )


@dataclass(frozen=True)
class MeasureSummary:
    """A support measure in a person's list: no 加害者, no other person's name."""

    measure_id: int
    role_label: str
    status_label: str
    period_start: str
    period_end: str


@dataclass(frozen=True)
class PersonRestrictions:
    """Everything restricting one person; measures are listed only to holders of the view permission."""

    atena_number: str
    household_number: str
    suppressions: tuple[SuppressionView, ...]
    releases: tuple[ReleaseView, ...]
    support_measure: bool
    measures: tuple[MeasureSummary, ...]
    notices: PersonNotices


def _iso(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat(timespec="minutes") if hasattr(value, "hour") else str(value)


def _suppression_view(row: Suppression) -> SuppressionView:
    return SuppressionView(
        suppression_id=row.pk,
        scope=SuppressionScope(row.scope).label,
        process=row.process,
        process_label=RestrictedProcessChoice(row.process).label,
        level=row.level,
        level_label=RestrictionLevelChoice(row.level).label,
        start_date=row.start_date.isoformat(),
        end_date=row.end_date.isoformat() if row.end_date else "",
        reason_label=SuppressionReason(row.reason).label,
        reason_text=row.reason_text,
        set_by=str(row.set_by),
        set_at=_iso(row.set_at),
        lifted=row.lifted_at is not None,
        lifted_by=str(row.lifted_by) if row.lifted_by else "",
        lifted_at=_iso(row.lifted_at),
        lift_reason=row.lift_reason,
    )


def _status_label(
    measure: SupportMeasure, period: periods.SupportPeriod | None, *, former: bool = False
) -> str:
    if measure.ended_at is not None:
        return f"終了（{SupportEndReason(measure.end_reason).label}）"
    if former:
        return "仮支援措置（転出元）"
    return "仮支援措置" if period is None else "支援中"


def _not_found() -> Exception:
    return refusal(
        "atena_number",
        "該当する住民が見つかりません。",
        "宛名番号を確認してください。",
        "registry.resident_not_found",
    )


def person_restrictions(*, actor: Any, purpose: str, atena_number: str) -> PersonRestrictions:
    """Suppressions (person and household, lifted ones included), releases (each with its state, newest
    first) and support measures of one person; audited as viewed."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_RESTRICTION_VIEW,
        purpose=purpose,
        subject_type="resident",
        subject_id=atena_number,
    )
    with transaction.atomic():
        resident = (
            Resident.objects.select_related("current__household")
            .filter(atena_number=atena_number, current__isnull=False)
            .first()
        )
        if resident is None or resident.current is None:
            raise _not_found()
        household = resident.current.household
        suppressions = (
            (Suppression.objects.filter(resident=resident) | Suppression.objects.filter(household=household))
            .select_related("set_by", "lifted_by")
            .order_by("lifted_at", "-pk")
        )
        releases = (
            TemporaryRelease.objects.filter(resident=resident)
            .select_related("granted_by", "consumed_by")
            .order_by("-pk")
        )
        now = clock.now()
        links = list(
            SupportMeasurePerson.objects.filter(resident=resident)
            .select_related("measure")
            .prefetch_related("measure__periods")
            .order_by("-measure_id")
        )
        show_measures = has_permission(actor, Permission.SUPPORT_MEASURE_VIEW)
        measures = []
        former = (
            support_roles.former_measure_ids([link.measure_id for link in links]) if show_measures else set()
        )
        for link in links if show_measures else []:
            period = None if link.measure_id in former else _current_period(link.measure)
            measures.append(
                MeasureSummary(
                    measure_id=link.measure_id,
                    role_label=SupportRole(link.role).label,
                    status_label=_status_label(link.measure, period, former=link.measure_id in former),
                    period_start=period.start.isoformat() if period else "",
                    period_end=period.end.isoformat() if period else "",
                )
            )
        view = PersonRestrictions(
            atena_number=atena_number,
            household_number=household.number,
            suppressions=tuple(_suppression_view(row) for row in suppressions),
            releases=tuple(_release_view(r, now) for r in releases),
            support_measure=any(link.measure.ended_at is None for link in links),
            measures=tuple(measures),
            notices=person_notices(atena_number),
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_RESTRICTION_VIEW,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
            support_measure=view.support_measure,
        )
    return view


@dataclass(frozen=True)
class ProtectedPerson:
    """The applicant or a 併せて支援を求める者."""

    atena_number: str
    name: str
    role_label: str


@dataclass(frozen=True)
class PeriodView:
    """One row of the period history."""

    kind_label: str
    start: str
    end: str
    recorded_at: str


@dataclass(frozen=True)
class RoleSwitchView:
    """One row of the measure's role history (住所地 ⇄ 転出元, standard 3.4-h)."""

    role_label: str
    reason: str
    change_id: int
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True)
class PerpetratorView:
    """One version of one 加害者 (standard 1.1.16-a); ``in_force`` marks the latest of its number."""

    perpetrator_no: int
    name: str
    kana: str
    atena_number: str
    birth_date: str
    sex_label: str
    address: str
    note: str
    recorded_by: str
    recorded_at: str
    in_force: bool


@dataclass(frozen=True)
class ForwardingView:
    """One 転送情報 row: where the support went to or came from. Municipalities only, never an address."""

    direction_label: str
    municipality: str
    moved_on: str
    notified_on: str
    provisional: bool
    state: str
    note: str
    recorded_at: str
    forwarding_id: int = 0
    resendable: bool = False  # a waiting outgoing row: 「再送」 once the 転入先 is a peer


@dataclass(frozen=True)
class SupportMeasureDetail:
    """The support database entry (standard 1.1.16-a) for the officer with the view permission."""

    measure_id: int
    status_label: str
    provisional: bool
    ended: bool
    people: tuple[ProtectedPerson, ...]
    perpetrator: str
    covered_services: tuple[str, ...]
    remarks: str
    start_reason: str
    provisional_since: str
    original_municipality: str
    municipality_role: str  # 住所地 or 転出元 (3.4-h)
    role_switches: tuple[RoleSwitchView, ...]
    periods: tuple[PeriodView, ...]
    extension_opens: str
    ended_on: str
    alerts: tuple[Alert, ...]
    perpetrators: tuple[PerpetratorView, ...] = ()
    forwardings: tuple[ForwardingView, ...] = ()


def support_measure_detail(*, actor: Any, purpose: str, measure_id: int) -> SupportMeasureDetail:
    """One support measure in full, 加害者 included; needs ``SUPPORT_MEASURE_VIEW`` and is audited."""
    authorize(
        actor=actor,
        permission=Permission.SUPPORT_MEASURE_VIEW,
        action=AuditAction.RESIDENT_SUPPORT_MEASURE_VIEW,
        purpose=purpose,
        subject_type="support_measure",
        subject_id=str(measure_id),
    )
    with transaction.atomic():
        measure = SupportMeasure.objects.filter(pk=measure_id).prefetch_related("periods").first()
        if measure is None:
            raise refusal(
                "measure_id",
                "該当する支援措置が見つかりません。",
                "支援措置の一覧から選んでください。",
                "registry.no_such_support_measure",
            )
        switches = list(measure.role_switches.select_related("recorded_by").order_by("pk"))
        former = bool(switches) and switches[-1].role == MunicipalityRole.FORMER
        # As 転出元 no period runs: the measure is a 仮支援措置 again (3.4-h); its periods stay as history.
        period = None if former else _current_period(measure)
        people = tuple(
            ProtectedPerson(
                atena_number=link.resident.atena_number,
                name=_name(link.resident),
                role_label=SupportRole(link.role).label,
            )
            for link in measure.people.select_related("resident__current").order_by("role", "pk")
        )
        ended = measure.ended_at is not None
        detail = SupportMeasureDetail(
            measure_id=measure.pk,
            status_label=_status_label(measure, period, former=former),
            provisional=period is None,
            ended=ended,
            people=people,
            perpetrator=measure.perpetrator,
            covered_services=tuple(CoveredService(v).label for v in measure.covered_services),
            remarks=measure.remarks,
            start_reason=measure.start_reason,
            provisional_since=measure.provisional_since.isoformat() if measure.provisional_since else "",
            original_municipality=measure.original_municipality,
            municipality_role=MunicipalityRole(
                switches[-1].role if switches else MunicipalityRole.CURRENT
            ).label,
            role_switches=tuple(
                RoleSwitchView(
                    role_label=MunicipalityRole(row.role).label,
                    reason=row.reason,
                    change_id=row.change_id,
                    recorded_by=str(row.recorded_by),
                    recorded_at=_iso(row.recorded_at),
                )
                for row in switches
            ),
            periods=tuple(
                PeriodView(
                    kind_label=PeriodKind(p.kind).label,
                    start=p.start.isoformat(),
                    end=p.end.isoformat(),
                    recorded_at=_iso(p.recorded_at),
                )
                for p in sorted(measure.periods.all(), key=lambda p: p.pk)
            ),
            extension_opens=periods.extension_window_opens(period.end).isoformat() if period else "",
            ended_on=measure.ended_on.isoformat() if measure.ended_on else "",
            alerts=tuple(periods.alerts_on_view(period.end, clock.today(), ended=ended)) if period else (),
            perpetrators=_perpetrator_views(measure),
            forwardings=tuple(_forwarding_view(row) for row in measure.forwardings.order_by("pk")),
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_SUPPORT_MEASURE_VIEW,
            subject_type="support_measure",
            subject_id=str(measure.pk),
            purpose=purpose,
            support_measure=True,
        )
    return detail


def _perpetrator_views(measure: SupportMeasure) -> tuple[PerpetratorView, ...]:
    """Every version of every 加害者, by number then oldest first; the latest of each is in force."""
    rows = sorted(measure.perpetrators.select_related("recorded_by"), key=lambda r: (r.perpetrator_no, r.pk))
    latest = {row.perpetrator_no: row.pk for row in rows}
    return tuple(
        PerpetratorView(
            perpetrator_no=row.perpetrator_no,
            name=f"{row.surname} {row.given_name}".strip(),
            kana=f"{row.surname_kana}\u3000{row.given_name_kana}".strip("\u3000"),
            atena_number=row.atena_number,
            birth_date=recorded_dates.display(recorded_dates.from_json(row.birth_date))
            if row.birth_date
            else "不明",
            sex_label=PerpetratorSex(row.sex).label,
            address=row.address,
            note=row.note,
            recorded_by=str(row.recorded_by),
            recorded_at=_iso(row.recorded_at),
            in_force=latest[row.perpetrator_no] == row.pk,
        )
        for row in rows
    )


def _forwarding_view(row: SupportForwarding) -> ForwardingView:
    retraction = "連絡の撤回（転出の取消し）" if row.retracts_message_id else ""
    if row.direction == ForwardingDirection.INCOMING:
        state = f"受信：{retraction}" if retraction else "受信"
    elif row.sent_at is not None:
        state = f"{retraction or '転入先へ連絡済み'}（{_iso(row.sent_at)}）"
    else:
        state = "未連絡（転入先不明または連携先外）"
    return ForwardingView(
        forwarding_id=row.pk,
        resendable=row.direction == ForwardingDirection.OUTGOING
        and row.sent_at is None
        and not row.retracts_message_id,
        direction_label=ForwardingDirection(row.direction).label,
        municipality=" ".join(part for part in (row.municipality_code, row.municipality_name) if part),
        moved_on=row.moved_on.isoformat() if row.moved_on else "",
        notified_on=row.notified_on.isoformat() if row.notified_on else "",
        provisional=row.provisional,
        state=state,
        note=row.note,
        recorded_at=_iso(row.recorded_at),
    )


def _name(resident: Resident) -> str:
    current = resident.current
    return f"{current.surname} {current.given_name}".strip() if current else ""
