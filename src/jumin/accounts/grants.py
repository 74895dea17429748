"""The grant lifecycle: application, approval, revocation, yearly lapse, re-grant (controls.md C-12 to C-18).

Every grant and every end of a grant is written to the grant register (権限管理簿), which is
append-only. docs/security.md draws the lifecycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q

from jumin.accounts import clock, messages
from jumin.accounts.authorization import account_usable, authorize
from jumin.accounts.context import audit_context
from jumin.accounts.duties import DUTIES, FIELD_PERMISSIONS
from jumin.accounts.errors import refuse
from jumin.accounts.models import (
    Contract,
    Grant,
    GrantApplication,
    GrantRegisterEntry,
    HrEvent,
    OrganisationUnit,
    RosterEntry,
    StaffPerson,
    TrainingRecord,
    UnitMembership,
    User,
)
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event


def _event(**kwargs: Any) -> None:
    record_event(**kwargs, **audit_context())


def _register(kind: str, grant: Grant, *, actor: Any, reason: str) -> None:
    application = grant.application
    person = grant.user.person if grant.user is not None else None
    GrantRegisterEntry.objects.create(
        kind=kind,
        grant=grant,
        staff_number=person.staff_number if person is not None else "",
        unit_code=grant.unit.code if grant.unit is not None else None,
        duty=grant.duty,
        permissions=grant.permissions,
        starts_on=grant.starts_on,
        ends_on=grant.ends_on,
        applicant_id=application.requested_by_id,
        approver_id=application.decided_by_id,
        actor_id=getattr(actor, "pk", None),
        reason=reason,
    )


def period_invalid(starts_on: date, ends_on: date) -> bool:
    """Whether a grant period is backwards, already over, or runs past this fiscal year's end (C-13)."""
    day = clock.today()
    return starts_on > ends_on or ends_on < day or ends_on > clock.fiscal_year_end(day)


def unit_grant_violation(*, unit: OrganisationUnit, starts_on: date, ends_on: date) -> tuple[str, str] | None:
    """The first rule a grant with this period to this unit breaks (standard 10.3-b), as for a person.

    The unit must be active and the period within this fiscal year (C-13); the per-person rules (C-16 to
    C-18) are applied to each member when the grant is used (``authorization._grants_in_force_sql``).
    """
    if not unit.is_active:
        return "unit_inactive", messages.UNIT_INACTIVE
    if period_invalid(starts_on, ends_on):
        return "period_invalid", messages.GRANT_PERIOD_INVALID
    return None


def grant_rule_violation(*, grantee: User, starts_on: date, ends_on: date) -> tuple[str, str] | None:
    """The first rule a grant with this period for this grantee breaks, as (reason code, message).

    C-13: ends no later than the end of the current fiscal year. C-16: temporary staff not beyond
    their employment. C-17/C-89: contractors only on a roster, within the contract. C-18: security
    training in the current fiscal year and operator training on record.
    """
    day = clock.today()
    if not account_usable(grantee):
        return "grantee_unusable", messages.GRANT_GRANTEE_UNUSABLE
    if period_invalid(starts_on, ends_on):
        return "period_invalid", messages.GRANT_PERIOD_INVALID
    person: StaffPerson = grantee.person  # type: ignore[assignment]  # account_usable checked it
    if person.kind == StaffPerson.Kind.TEMPORARY and (
        not person.employment_notice or person.employment_end is None or ends_on > person.employment_end
    ):
        return "employment_end", messages.GRANT_EMPLOYMENT_END
    if person.kind == StaffPerson.Kind.CONTRACTOR:
        covered = RosterEntry.objects.filter(
            Q(removed_on__isnull=True) | Q(removed_on__gt=ends_on),
            person=person,
            contract__is_active=True,
            contract__starts_on__lte=starts_on,
            contract__ends_on__gte=ends_on,
        ).exists()
        if not covered:
            return "contract_end", messages.GRANT_CONTRACT_END
    trainings = TrainingRecord.objects.filter(person=person)
    security = trainings.filter(
        kind=TrainingRecord.Kind.SECURITY, fiscal_year=clock.fiscal_year(day)
    ).exists()
    operator = trainings.filter(kind=TrainingRecord.Kind.OPERATOR).exists()
    if not (security and operator):
        return "training_missing", messages.GRANT_TRAINING_MISSING
    return None


