"""支援措置 whose period is ending: the 期間終了予定一覧 and the 支援措置期間終了通知's data (3.4-d).

- ``measures_ending`` is the clerk's work list (authorised with ``SUPPORT_MEASURE_MANAGE``, audited):
  every measure in force, not provisional, whose period in force ends in the chosen window. A measure
  already extended has a later period in force, so it drops out by itself; an ended one is excluded.
- ``support_end_notice_source`` is the notice's committed data for the certificates app, unaudited like
  ``certificate_sources``: the printing service authorises and audits the use.
- ``support_start_notice_source`` is the same for the optional 支援措置開始通知 (3.4-i).

None ever returns the 加害者 nor any 併せて支援を求める者: the notices go to the 申出者 alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max, OuterRef, Subquery

from jumin.accounts import clock
from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import periods
from jumin.domain.errors import refusal
from jumin.domain.resident import ResidentStatus
from jumin.registry import certificate_sources, support_roles
from jumin.registry.certificate_sources import SourcePerson
from jumin.registry.models_restrictions import (
    CoveredService,
    SupportEndNoticePrint,
    SupportMeasure,
    SupportMeasurePeriod,
    SupportMeasurePerson,
    SupportRole,
)

CODE_NO_NOTICE = "registry.no_support_end_notice"
CODE_NO_START_NOTICE = "registry.no_support_start_notice"


@dataclass(frozen=True)
class EndingMeasure:
    """One row of the 期間終了予定一覧: no 加害者, no other protected person."""

    measure_id: int
    applicant_atena_number: str
    applicant_name: str
    covered_services: tuple[str, ...]
    period_start: date
    period_end: date
    extension_opens: date
    notice_printed_at: datetime | None = None  # the latest 期間終了通知 printed for this period


@dataclass(frozen=True)
class EndingMeasures:
    """The window asked for (both ends inclusive) and the measures ending in it, soonest first."""

    window_start: date
    window_end: date
    rows: tuple[EndingMeasure, ...]


@dataclass(frozen=True)
class SupportEndNotice:
    """What the 支援措置期間終了通知 prints: the 申出者's committed record and the period in force."""

    measure_id: int
    applicant: SourcePerson
    covered_services: tuple[str, ...]
    period: periods.SupportPeriod
    extension_opens: date
    period_id: int  # the period row the notice is about (``record_end_notices_printed``)


def _current_end() -> Subquery:
    latest = SupportMeasurePeriod.objects.filter(measure=OuterRef("pk")).order_by("-pk")
    return Subquery(latest.values("end")[:1])


def _labels(values: list[str]) -> tuple[str, ...]:
    return tuple(CoveredService(v).label for v in values)


def _window(window_start: date | None, window_end: date | None) -> tuple[date, date]:
    today = clock.today()
    start = window_start or today
    end = window_end or periods.last_end_with_open_window(start)
    if end < start:
        raise refusal(
            "window_end",
            "終了予定日の範囲の終わりが始まりより前になっています。",
            "範囲の終わりには始まり以後の日付を入力してください。",
            "registry.support_window_reversed",
        )
    return start, end


def measures_ending(
    *, actor: Any, purpose: str, window_start: date | None = None, window_end: date | None = None
) -> EndingMeasures:
    """The 期間終了予定一覧: measures in force whose current period ends from ``window_start`` (default
    today) to ``window_end`` (default: the last end date whose extension window is open on
    ``window_start``, about one month on). Extended measures (a later period) and ended ones are not
    listed. Needs ``SUPPORT_MEASURE_MANAGE``; audited with the window and the row count.
    """
    authorize(
        actor=actor,
        permission=Permission.SUPPORT_MEASURE_MANAGE,
        action=AuditAction.RESIDENT_SUPPORT_MEASURE_ENDING_LIST,
        purpose=purpose,
        subject_type="support_measure",
    )
    start, end = _window(window_start, window_end)
    with transaction.atomic():
        measures = list(
            # A 仮支援措置 has no period: its current end is NULL and no range matches it.
            SupportMeasure.objects.filter(ended_at__isnull=True)
            .annotate(current_end=_current_end())
            .filter(current_end__gte=start, current_end__lte=end)
            .prefetch_related("periods")
            .order_by("current_end", "pk")
        )
        former = support_roles.former_measure_ids([m.pk for m in measures]) if measures else set()
        measures = [m for m in measures if m.pk not in former]  # 転出元: no period runs (3.4-h)
        applicants = {
            link.measure_id: link.resident
            for link in SupportMeasurePerson.objects.filter(
                measure__in=measures, role=SupportRole.APPLICANT
            ).select_related("resident__current")
        }
        current_periods = {m.pk: max(m.periods.all(), key=lambda p: p.pk) for m in measures}
        printed = dict(
            SupportEndNoticePrint.objects.filter(period__in=list(current_periods.values()))
            .values("period_id")
            .annotate(last=Max("printed_at"))
            .values_list("period_id", "last")
        )
        rows = []
        for measure in measures:
            current = current_periods[measure.pk]
            applicant = applicants.get(measure.pk)
            snapshot = applicant.current if applicant is not None else None
            rows.append(
                EndingMeasure(
                    measure_id=measure.pk,
                    applicant_atena_number=applicant.atena_number if applicant is not None else "",
                    applicant_name=f"{snapshot.surname} {snapshot.given_name}".strip() if snapshot else "",
                    covered_services=_labels(measure.covered_services),
                    period_start=current.start,
                    period_end=current.end,
                    extension_opens=periods.extension_window_opens(current.end),
                    notice_printed_at=printed.get(current.pk),
                )
            )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_SUPPORT_MEASURE_ENDING_LIST,
            subject_type="support_measure",
            purpose=purpose,
            query_summary="period_end",
            reason=f"終了予定日 {start.isoformat()}〜{end.isoformat()}",
            result_count=len(rows),
            support_measure=True,
        )
    return EndingMeasures(window_start=start, window_end=end, rows=tuple(rows))


