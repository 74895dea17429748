"""State changes of 抑止 (suppression) and 支援措置 (support measure): standard 3.1, 3.4.

Each use case: one ``authorize``, one transaction, one audit event. Nothing is deleted or overwritten:
lifting and ending fill in "who, when, why" once; every new period is a new row. The perpetrator
(加害者) text never enters an audit entry, a log or an exception message.

Also the enforcement helpers the registry's own services and selectors call (``enforce_restrictions``,
``acknowledge_alerts``): a blocked process is refused and audited; an alert must be acknowledged. A
request that went ahead through a 一時解除 consumes it in its own transaction (``consume_releases``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from jumin.accounts import clock
from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain import periods
from jumin.domain.errors import Alert, DomainError, refusal
from jumin.registry import restriction_feed, restriction_locks, support_database, support_roles
from jumin.registry.models import Household, Resident
from jumin.registry.models_restrictions import (
    CoveredService,
    MunicipalityRole,
    PeriodKind,
    ReleaseTarget,
    SupportEndReason,
    SupportMeasure,
    SupportMeasurePeriod,
    SupportMeasurePerson,
    SupportRole,
    Suppression,
    SuppressionReason,
    SuppressionScope,
    TemporaryRelease,
)
from jumin.registry.restrictions import (
    SOURCE_SUPPRESSION,
    KnownHouseholds,
    RestrictedProcess,
    RestrictionCheck,
    RestrictionLevel,
    check_restrictions,
)
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError, require_acknowledged

# Re-exported so screens and the API can offer the choices without importing models.
__all__ = [
    "CoveredService",
    "ReleaseGranted",
    "ReleaseTarget",
    "SupportApplication",
    "SupportEndReason",
    "SuppressionReason",
    "SuppressionRequest",
    "SuppressionScope",
    "acknowledge_alerts",
    "as_alerts",
    "check_change_entry",
    "consume_releases",
    "create_support_measure",
    "edit_support_end",
    "end_support",
    "enforce_in_transaction",
    "enforce_restrictions",
    "extend_support",
    "lift_suppression",
    "lock_persons",
    "refusals_audited",
    "release_temporarily",
    "set_suppression",
    "start_support",
]

TEXT_MAX = 200
CODE_RESTRICTED = "registry.restricted"
# One acknowledgment style for every alert (docs/workflows/review.md): the codes the clerk confirmed.
CODE_ALERT_NOT_ACKNOWLEDGED = "registry.alerts_not_acknowledged"


# --- enforcement -------------------------------------------------------------------------------


def enforce_restrictions(
    *,
    actor: Any,
    purpose: str,
    atena_numbers: Iterable[str],
    process: RestrictedProcess,
    action: AuditAction,
    subject_type: str,
    subject_id: str,
    acknowledged: Collection[str] = (),
    require_acknowledgment: bool = True,
    household_numbers: Iterable[str] = (),
) -> RestrictionCheck:
    """Check ``process`` for these persons and refuse, audited under ``action``, when it is blocked.

    Error findings not covered by a 一時解除 refuse the process (standard 3.1-b). Alert findings refuse
    it too (``UnacknowledgedAlertsError``) until ``acknowledged`` holds each of their codes (then call
    ``acknowledge_alerts`` inside the caller's transaction), unless ``require_acknowledgment`` is false
    (a draft only shows them, the acknowledgment comes at commit). Call before the caller's
    transaction, like ``authorize``: the refusal is written in its own transaction and survives the
    exception.
    """
    check = check_restrictions(atena_numbers, process=process, household_numbers=household_numbers)
    refused = _refusal(check, acknowledged, require_acknowledgment=require_acknowledgment)
    if refused is not None:
        _audit_refusal(actor, purpose, action, subject_type, subject_id, refused.reason, check)
        raise refused.error
    return check


class RestrictionRefusedError(Exception):
    """A check inside a transaction refused (``enforce_in_transaction``): raised through the
    transaction so that it rolls back; ``refusals_audited`` audits it after and raises ``error``."""

    def __init__(self, error: DomainError, reason: str, check: RestrictionCheck) -> None:
        super().__init__(error.code)
        self.error = error
        self.reason = reason
        self.check = check


def _refusal(
    check: RestrictionCheck, acknowledged: Collection[str], *, require_acknowledgment: bool
) -> RestrictionRefusedError | None:
    """The refusal ``check`` calls for, with its audit reason; None when the process may go ahead."""
    if check.blocked:
        return RestrictionRefusedError(restricted_refusal(check), "restricted", check)
    if require_acknowledgment:
        try:
            require_acknowledged(as_alerts(check), acknowledged)
        except UnacknowledgedAlertsError as error:
            return RestrictionRefusedError(error, "alert_not_acknowledged", check)
    return None


def enforce_in_transaction(
    *,
    atena_numbers: Iterable[str],
    process: RestrictedProcess,
    acknowledged: Collection[str] = (),
    household_numbers: Iterable[str] = (),
    known: KnownHouseholds | None = None,
) -> RestrictionCheck:
    """``enforce_restrictions`` inside the caller's transaction, after its row locks (``row_locks``).

    Checked under the locks a setter of a 抑止 or 支援措置 also takes, a restriction set meanwhile is
    either seen here or set after the caller's commit, never missed. A refusal is raised as
    ``RestrictionRefusedError`` so that the transaction rolls back; wrap the transaction in
    ``refusals_audited``, which audits it once nothing of the transaction is left.
    """
    check = check_restrictions(
        atena_numbers, process=process, household_numbers=household_numbers, known=known
    )
    refused = _refusal(check, acknowledged, require_acknowledgment=True)
    if refused is not None:
        raise refused
    return check


def lock_persons(atena_numbers: Iterable[str]) -> None:
    """Row-lock these persons' current households, then the persons (``restriction_locks``' order),
    for a process of another app that checks their restrictions next, in the same transaction.

    A 抑止 or 支援措置 set on them meanwhile takes the same locks: the check made after this call sees
    it, or it is set after the caller's transaction. One query to find the rows, one lock each.
    """
    rows = list(
        Resident.objects.filter(atena_number__in={n for n in atena_numbers if n}).values_list(
            "pk", "current__household_id"
        )
    )
    restriction_locks.lock_households(household for _, household in rows)
    restriction_locks.lock_residents(person for person, _ in rows)


def restricted_refusal(check: RestrictionCheck) -> DomainError:
    """The registry's refusal of a blocked process, worded by its first error not covered by a release."""
    first = next(f for f in check.findings if f.level is RestrictionLevel.ERROR and not f.released)
    return refusal(
        "atena_number",
        first.message,
        "抑止・支援措置の担当者に確認してください。審査のうえ一時解除された場合に限り処理できます。",
        CODE_RESTRICTED,
    )