def apply_for_grant(
    *,
    actor: Any,
    grantee_id: int,
    duty: str,
    starts_on: date,
    ends_on: date,
    purpose: str,
    extra_permissions: Iterable[str] = (),
    reason: str = "",
) -> GrantApplication:
    """The section head applies for a grant for one person (C-12); rules are checked now and at approval."""
    action = AuditAction.STAFF_GRANT_APPLY
    authorize(actor=actor, permission=Permission.STAFF_GRANT_REQUEST, action=action, purpose=purpose)
    extras = sorted(set(extra_permissions))
    if duty not in DUTIES:
        raise refuse(
            actor=actor, action=action, reason_code="duty_unknown", message=messages.GRANT_DUTY_UNKNOWN
        )
    if any(value not in {p.value for p in FIELD_PERMISSIONS} for value in extras):
        raise refuse(
            actor=actor, action=action, reason_code="extra_invalid", message=messages.GRANT_EXTRA_INVALID
        )
    grantee = User.objects.filter(pk=grantee_id).select_related("person").first()
    if grantee is None:
        raise refuse(
            actor=actor, action=action, reason_code="no_such_account", message=messages.NO_SUCH_ACCOUNT
        )
    violation = grant_rule_violation(grantee=grantee, starts_on=starts_on, ends_on=ends_on)
    if violation is not None:
        raise refuse(
            actor=actor,
            action=action,
            reason_code=violation[0],
            message=violation[1],
            purpose=purpose,
            subject_type="staff",
            subject_id=str(grantee.pk),
        )
    return create_application(
        actor=actor,
        purpose=purpose,
        grantee=grantee,
        duty=duty,
        extra_permissions=extras,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason[:400],
    )


def create_application(
    *, actor: Any, purpose: str, outcome_reason: str = "", **fields: Any
) -> GrantApplication:
    """Write one checked application (to a person or a unit) and its ``staff:grant:apply`` entry at once."""
    with transaction.atomic():
        application = GrantApplication.objects.create(requested_by=actor, **fields)
        _event(
            actor=actor,
            action=AuditAction.STAFF_GRANT_APPLY,
            purpose=purpose,
            subject_type="grant_application",
            subject_id=str(application.pk),
            outcome_reason=outcome_reason,
        )
    return application


