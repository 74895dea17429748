"""Organisation units (部署), their members, and grants given to a unit (standard 10.3-b; docs/security.md).

A grant to a unit goes through the same application and approval as a grant to a person (C-12:
``staff:grant:request`` applies, ``staff:grant:approve`` decides in ``grants.decide_grant_application``)
and is scheduled the same way (a start and an end date within the fiscal year). It gives its duty to
every current member of the unit, within the grant's dates and the membership's, as long as the member
passes the per-person rules (``authorization._grants_in_force_sql``). Only work duties, never roles, go
to a unit; field visibility (C-10) stays a personal grant.

Units and memberships are kept by the HR role (``hr_event:record``), like the personnel events that
end them.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from jumin.accounts import clock, messages
from jumin.accounts.authorization import account_usable, authorize, grants_in_force
from jumin.accounts.context import audit_context
from jumin.accounts.duties import BOOTSTRAP_ADMIN_PERMISSIONS, DUTIES
from jumin.accounts.errors import refuse
from jumin.accounts.grants import create_application, unit_grant_violation
from jumin.accounts.models import GrantApplication, OrganisationUnit, StaffPerson, UnitMembership, User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event

UNIT_CODE = re.compile(r"[0-9A-Za-z_-]{1,20}")


def unit_duty(code: str) -> bool:
    """Whether a duty may be granted to a unit: a work duty, never a role and never 特定個人情報アクセス
    (C-9: that right is given to named people only).
    """
    duty = DUTIES.get(code)
    return (
        duty is not None and not duty.is_role and Permission.INDIVIDUAL_NUMBER_ACCESS not in duty.permissions
    )


def _event(**kwargs: Any) -> None:
    record_event(**kwargs, **audit_context())


def register_unit(*, actor: Any, code: str, name: str, purpose: str) -> OrganisationUnit:
    """Register an organisation unit (部署) with its code and name (``hr_event:record``, audited)."""
    action = AuditAction.STAFF_UNIT_REGISTER
    authorize(actor=actor, permission=Permission.HR_EVENT_RECORD, action=action, purpose=purpose)
    if not UNIT_CODE.fullmatch(code) or not name.strip() or len(name) > 100:
        raise refuse(
            actor=actor, action=action, reason_code="unit_invalid", message=messages.UNIT_FIELDS_INVALID
        )
    try:
        with transaction.atomic():
            unit = OrganisationUnit.objects.create(code=code, name=name.strip(), registered_by=actor)
            _event(actor=actor, action=action, purpose=purpose, subject_type="unit", subject_id=str(unit.pk))
    except IntegrityError:
        raise refuse(
            actor=actor, action=action, reason_code="unit_code_taken", message=messages.UNIT_CODE_TAKEN
        ) from None
    return unit


def _open_memberships(person: StaffPerson, unit: OrganisationUnit) -> Any:
    return UnitMembership.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=clock.today()),
        person=person,
        unit=unit,
        ended_at__isnull=True,
    )


def add_member(
    *,
    actor: Any,
    unit_code: str,
    staff_number: str,
    starts_on: date,
    purpose: str,
    ends_on: date | None = None,
) -> UnitMembership:
    """Record that a person belongs to a unit from ``starts_on`` (future dates schedule it in advance)."""
    action = AuditAction.STAFF_UNIT_MEMBER_ADD
    authorize(actor=actor, permission=Permission.HR_EVENT_RECORD, action=action, purpose=purpose)
    unit = OrganisationUnit.objects.filter(code=unit_code, is_active=True).first()
    if unit is None:
        raise refuse(actor=actor, action=action, reason_code="unit_inactive", message=messages.UNIT_INACTIVE)
    person = StaffPerson.objects.filter(staff_number=staff_number).first()
    if person is None:
        raise refuse(
            actor=actor, action=action, reason_code="no_such_person", message=messages.NO_SUCH_PERSON
        )
    if ends_on is not None and (ends_on < starts_on or ends_on < clock.today()):
        raise refuse(
            actor=actor, action=action, reason_code="membership_invalid", message=messages.MEMBERSHIP_INVALID
        )
    with transaction.atomic():
        StaffPerson.objects.select_for_update().filter(pk=person.pk).first()  # one writer per person
        if not _open_memberships(person, unit).exists():
            membership = UnitMembership.objects.create(
                unit=unit, person=person, starts_on=starts_on, ends_on=ends_on, recorded_by=actor
            )
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                subject_type="staff_person",
                subject_id=str(person.pk),
                outcome_reason=f"unit={unit.pk}",
            )
            return membership
    raise refuse(
        actor=actor, action=action, reason_code="membership_exists", message=messages.MEMBERSHIP_EXISTS
    )


def end_membership(*, actor: Any, unit_code: str, staff_number: str, purpose: str) -> int:
    """End a person's membership of a unit now: the unit's grants stop for them at once (C-15)."""
    action = AuditAction.STAFF_UNIT_MEMBER_END
    authorize(actor=actor, permission=Permission.HR_EVENT_RECORD, action=action, purpose=purpose)
    with transaction.atomic():
        ended = UnitMembership.objects.filter(
            unit__code=unit_code, person__staff_number=staff_number, ended_at__isnull=True
        ).update(ended_at=clock.now(), end_reason="ended")
        if ended:
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                subject_type="unit",
                subject_id=unit_code,
                outcome_reason=f"ended={ended}",
            )
            return ended
    raise refuse(
        actor=actor, action=action, reason_code="membership_missing", message=messages.MEMBERSHIP_MISSING
    )


def apply_for_unit_grant(
    *,
    actor: Any,
    unit_code: str,
    duty: str,
    starts_on: date,
    ends_on: date,
    purpose: str,
    reason: str = "",
) -> GrantApplication:
    """The section head applies for a grant of one work duty to a unit; the IT head decides it (C-12).

    ``grants.decide_grant_application`` approves it like a personal application; a member of the unit
    cannot approve it.
    """
    action = AuditAction.STAFF_GRANT_APPLY
    authorize(actor=actor, permission=Permission.STAFF_GRANT_REQUEST, action=action, purpose=purpose)
    if duty not in DUTIES:
        raise refuse(
            actor=actor, action=action, reason_code="duty_unknown", message=messages.GRANT_DUTY_UNKNOWN
        )
    if not unit_duty(duty):
        raise refuse(actor=actor, action=action, reason_code="unit_role", message=messages.UNIT_DUTY_ROLE)
    unit = OrganisationUnit.objects.filter(code=unit_code).first()
    violation = (
        ("unit_inactive", messages.UNIT_INACTIVE)
        if unit is None
        else unit_grant_violation(unit=unit, starts_on=starts_on, ends_on=ends_on)
    )
    if violation is not None:
        raise refuse(actor=actor, action=action, reason_code=violation[0], message=violation[1])
    return create_application(
        actor=actor,
        purpose=purpose,
        outcome_reason=f"unit={unit.pk}",  # type: ignore[union-attr]  # checked by the violation above
        unit=unit,
        duty=duty,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason[:400],
    )


def effective_rights(*, actor: Any, staff_number: str, purpose: str) -> list[dict[str, Any]]:
    """Every permission an account holds today and where each comes from (standard 10.3-b, C-21).

    Exactly what ``has_permission`` decides: personal grants, grants to the account's units, and the
    superuser's administrative set. Read with ``staff:grant:report``; audited with the row count.
    """
    action = AuditAction.STAFF_RIGHTS_VIEW
    authorize(actor=actor, permission=Permission.STAFF_GRANT_REPORT, action=action, purpose=purpose)
    user = (
        User.objects.select_related("person")
        .filter(person__staff_number=staff_number, is_active=True)
        .first()
    )
    if user is None:
        raise refuse(
            actor=actor, action=action, reason_code="no_such_account", message=messages.NO_SUCH_ACCOUNT
        )
    subject = {"subject_type": "staff", "subject_id": str(user.pk)}
    sources: dict[Permission, list[str]] = {}
    units = dict(OrganisationUnit.objects.values_list("code", "name"))
    for grant in grants_in_force(user):
        duty = DUTIES[grant.duty].label if grant.duty in DUTIES else grant.duty
        origin = (
            f"部署付与 {grant.unit_code} {units.get(grant.unit_code, '')}" if grant.unit_code else "個人付与"
        )
        for permission in grant.permissions:
            sources.setdefault(permission, []).append(f"{origin}（{duty}、付与番号 {grant.grant_id}）")
    if user.is_superuser and account_usable(user):
        for permission in BOOTSTRAP_ADMIN_PERMISSIONS:
            sources.setdefault(permission, []).append("システム管理者")
    rows = [
        {"permission": p.value, "sources": sorted(sources[p])} for p in sorted(sources, key=lambda p: p.value)
    ]
    with transaction.atomic():
        _event(actor=actor, action=action, purpose=purpose, outcome_reason=f"rows={len(rows)}", **subject)
    return rows


def unit_overview(*, actor: Any, purpose: str) -> list[dict[str, Any]]:
    """Every unit with its current and scheduled members and its grants in force or scheduled (audited)."""
    action = AuditAction.STAFF_UNIT_LIST
    authorize(actor=actor, permission=Permission.HR_EVENT_RECORD, action=action, purpose=purpose)
    day = clock.today()
    rows = []
    for unit in OrganisationUnit.objects.order_by("code").prefetch_related("memberships__person", "grants"):
        members = [
            {
                "staff_number": m.person.staff_number,
                "name": m.person.name,
                "starts_on": m.starts_on,
                "ends_on": m.ends_on,
            }
            for m in unit.memberships.all()
            if m.ended_at is None and (m.ends_on is None or m.ends_on >= day)
        ]
        unit_grants = [
            {
                "duty": DUTIES[g.duty].label if g.duty in DUTIES else g.duty,
                "starts_on": g.starts_on,
                "ends_on": g.ends_on,
            }
            for g in unit.grants.all()
            if g.ended_at is None and g.ends_on >= day
        ]
        rows.append(
            {
                "code": unit.code,
                "name": unit.name,
                "is_active": unit.is_active,
                "members": members,
                "grants": unit_grants,
            }
        )
    with transaction.atomic():
        _event(actor=actor, action=action, purpose=purpose, outcome_reason=f"rows={len(rows)}")
    return rows