def consume_releases(
    check: RestrictionCheck, *, actor: Any, purpose: str, subject_type: str, subject_id: str
) -> RestrictionCheck:
    """Consume the 一時解除 ``check`` passed through, for the request ``subject_type``/``subject_id``.

    A release lets one request through (issue 6): call inside the transaction of the request itself,
    once it is sure to go ahead, so a refused or rolled-back request leaves the release unused. Each
    release is taken by a conditional UPDATE (unused and unexpired), so of two requests racing for one,
    only one takes it; each taken release gets a ``resident:restriction_release:consume`` entry. Returns
    the check without the releases another request took first: if it is ``blocked`` now, refuse.
    """
    now = clock.now()
    lost: list[int] = []
    for release_id in check.releases_used:
        taken = TemporaryRelease.objects.filter(
            pk=release_id, consumed_at__isnull=True, expires_at__gt=now
        ).update(
            consumed_at=now,
            consumed_by=actor,
            consumed_subject_type=subject_type,
            consumed_subject_id=subject_id,
        )
        if not taken:
            lost.append(release_id)
            continue
        source = next(f.source for f in check.findings if f.release_id == release_id)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_RESTRICTION_RELEASE_CONSUME,
            subject_type="temporary_release",
            subject_id=str(release_id),
            purpose=purpose,
            reason=f"{subject_type}={subject_id}",
            support_measure=source != SOURCE_SUPPRESSION,
        )
    return check.without_releases(lost) if lost else check