def decide_grant_application(
    *, actor: Any, application_id: int, approve: bool, purpose: str, reason: str = ""
) -> Grant | None:
    """The IT head approves or rejects an application; approval creates the grant (C-12).

    The approver must not be the applicant. On approval every grant rule is checked again
    (C-13, C-16 to C-18) and the grant is written to the register.
    """
    action = AuditAction.STAFF_GRANT_DECIDE
    subject = {"subject_type": "grant_application", "subject_id": str(application_id)}
    authorize(
        actor=actor, permission=Permission.STAFF_GRANT_APPROVE, action=action, purpose=purpose, **subject
    )
    application = (
        GrantApplication.objects.filter(pk=application_id, status=GrantApplication.Status.REQUESTED)
        .select_related("grantee__person", "unit")
        .first()
    )
    if application is None:
        raise refuse(
            actor=actor,
            action=action,
            reason_code="not_pending",
            message=messages.GRANT_NOT_PENDING,
            **subject,
        )
    if application.duty not in DUTIES:
        raise refuse(
            actor=actor,
            action=action,
            reason_code="duty_unknown",
            message=messages.GRANT_DUTY_UNKNOWN,
            **subject,
        )
    if application.unit is not None and is_current_member(actor, application.unit):
        raise refuse(
            actor=actor,
            action=action,
            reason_code="member_approval",
            message=messages.UNIT_SELF_APPROVAL,
            **subject,
        )
    if application.requested_by_id == actor.pk or application.grantee_id == actor.pk:
        raise refuse(
            actor=actor,
            action=action,
            reason_code="self_approval",
            message=messages.GRANT_SELF_APPROVAL,
            **subject,
        )
    if approve:
        period = {"starts_on": application.starts_on, "ends_on": application.ends_on}
        violation = (
            unit_grant_violation(unit=application.unit, **period)
            if application.unit is not None
            else grant_rule_violation(grantee=application.grantee, **period)  # type: ignore[arg-type]
        )
        if violation is not None:
            raise refuse(
                actor=actor, action=action, reason_code=violation[0], message=violation[1], **subject
            )
    with transaction.atomic():
        updated = GrantApplication.objects.filter(
            pk=application.pk, status=GrantApplication.Status.REQUESTED
        ).update(
            status=GrantApplication.Status.APPROVED if approve else GrantApplication.Status.REJECTED,
            decided_by=actor,
            decided_at=clock.now(),
            decision_reason=reason[:400],
        )
        if updated != 1:
            transaction.set_rollback(True)
        else:
            grant = None
            if approve:
                application.refresh_from_db()
                permissions = sorted(
                    {p.value for p in DUTIES[application.duty].permissions}
                    | set(application.extra_permissions)
                )
                grant = Grant.objects.create(
                    application=application,
                    user=application.grantee,
                    unit=application.unit,
                    duty=application.duty,
                    permissions=permissions,
                    starts_on=application.starts_on,
                    ends_on=application.ends_on,
                )
                _register(GrantRegisterEntry.Kind.GRANTED, grant, actor=actor, reason="approved")
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                outcome_reason="approved" if approve else "rejected",
                **subject,
            )
            return grant
    raise refuse(
        actor=actor, action=action, reason_code="not_pending", message=messages.GRANT_NOT_PENDING, **subject
    )


def _end_grants(grants: Iterable[Grant], *, actor: Any, kind: str, reason: str) -> int:
    ended = 0
    now = clock.now()
    for grant in grants:
        grant.ended_at = now
        grant.end_reason = reason
        grant.save(update_fields=["ended_at", "end_reason"])
        _register(kind, grant, actor=actor, reason=reason)
        ended += 1
    return ended


def _open_grants(**filters: Any) -> Any:
    return (
        Grant.objects.select_for_update(of=("self",))
        .filter(ended_at__isnull=True, **filters)
        .select_related("application", "user__person", "unit")
    )


def record_hr_event(
    *,
    actor: Any,
    staff_number: str,
    kind: str,
    effective_on: date,
    purpose: str,
    new_department: str = "",
) -> int:
    """Record 異動・休職・退職・復職 and revoke every grant of the person at once (C-15; D-9).

    Returns how many grants were revoked. Leave and retirement also stop the accounts; retirement
    deactivates them. Each revocation is written to the register.
    """
    action = AuditAction.STAFF_HR_EVENT_RECORD
    authorize(actor=actor, permission=Permission.HR_EVENT_RECORD, action=action, purpose=purpose)
    if kind not in HrEvent.Kind.values:
        raise refuse(actor=actor, action=action, reason_code="kind_invalid", message=messages.HR_KIND_INVALID)
    with transaction.atomic():
        person = StaffPerson.objects.select_for_update().filter(staff_number=staff_number).first()
        if person is not None:
            HrEvent.objects.create(
                person=person,
                kind=kind,
                effective_on=effective_on,
                new_department=new_department,
                recorded_by=actor,
            )
            revoked = 0
            if kind != HrEvent.Kind.RETURN:
                revoked = _end_grants(
                    _open_grants(user__person=person),
                    actor=actor,
                    kind=GrantRegisterEntry.Kind.REVOKED,
                    reason=kind,
                )
                # The unit's grants stop with the membership: HR records the new unit's membership (10.3-b).
                UnitMembership.objects.filter(person=person, ended_at__isnull=True).update(
                    ended_at=clock.now(), end_reason=kind
                )
            if kind == HrEvent.Kind.TRANSFER:
                person.department = new_department or person.department
            elif kind == HrEvent.Kind.LEAVE:
                person.status = StaffPerson.Status.ON_LEAVE
            elif kind == HrEvent.Kind.RETIREMENT:
                person.status = StaffPerson.Status.RETIRED
                person.accounts.update(is_active=False)
            else:
                person.status = StaffPerson.Status.ACTIVE
            person.save()
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                subject_type="staff_person",
                subject_id=str(person.pk),
                outcome_reason=f"{kind}:revoked={revoked}",
            )
            return revoked
    raise refuse(actor=actor, action=action, reason_code="no_such_person", message=messages.NO_SUCH_PERSON)