def _no_notice(reason: str, remedy: str) -> Exception:
    return refusal("measure_id", reason, remedy, CODE_NO_NOTICE)


def _applicant_living_here(measure: SupportMeasure, no: Callable[[str, str], Exception]) -> SourcePerson:
    """The 申出者's committed record; refused (``no``) without one, or when they no longer live here: a
    notice goes only to the address the municipality knows as current."""
    link = measure.people.filter(role=SupportRole.APPLICANT).select_related("resident").first()
    if link is None:
        raise no("この支援措置には申出者が記録されていません。", "支援措置の内容を確認してください。")
    applicant = certificate_sources.people([link.resident.atena_number])[0]
    if applicant.status != ResidentStatus.RESIDENT:
        raise no(
            "申出者が転出等により住民でなくなっているため、現住所に通知を送れません。",
            "申出者への連絡方法を担当者が確認してください（転出先の市区町村での手続を案内します）。",
        )
    return applicant


def support_end_notice_source(measure_id: int, *, on: date | None = None) -> SupportEndNotice:
    """The committed data of one 支援措置期間終了通知; unaudited (the printing service audits).

    Refused when the measure is missing or ended by staff, still a 仮支援措置 (no period to end), its
    period has already run out on ``on`` (default today), or the 申出者 no longer lives here (the notice
    goes only to the address the municipality knows as current).
    """
    day = on or clock.today()
    measure = SupportMeasure.objects.filter(pk=measure_id).prefetch_related("periods").first()
    if measure is None or measure.ended_at is not None:
        raise _no_notice(
            "この支援措置は見つからないか、既に終了しています。",
            "期間終了予定一覧から、支援中の支援措置を選んでください。",
        )
    current = max(measure.periods.all(), key=lambda p: p.pk, default=None)
    if current is None:
        raise _no_notice(
            "仮支援措置のため支援措置期間がなく、期間終了通知は作成できません。",
            "支援開始の処理をしてから作成してください。",
        )
    if current.end < day:
        raise _no_notice(
            "支援措置期間が既に終了しているため、期間終了通知は作成できません。",
            "延長または終了の処理をしてください（期間終了後の申出は新たな申出として受け付けます）。",
        )
    applicant = _applicant_living_here(measure, _no_notice)
    return SupportEndNotice(
        measure_id=measure.pk,
        applicant=applicant,
        covered_services=_labels(measure.covered_services),
        period=periods.SupportPeriod(current.start, current.end),
        extension_opens=periods.extension_window_opens(current.end),
        period_id=current.pk,
    )


@dataclass(frozen=True)
class SupportStartNotice:
    """What the 支援措置開始通知 prints: the 申出者's committed record and the first period (the start)."""

    measure_id: int
    applicant: SourcePerson
    covered_services: tuple[str, ...]
    period: periods.SupportPeriod
    co_applicants: int  # how many 併せて支援を求める者 (a count: the notice names no other person)


def support_start_notice_source(measure_id: int, *, on: date | None = None) -> SupportStartNotice:
    """The committed data of one 支援措置開始通知 (3.4-i, optional); unaudited (the printing service audits).

    Refused when the measure is missing or ended, still a 仮支援措置 (support has not started), its first
    period has already run out on ``on`` (default today: the notice would announce a past start), or the
    申出者 no longer lives here.
    """
    day = on or clock.today()
    measure = SupportMeasure.objects.filter(pk=measure_id).prefetch_related("periods").first()

    def no(reason: str, remedy: str) -> Exception:
        return refusal("measure_id", reason, remedy, CODE_NO_START_NOTICE)

    if measure is None or measure.ended_at is not None:
        raise no(
            "この支援措置は見つからないか、既に終了しています。", "支援中の支援措置の番号を入力してください。"
        )
    first = min(measure.periods.all(), key=lambda p: p.pk, default=None)
    if first is None:
        raise no(
            "仮支援措置のため、まだ支援を開始していません。",
            "支援開始の処理（支援開始日の入力）をしてから作成してください。",
        )
    if first.end < day:
        raise no(
            "最初の支援措置期間が既に終了しているため、開始通知は作成できません。",
            "必要なら延長・終了の処理とあわせて、申出者への連絡方法を担当者が判断してください。",
        )
    applicant = _applicant_living_here(measure, no)
    return SupportStartNotice(
        measure_id=measure.pk,
        applicant=applicant,
        covered_services=_labels(measure.covered_services),
        period=periods.SupportPeriod(first.start, first.end),
        co_applicants=measure.people.filter(role=SupportRole.CO_APPLICANT).count(),
    )


def record_end_notices_printed(notices: Sequence[SupportEndNotice], *, actor: Any) -> None:
    """Keep that these 支援措置期間終了通知 were printed (inside the printing transaction, with its audit)."""
    now = clock.now()
    SupportEndNoticePrint.objects.bulk_create(
        SupportEndNoticePrint(period_id=notice.period_id, printed_at=now, printed_by=actor)
        for notice in notices
    )