def consume_or_refuse(
    check: RestrictionCheck, *, actor: Any, purpose: str, subject_type: str, subject_id: str
) -> RestrictionCheck:
    """``consume_releases``, refusing with the usual ``registry.restricted`` when another request took
    a release first (raised as ``RestrictionRefusedError``: wrap the transaction in ``refusals_audited``)."""
    consumed = consume_releases(
        check, actor=actor, purpose=purpose, subject_type=subject_type, subject_id=subject_id
    )
    if consumed.blocked:
        raise RestrictionRefusedError(restricted_refusal(consumed), "restricted", consumed)
    return consumed


@contextmanager
def refusals_audited(
    *, actor: Any, purpose: str, action: AuditAction, subject_type: str, subject_id: str
) -> Iterator[None]:
    """Audit a refusal of ``enforce_in_transaction`` under ``action`` (outcome ``refused``), outside the
    rolled-back transaction it was raised in, and raise the clerk's error in its place."""
    try:
        yield
    except RestrictionRefusedError as refused:
        _audit_refusal(actor, purpose, action, subject_type, subject_id, refused.reason, refused.check)
        raise refused.error from None


def check_change_entry(
    *,
    actor: Any,
    purpose: str,
    action: AuditAction,
    atena_numbers: Iterable[str],
    household_numbers: Iterable[str] = (),
) -> list[Alert]:
    """The 異動入力 check when a draft is entered (standard 3.1-b); returns the alerts for the draft.

    An error finding not covered by a 一時解除 refuses the draft, audited under the workflow's own
    ``action``; alerts go with the draft and are acknowledged at the 本登録 (``commit_change`` checks
    again). ``household_numbers``: the households the draft puts people into (the persons' own ones
    count anyway). Call before the workflow's transaction.
    """
    check = enforce_restrictions(
        actor=actor,
        purpose=purpose,
        atena_numbers=atena_numbers,
        process=RestrictedProcess.CHANGE_ENTRY,
        action=action,
        subject_type="change",
        subject_id="",
        require_acknowledgment=False,
        household_numbers=[n for n in household_numbers if n],
    )
    return as_alerts(check)


def _audit_refusal(
    actor: Any,
    purpose: str,
    action: AuditAction,
    subject_type: str,
    subject_id: str,
    reason: str,
    check: RestrictionCheck,
) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            purpose=purpose,
            outcome=Outcome.REFUSED,
            outcome_reason=reason,
            support_measure=check.support_measure,
            **audit_context(),
        )


def acknowledge_alerts(
    check: RestrictionCheck, *, actor: Any, purpose: str, subject_type: str, subject_id: str
) -> None:
    """Audit that the clerk acknowledged the alert findings (standard 3.1-b); call inside the
    transaction of the action itself, so the acknowledgment and the action stand or fall together."""
    pending = [f for f in check.alerts if not f.released]
    if not pending:
        return
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_RESTRICTION_ACKNOWLEDGE,
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        reason=",".join(sorted({f.code for f in pending})),
        support_measure=check.support_measure,
    )


def as_alerts(check: RestrictionCheck) -> list[Alert]:
    """The unreleased alert findings as the alerts a draft shows its clerk (no personal data)."""
    return [
        Alert(field="atena_numbers", message=f.message, code=f.code) for f in check.alerts if not f.released
    ]


# --- suppressions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuppressionRequest:
    """A suppression to set (standard 3.1-b). ``target_number`` is a 宛名番号 or a 世帯番号 per scope."""

    scope: SuppressionScope
    target_number: str
    process: RestrictedProcess
    level: RestrictionLevel
    start_date: date
    reason: SuppressionReason
    end_date: date | None = None
    reason_text: str = ""