def is_current_member(actor: Any, unit: OrganisationUnit) -> bool:
    """Whether the actor's person is a member of the unit today (a member may not approve its grants)."""
    day = clock.today()
    return UnitMembership.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day),
        unit=unit,
        person_id=getattr(actor, "person_id", None),
        ended_at__isnull=True,
        starts_on__lte=day,
    ).exists()


def lapse_grants(*, as_of: date | None = None) -> int:
    """The yearly batch: from 1 April every grant of the previous fiscal year has ended (C-14).

    Grants already end by 31 March (C-13), so the authoriser ignores them anyway; this batch closes
    them and writes the lapse to the register. Safe to run more than once. Returns the count.
    """
    day = as_of or clock.today()
    with transaction.atomic():
        ended = _end_grants(
            _open_grants(ends_on__lt=clock.fiscal_year_start(day)),
            actor=None,
            kind=GrantRegisterEntry.Kind.LAPSED,
            reason="fiscal_year_end",
        )
        _event(actor=None, action=AuditAction.STAFF_GRANT_LAPSE, outcome_reason=f"lapsed={ended}")
    return ended


def reapply_lapsed_grants(*, actor: Any, purpose: str, starts_on: date, ends_on: date) -> list[int]:
    """Re-grant workflow (C-14): the new section head applies again for last year's grants.

    Applications are created for every person whose grant lapsed at the last fiscal-year change and
    who still passes the grant rules; each still needs the IT head's approval. Returns their ids.
    """
    action = AuditAction.STAFF_GRANT_REAPPLY
    authorize(actor=actor, permission=Permission.STAFF_GRANT_REQUEST, action=action, purpose=purpose)
    last_year_end = clock.fiscal_year_start(clock.today())
    lapsed = Grant.objects.filter(
        end_reason="fiscal_year_end",
        ends_on__lt=last_year_end,
        ends_on__gte=date(last_year_end.year - 1, 4, 1),
    ).select_related("user__person", "unit", "application")
    created: list[int] = []
    with transaction.atomic():
        for grant in lapsed:
            if grant.user_id == actor.pk or grant.duty not in DUTIES:
                continue
            period = {"starts_on": starts_on, "ends_on": ends_on}
            violation = (
                unit_grant_violation(unit=grant.unit, **period)
                if grant.unit is not None
                else grant_rule_violation(grantee=grant.user, **period)  # type: ignore[arg-type]
            )
            if violation is not None:
                continue
            duplicate = GrantApplication.objects.filter(
                grantee=grant.user,
                unit=grant.unit,
                duty=grant.duty,
                starts_on=starts_on,
                status=GrantApplication.Status.REQUESTED,
            ).exists()
            if duplicate:
                continue
            application = GrantApplication.objects.create(
                grantee=grant.user,
                unit=grant.unit,
                duty=grant.duty,
                extra_permissions=grant.application.extra_permissions,
                starts_on=starts_on,
                ends_on=ends_on,
                reason="年度更新による再申請",
                requested_by=actor,
            )
            created.append(application.pk)
        _event(actor=actor, action=action, purpose=purpose, outcome_reason=f"applications={len(created)}")
    return created