def _check_text(value: str, field_name: str, label: str, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise refusal(
            field_name,
            f"{label}が入力されていません。",
            f"{label}を入力してください。",
            "registry.text_required",
        )
    if len(text) > TEXT_MAX:
        raise refusal(
            field_name,
            f"{label}が長すぎます。",
            f"{TEXT_MAX}文字以内で入力してください。",
            "registry.text_too_long",
        )
    return text


def _resident(atena_number: str, field_name: str = "atena_number") -> Resident:
    resident = Resident.objects.filter(atena_number=atena_number, current__isnull=False).first()
    if resident is None:
        raise refusal(
            field_name,
            "該当する住民が見つかりません。",
            "宛名番号を確認してください。",
            "registry.resident_not_found",
        )
    return resident


def set_suppression(*, actor: Any, purpose: str, request: SuppressionRequest) -> int:
    """Set one 抑止 on a person or a household (standard 3.1-a, 3.1-b); returns its id.

    Several may be in force at once. In the same transaction the set goes to the outbox for the 宛名
    systems (3.2-a) and, for 証明書発行, to the CS's 抑止マーク (3.1-g; ``restriction_feed``).
    """
    scope = SuppressionScope(request.scope)
    authorize(
        actor=actor,
        permission=Permission.SUPPRESSION_MANAGE,
        action=AuditAction.RESIDENT_SUPPRESSION_SET,
        purpose=purpose,
        subject_type="resident" if scope == SuppressionScope.PERSON else "household",
        subject_id=request.target_number,
    )
    process = RestrictedProcess(request.process)
    level = RestrictionLevel(request.level)
    reason = SuppressionReason(request.reason)
    reason_text = _check_text(
        request.reason_text, "reason_text", "抑止理由の詳細", required=reason == SuppressionReason.OTHER
    )
    if request.end_date is not None and request.end_date < request.start_date:
        raise refusal(
            "end_date",
            "終了予定日が開始日より前です。",
            "開始日以後の日付を入力するか、空欄にしてください。",
            "registry.suppression_end_before_start",
        )
    resident = household = None
    if scope == SuppressionScope.PERSON:
        resident = _resident(request.target_number, "target_number")
    else:
        household = Household.objects.filter(number=request.target_number).first()
        if household is None:
            raise refusal(
                "target_number",
                "該当する世帯が見つかりません。",
                "世帯番号を確認してください。",
                "registry.household_not_found",
            )
    with transaction.atomic():
        # The lock a commit takes before its check (restriction_locks): it sees this 抑止 or precedes it.
        if household is not None:
            restriction_locks.lock_households([household.pk])
        else:
            restriction_locks.lock_residents([resident.pk] if resident else [])
        row = Suppression.objects.create(
            scope=scope,
            resident=resident,
            household=household,
            process=process,
            level=level,
            start_date=request.start_date,
            end_date=request.end_date,
            reason=reason,
            reason_text=reason_text,
            set_by=actor,
            set_at=clock.now(),
        )
        sent = restriction_feed.suppression_set(row, actor=actor)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_SUPPRESSION_SET,
            subject_type="resident" if resident else "household",
            subject_id=request.target_number,
            purpose=purpose,
            reason=f"suppression={row.pk} process={process} level={level} {sent.summary()}",
        )
    return row.pk


def lift_suppression(*, actor: Any, purpose: str, suppression_id: int, reason: str) -> None:
    """Lift a 抑止 (standard 3.1-a). The row stays, with who lifted it, when and why; the lift goes to
    the outbox and the CS in the same transaction, as the set did (3.1-g, 3.2-a)."""
    authorize(
        actor=actor,
        permission=Permission.SUPPRESSION_MANAGE,
        action=AuditAction.RESIDENT_SUPPRESSION_LIFT,
        purpose=purpose,
        subject_type="suppression",
        subject_id=str(suppression_id),
    )
    text = _check_text(reason, "reason", "解除理由", required=True)
    with transaction.atomic():
        row = Suppression.objects.select_for_update().filter(pk=suppression_id).first()
        if row is None or row.lifted_at is not None:
            raise refusal(
                "suppression_id",
                "解除できる抑止が見つかりません（既に解除されている可能性があります）。",
                "抑止の一覧を更新してください。",
                "registry.no_such_suppression",
            )
        row.lifted_by = actor
        row.lifted_at = clock.now()
        row.lift_reason = text
        row.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
        sent = restriction_feed.suppression_lifted(row, actor=actor)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_SUPPRESSION_LIFT,
            subject_type="suppression",
            subject_id=str(row.pk),
            purpose=purpose,
            reason=f"{text} ({sent.summary()})",
        )


@dataclass(frozen=True)
class ReleaseGranted:
    """A 一時解除 just granted: its id and when it lapses by itself."""

    release_id: int
    expires_at: datetime


def release_minutes() -> int:
    """How long a 一時解除 lasts (setting ``JUMIN_TEMPORARY_RELEASE_MINUTES``, default 30)."""
    return int(getattr(settings, "JUMIN_TEMPORARY_RELEASE_MINUTES", 30))