def record_training(
    *, actor: Any, staff_number: str, kind: str, fiscal_year: int, completed_on: date, purpose: str
) -> TrainingRecord:
    """Record a completed training; grants need this fiscal year's security training (C-18, C-100)."""
    action = AuditAction.STAFF_TRAINING_RECORD
    authorize(actor=actor, permission=Permission.STAFF_TRAINING_RECORD, action=action, purpose=purpose)
    if kind not in TrainingRecord.Kind.values or clock.fiscal_year(completed_on) != fiscal_year:
        raise refuse(
            actor=actor, action=action, reason_code="training_invalid", message=messages.TRAINING_INVALID
        )
    person = StaffPerson.objects.filter(staff_number=staff_number).first()
    if person is None:
        raise refuse(
            actor=actor, action=action, reason_code="no_such_person", message=messages.NO_SUCH_PERSON
        )
    with transaction.atomic():
        record = TrainingRecord.objects.create(
            person=person, kind=kind, fiscal_year=fiscal_year, completed_on=completed_on, recorded_by=actor
        )
        _event(
            actor=actor,
            action=action,
            purpose=purpose,
            subject_type="staff_person",
            subject_id=str(person.pk),
        )
    return record


def register_contract(
    *,
    actor: Any,
    number: str,
    vendor: str,
    starts_on: date,
    ends_on: date,
    worker_staff_numbers: Iterable[str],
    purpose: str,
) -> Contract:
    """Register a contract with its worker roster; a contract without a roster is refused (C-88, C-17)."""
    action = AuditAction.STAFF_CONTRACT_REGISTER
    authorize(actor=actor, permission=Permission.CONTRACT_MANAGE, action=action, purpose=purpose)
    numbers = sorted(set(worker_staff_numbers))
    workers = list(StaffPerson.objects.filter(staff_number__in=numbers, kind=StaffPerson.Kind.CONTRACTOR))
    if not number or not vendor or starts_on > ends_on or not numbers or len(workers) != len(numbers):
        raise refuse(
            actor=actor, action=action, reason_code="contract_invalid", message=messages.CONTRACT_INVALID
        )
    if Contract.objects.filter(number=number).exists():
        raise refuse(
            actor=actor, action=action, reason_code="contract_exists", message=messages.CONTRACT_INVALID
        )
    with transaction.atomic():
        contract = Contract.objects.create(number=number, vendor=vendor, starts_on=starts_on, ends_on=ends_on)
        RosterEntry.objects.bulk_create(
            RosterEntry(contract=contract, person=worker, added_on=clock.today()) for worker in workers
        )
        _event(
            actor=actor, action=action, purpose=purpose, subject_type="contract", subject_id=str(contract.pk)
        )
    return contract


def remove_roster_worker(*, actor: Any, contract_number: str, staff_number: str, purpose: str) -> int:
    """Take a worker off a contract's roster; their grants end the same day (C-89). Returns the count."""
    action = AuditAction.STAFF_ROSTER_REMOVE
    authorize(actor=actor, permission=Permission.CONTRACT_MANAGE, action=action, purpose=purpose)
    with transaction.atomic():
        entry = (
            RosterEntry.objects.select_for_update()
            .filter(
                contract__number=contract_number, person__staff_number=staff_number, removed_on__isnull=True
            )
            .first()
        )
        if entry is not None:
            entry.removed_on = clock.today()
            entry.save(update_fields=["removed_on"])
            revoked = _end_grants(
                _open_grants(user__person_id=entry.person_id),
                actor=actor,
                kind=GrantRegisterEntry.Kind.REVOKED,
                reason="roster_removed",
            )
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                subject_type="staff_person",
                subject_id=str(entry.person_id),
                outcome_reason=f"revoked={revoked}",
            )
            return revoked
    raise refuse(
        actor=actor, action=action, reason_code="not_on_roster", message=messages.ROSTER_ENTRY_MISSING
    )