def release_temporarily(
    *,
    actor: Any,
    purpose: str,
    atena_number: str,
    process: RestrictedProcess,
    target: ReleaseTarget,
    reason: str,
) -> ReleaseGranted:
    """一時解除: lift the error for one person and process until the configured time passes (3.1-d).

    Releasing a suppression needs ``SUPPRESSION_RELEASE`` (distinct from setting/lifting, 3.1-e);
    releasing the issuance block of a 支援措置 after review needs ``SUPPORT_MEASURE_MANAGE`` (3.4-a,
    controls.md C-38). It reverts by itself (checks ignore an expired release) and is never propagated.
    """
    target = ReleaseTarget(target)
    permission = Permission.SUPPRESSION_RELEASE
    if target == ReleaseTarget.SUPPORT_MEASURE:
        permission = Permission.SUPPORT_MEASURE_MANAGE
    authorize(
        actor=actor,
        permission=permission,
        action=AuditAction.RESIDENT_RESTRICTION_RELEASE,
        purpose=purpose,
        subject_type="resident",
        subject_id=atena_number,
    )
    process = RestrictedProcess(process)
    text = _check_text(reason, "reason", "一時解除の理由", required=True)
    resident = _resident(atena_number)
    check = check_restrictions([atena_number], process=process)
    wanted = [
        f
        for f in check.findings
        if (f.source == SOURCE_SUPPRESSION) == (target == ReleaseTarget.SUPPRESSION)
        and f.level is RestrictionLevel.ERROR
    ]
    if not wanted:
        raise refusal(
            "process",
            "この業務に一時解除の対象となる抑止・支援措置はありません。",
            "業務と解除対象を確認してください。",
            "registry.nothing_to_release",
        )
    now = clock.now()
    with transaction.atomic():
        row = TemporaryRelease.objects.create(
            resident=resident,
            process=process,
            target=target,
            reason=text,
            granted_by=actor,
            granted_at=now,
            expires_at=now + timedelta(minutes=release_minutes()),
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_RESTRICTION_RELEASE,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
            reason=text,
            support_measure=target == ReleaseTarget.SUPPORT_MEASURE,
        )
    return ReleaseGranted(release_id=row.pk, expires_at=row.expires_at)


# --- support measures --------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportApplication:
    """A 支援措置 request as received (standard 1.1.16-a, 3.4).

    ``provisional`` true records a 仮支援措置 from ``received_on`` while the request is examined
    (3.4-g); otherwise support starts on ``period_start`` and ends on ``period_end`` or, when that is
    None, on the automatic end (3.4-b).
    """

    applicant: str
    covered_services: Sequence[str]
    received_on: date
    co_applicants: Sequence[str] = field(default_factory=tuple)
    perpetrator: str = ""
    remarks: str = ""
    start_reason: str = ""
    provisional: bool = False
    period_start: date | None = None
    period_end: date | None = None
    original_municipality: str = ""
    # 加害者 as separate fields (standard 1.1.16-a), beside the free text above.
    perpetrators: Sequence[support_database.PerpetratorEntry] = field(default_factory=tuple)


def _period(start: date | None, end: date | None) -> periods.SupportPeriod:
    if start is None:
        raise refusal(
            "period_start",
            "支援開始日が入力されていません。",
            "支援開始日を入力してください（審査中の場合は仮支援措置を選んでください）。",
            "registry.support_start_required",
        )
    return periods.SupportPeriod(start, end) if end is not None else periods.new_support_period(start)


def _covered(values: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(values))
    if not chosen or any(v not in CoveredService.values for v in chosen):
        raise refusal(
            "covered_services",
            "対象事務が選択されていないか、正しくありません。",
            "閲覧・写しの交付・附票の写しの交付から1つ以上選んでください。",
            "registry.covered_services_required",
        )
    return chosen


def create_support_measure(*, actor: Any, purpose: str, application: SupportApplication) -> int:
    """Record a 支援措置 request with its protected persons (standard 1.1.16-a, 3.4-b, 3.4-g); it blocks
    issuance at once, so it goes to the outbox and the CS in the same transaction (3.1-g, 3.2-a)."""
    authorize(
        actor=actor,
        permission=Permission.SUPPORT_MEASURE_MANAGE,
        action=AuditAction.RESIDENT_SUPPORT_MEASURE_CREATE,
        purpose=purpose,
        subject_type="resident",
        subject_id=application.applicant,
    )
    covered = _covered(application.covered_services)
    applicant = _resident(application.applicant, "applicant")
    others = [n for n in dict.fromkeys(application.co_applicants) if n and n != application.applicant]
    co_applicants = [_resident(n, "co_applicants") for n in others]
    period = None if application.provisional else _period(application.period_start, application.period_end)
    remarks = application.remarks.strip()
    start_reason = _check_text(application.start_reason, "start_reason", "支援開始理由", required=False)
    municipality = _check_text(
        application.original_municipality,
        "original_municipality",
        "最初に申出を受けた市区町村",
        required=False,
    )
    perpetrators = [
        support_database.check_perpetrator(entry, field=f"perpetrators[{index}]")
        for index, entry in enumerate(application.perpetrators)
    ]
    now = clock.now()
    with transaction.atomic():
        # The persons' locks, taken as a commit takes them (restriction_locks), before anything is written.
        restriction_locks.lock_residents([applicant.pk, *(r.pk for r in co_applicants)])
        measure = SupportMeasure.objects.create(
            covered_services=covered,
            perpetrator=application.perpetrator.strip(),
            remarks=remarks,
            start_reason=start_reason,
            provisional_since=application.received_on if application.provisional else None,
            original_municipality=municipality,
            created_by=actor,
            created_at=now,
        )
        SupportMeasurePerson.objects.create(measure=measure, resident=applicant, role=SupportRole.APPLICANT)
        for resident in co_applicants:
            SupportMeasurePerson.objects.create(
                measure=measure, resident=resident, role=SupportRole.CO_APPLICANT
            )
        if period is not None:
            _append_period(measure, PeriodKind.INITIAL, period, actor, now)
        for checked in perpetrators:
            support_database.append_perpetrator(measure, checked, actor=actor)
        sent = restriction_feed.measure_set(measure.pk, actor=actor)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_SUPPORT_MEASURE_CREATE,
            subject_type="support_measure",
            subject_id=str(measure.pk),
            purpose=purpose,
            reason=sent.summary(),
            support_measure=True,
        )
    return measure.pk


def _append_period(
    measure: SupportMeasure, kind: PeriodKind, period: periods.SupportPeriod, actor: Any, now: datetime
) -> SupportMeasurePeriod:
    return SupportMeasurePeriod.objects.create(
        measure=measure, kind=kind, start=period.start, end=period.end, recorded_by=actor, recorded_at=now
    )


def _open_measure(measure_id: int) -> tuple[SupportMeasure, SupportMeasurePeriod | None]:
    """The measure, locked, and its period in force; refused when missing or already ended."""
    measure = support_database.measure_for_update(measure_id)
    return measure, measure.periods.order_by("-pk").first()


def _refuse_former(measure: SupportMeasure) -> None:
    """As 転出元 a measure is a 仮支援措置 whose period no longer runs (3.4-h): no start, extension, edit."""
    if support_roles.role_of(measure.pk) is MunicipalityRole.FORMER:
        raise refusal(
            "measure_id",
            "対象者の転出により転出元の仮支援措置となっているため、期間の開始・延長・修正はできません。",
            "支援の期間は転入先の市区町村が決定します。支援が不要になった場合は支援終了の処理をしてください。",
            "registry.support_measure_former_municipality",
        )


def start_support(
    *, actor: Any, purpose: str, measure_id: int, start: date, end: date | None = None
) -> periods.SupportPeriod:
    """Decide a 仮支援措置: support starts on ``start`` for 1 year, or until an edited ``end`` (3.4-b)."""
    support_database.authorize_measure(
        actor=actor, purpose=purpose, measure_id=measure_id, action=AuditAction.RESIDENT_SUPPORT_MEASURE_START
    )
    period = _period(start, end)
    with transaction.atomic():
        measure, current = _open_measure(measure_id)
        _refuse_former(measure)
        if current is not None:
            raise refusal(
                "measure_id",
                "この支援措置は既に開始しています。",
                "期間の変更は延長または終了日の修正で処理してください。",
                "registry.support_already_started",
            )
        _append_period(measure, PeriodKind.INITIAL, period, actor, clock.now())
        support_database.audit_measure(actor, purpose, AuditAction.RESIDENT_SUPPORT_MEASURE_START, measure.pk)
    return period


def _started(current: SupportMeasurePeriod | None) -> SupportMeasurePeriod:
    if current is None:
        raise refusal(
            "measure_id",
            "仮支援措置のため、期間がまだありません。",
            "先に支援開始の処理をしてください。",
            "registry.support_not_started",
        )
    return current


def _extension_policy() -> periods.ExtensionAfterEnd:
    policies = getattr(settings, "JUMIN_POLICIES", {})
    return periods.ExtensionAfterEnd(policies.get("support_extension_after_end", "refuse"))


def extend_support(
    *, actor: Any, purpose: str, measure_id: int, processing_date: date | None = None
) -> periods.SupportPeriod:
    """Extend by one year from the day after the old end (3.4-c), accepted from 1 month before the end
    (algorithms.md F rules 2 and 3); ``processing_date`` defaults to today."""
    support_database.authorize_measure(
        actor=actor,
        purpose=purpose,
        measure_id=measure_id,
        action=AuditAction.RESIDENT_SUPPORT_MEASURE_EXTEND,
    )
    day = processing_date or clock.today()
    with transaction.atomic():
        measure, current = _open_measure(measure_id)
        _refuse_former(measure)
        period = periods.can_extend(_started(current).end, day, extension_after_end=_extension_policy())
        _append_period(measure, PeriodKind.EXTENSION, period, actor, clock.now())
        support_database.audit_measure(
            actor, purpose, AuditAction.RESIDENT_SUPPORT_MEASURE_EXTEND, measure.pk
        )
    return period


def edit_support_end(*, actor: Any, purpose: str, measure_id: int, end: date) -> periods.SupportPeriod:
    """Edit the end date of the period in force (3.4-b); the old period row stays as history, and the
    extension window is recomputed from the new end (algorithms.md F rule 5)."""
    support_database.authorize_measure(
        actor=actor,
        purpose=purpose,
        measure_id=measure_id,
        action=AuditAction.RESIDENT_SUPPORT_MEASURE_PERIOD_EDIT,
    )
    with transaction.atomic():
        measure, current = _open_measure(measure_id)
        _refuse_former(measure)
        period = periods.SupportPeriod(_started(current).start, end)
        _append_period(measure, PeriodKind.EDIT, period, actor, clock.now())
        support_database.audit_measure(
            actor, purpose, AuditAction.RESIDENT_SUPPORT_MEASURE_PERIOD_EDIT, measure.pk
        )
    return period


def end_support(
    *, actor: Any, purpose: str, measure_id: int, reason: SupportEndReason, ended_on: date | None = None
) -> None:
    """End a support measure on request, after expiry without extension, or by decision (3.4-f).

    Until this is done the measure stays in force, even after its period (algorithms.md F rule 4).
    Ending for expiry is refused while the period is still running or for a provisional measure.
    """
    support_database.authorize_measure(
        actor=actor, purpose=purpose, measure_id=measure_id, action=AuditAction.RESIDENT_SUPPORT_MEASURE_END
    )
    reason = SupportEndReason(reason)
    day = ended_on or clock.today()
    if day > clock.today():
        raise refusal(
            "ended_on",
            "支援終了日が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.support_end_in_future",
        )
    with transaction.atomic():
        measure, current = _open_measure(measure_id)
        if support_roles.role_of(measure.pk) is MunicipalityRole.FORMER:
            current = None  # 転出元: no period runs, so no end for expiry (3.4-f, 3.4-h)
        if reason == SupportEndReason.EXPIRY and (current is None or day <= current.end):
            raise refusal(
                "reason",
                "支援措置の期間が満了していないため、期間満了による終了はできません。",
                "期間の終了日の翌日以降に処理するか、他の終了理由を選んでください。",
                "registry.support_not_expired",
            )
        measure.ended_on = day
        measure.end_reason = reason
        measure.ended_by = actor
        measure.ended_at = clock.now()
        measure.save(update_fields=["ended_on", "end_reason", "ended_by", "ended_at"])
        sent = restriction_feed.measure_ended(measure.pk, actor=actor)
        support_database.audit_measure(
            actor,
            purpose,
            AuditAction.RESIDENT_SUPPORT_MEASURE_END,
            measure.pk,
            f"{reason} ({sent.summary()})",
        )
