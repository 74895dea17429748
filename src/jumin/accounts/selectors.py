"""Reads for the account screens. Listing screens are audited like any other access (C-21, C-42)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.db.models import Case, Count, Max, Q, Value, When

from jumin.accounts import clock
from jumin.accounts.approvals import APPROVAL_STAGES, may_decide, next_stage
from jumin.accounts.authorization import (
    account_usable,
    authorize,
    contractor_on_roster,
    granted_permissions,
    grants_in_force,
)
from jumin.accounts.context import audit_context
from jumin.accounts.duties import BOOTSTRAP_ADMIN_PERMISSIONS, DUTIES
from jumin.accounts.models import (
    ApprovalRequest,
    Contract,
    GrantApplication,
    GrantRegisterEntry,
    HrEvent,
    MediaOutputRecord,
    MediaUseCheck,
    RegisteredMedium,
    StaffPerson,
    Terminal,
    TrainingRecord,
    User,
)
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


def _viewed(*, actor: Any, action: AuditAction, purpose: str, count: int) -> None:
    record_event(
        actor=actor, action=action, purpose=purpose, outcome_reason=f"rows={count}", **audit_context()
    )


class Listing(Protocol[T_co]):
    """A listing selector: called with the actor and the purpose, audited with its row count."""

    def __call__(self, *, actor: Any, purpose: str) -> T_co: ...


def _listing(
    permission: Permission,
    action: AuditAction,
    *,
    count: Callable[[Any], int] = len,
) -> Callable[[Callable[[Any], T]], Listing[T]]:
    """Make ``read(actor)`` a listing selector ``(*, actor, purpose)``: ``permission`` is authorised
    first (refusals audited by ``authorize``), then the listing is audited as ``action`` with
    ``count(result)`` rows (C-21, C-42).
    """

    def decorate(read: Callable[[Any], T]) -> Listing[T]:
        @functools.wraps(read)
        def selector(*, actor: Any, purpose: str) -> T:
            authorize(actor=actor, permission=permission, action=action, purpose=purpose)
            rows = read(actor)
            _viewed(actor=actor, action=action, purpose=purpose, count=count(rows))
            return rows

        return selector

    return decorate


@_listing(Permission.STAFF_MANAGE, AuditAction.STAFF_ACCOUNT_LIST)
def staff_overview(actor: Any) -> list[dict[str, object]]:
    """Every account with its person and lock state, for the terminal administrator (C-7)."""
    return [
        {
            "id": user.pk,
            "username": user.username,
            "name": str(user),
            "staff_number": user.person.staff_number if user.person else "",
            "kind": user.person.get_kind_display() if user.person else "",
            "status": user.person.get_status_display() if user.person else "",
            "is_active": user.is_active,
            "locked": user.locked_at is not None,
        }
        for user in User.objects.select_related("person").order_by("username")
    ]


@_listing(Permission.TERMINAL_MANAGE, AuditAction.TERMINAL_LIST_VIEW)
def terminal_overview(actor: Any) -> list[dict[str, object]]:
    """Every registered terminal and whether it has completed enrolment (C-3)."""
    return [
        {
            "terminal_id": t.terminal_id,
            "name": t.name,
            "location": t.location,
            "is_active": t.is_active,
            "enrolled": t.enrolled_at is not None and bool(t.key),
            "biometric_only": t.biometric_only,
            "input_place_code": t.input_place_code,
        }
        for t in Terminal.objects.order_by("terminal_id")
    ]


@_listing(
    Permission.STAFF_GRANT_REPORT,
    AuditAction.STAFF_GRANT_LIST,
    count=lambda data: len(data["pending"]) + len(data["register"]),
)
def grant_overview(actor: Any) -> dict[str, list[dict[str, object]]]:
    """Pending applications and the grant register (権限管理簿), newest first (C-12, C-21)."""
    pending = [
        {
            "id": a.pk,
            "grantee": str(a.grantee) if a.grantee is not None else f"部署 {a.unit}",
            "duty": DUTIES[a.duty].label if a.duty in DUTIES else a.duty,
            "extras": ", ".join(a.extra_permissions),
            "starts_on": a.starts_on,
            "ends_on": a.ends_on,
            "requested_by": str(a.requested_by),
        }
        for a in GrantApplication.objects.filter(status=GrantApplication.Status.REQUESTED)
        .select_related("grantee", "unit", "requested_by")
        .order_by("pk")
    ]
    register = [
        {
            "recorded_at": e.recorded_at,
            "kind": e.get_kind_display(),
            "staff_number": e.staff_number or f"部署 {e.unit_code}",
            "duty": DUTIES[e.duty].label if e.duty in DUTIES else e.duty,
            "starts_on": e.starts_on,
            "ends_on": e.ends_on,
            "reason": e.reason,
        }
        for e in GrantRegisterEntry.objects.order_by("-pk")[:500]
    ]
    return {"pending": pending, "register": register}


@_listing(Permission.STAFF_GRANT_REPORT, AuditAction.STAFF_GRANT_RECONCILE)
def reconciliation_report(actor: Any) -> list[dict[str, object]]:
    """Per-operator status list (操作者個別状況一覧表) reconciled against grants (C-15, C-21).

    ``problem`` is true for a person who is not in service (or a contractor off every roster) yet
    still has a grant in force: the report of a correct system shows none.
    """
    day = clock.today()
    in_force = Q(
        accounts__grants__ended_at__isnull=True,
        accounts__grants__starts_on__lte=day,
        accounts__grants__ends_on__gte=day,
    )
    people = StaffPerson.objects.annotate(active_grants=Count("accounts__grants", filter=in_force)).order_by(
        "staff_number"
    )
    rows = []
    for person in people:
        departed = person.status != StaffPerson.Status.ACTIVE
        if person.kind == StaffPerson.Kind.CONTRACTOR:
            departed = departed or not contractor_on_roster(person)
        rows.append(
            {
                "staff_number": person.staff_number,
                "name": person.name,
                "kind": person.get_kind_display(),
                "status": person.get_status_display(),
                "active_grants": person.active_grants,
                "problem": departed and person.active_grants > 0,
            }
        )
    return rows


# Who may open the approvals screen: requesters, the deciders of every stage and the IT department
# (post-use checks, media register). The first one held is the permission checked and audited.
APPROVAL_SCREEN_PERMISSIONS = (
    Permission.OUTPUT_BULK_REQUEST,
    Permission.OUTPUT_BULK_APPROVE,
    Permission.OUTPUT_MEDIA_SECTION_APPROVE,
    Permission.OUTPUT_MEDIA_IT_APPROVE,
    Permission.MEDIA_REGISTER,
)


def _stage_rows(approval: ApprovalRequest) -> list[dict[str, object]]:
    """Every stage of the request in order, with its decision (who, when, outcome) once decided."""
    decisions = {d.stage: d for d in approval.decisions.all()}
    return [
        {
            "number": number,
            "role": stage.role,
            "decided": (d := decisions.get(number)) is not None,
            "approved": d.approved if d else False,
            "decided_by": str(d.decided_by) if d else "",
            "decided_at": d.decided_at if d else None,
            "reason": d.reason if d else "",
        }
        for number, stage in enumerate(APPROVAL_STAGES[approval.kind], start=1)
    ]


def _use_check_fields(check: MediaUseCheck | None) -> dict[str, object]:
    """The post-use check of an output (C-28); none for an output recorded before checks existed."""
    return {
        "check_open": check is not None and check.checked_at is None,
        "checked_by": str(check.checked_by) if check is not None and check.checked_by else "",
        "checked_at": check.checked_at if check is not None else None,
        "erased": check.erased if check is not None else False,
        "check_note": check.note if check is not None else "",
    }


def approval_overview(*, actor: Any, purpose: str) -> dict[str, list[dict[str, object]]]:
    """Output approval requests with their stages, registered media and the media output log with
    its post-use checks (C-26 to C-28). ``can_decide`` marks the requests whose next stage the actor
    may decide; ``mine`` the actor's own requests.
    """
    held = granted_permissions(actor)
    authorize(
        actor=actor,
        permission=next(
            (p for p in APPROVAL_SCREEN_PERMISSIONS if p in held), APPROVAL_SCREEN_PERMISSIONS[0]
        ),
        action=AuditAction.APPROVAL_REQUEST_LIST,
        purpose=purpose,
    )
    requests = [
        {
            "id": a.pk,
            "kind": a.get_kind_display(),
            "purpose": a.purpose,
            "scope": a.scope,
            "max_count": a.max_count,
            "medium": a.medium.medium_id if a.medium else "",
            "status": a.get_status_display(),
            "requested_by": str(a.requested_by),
            # The stage still to decide (C-28: 所属長, then 情報主管課長), "" when not pending.
            "next_stage": stage.role if (stage := next_stage(a)) is not None else "",
            "stages": _stage_rows(a),
            "can_decide": may_decide(actor, a, held=held),
            "mine": a.requested_by_id == actor.pk,
        }
        for a in ApprovalRequest.objects.select_related("medium", "requested_by")
        .prefetch_related("decisions__decided_by")
        .order_by("-pk")[:200]
    ]
    media: list[dict[str, object]] = [
        {"medium_id": m.medium_id, "label": m.label}
        for m in RegisteredMedium.objects.filter(is_active=True).order_by("medium_id")
    ]
    outputs = [
        {
            "recorded_at": o.recorded_at,
            "medium": o.medium.medium_id,
            "description": o.description,
            "record_count": o.record_count,
            "file_sha256": o.file_sha256,
            "actor": str(o.actor),
            "use_checked": o.use_check.checked_at is not None if hasattr(o, "use_check") else False,
            "id": o.pk,
            "approval_id": o.approval_id,
            **_use_check_fields(getattr(o, "use_check", None)),
        }
        for o in MediaOutputRecord.objects.select_related(
            "medium", "actor", "use_check", "use_check__checked_by"
        ).order_by("-pk")[:200]
    ]
    _viewed(actor=actor, action=AuditAction.APPROVAL_REQUEST_LIST, purpose=purpose, count=len(requests))
    return {"requests": requests, "media": media, "outputs": outputs}


@_listing(Permission.STAFF_GRANT_REQUEST, AuditAction.STAFF_ACCOUNT_LIST)
def grant_form_accounts(actor: Any) -> list[tuple[int, str]]:
    """(id, label) of active accounts for the section head's application form (C-12); audited."""
    return [
        (u.pk, f"{u.person.staff_number if u.person else '-'} {u}")
        for u in User.objects.filter(is_active=True).select_related("person").order_by("username")
    ]


STAFF_KIND_CHOICES = StaffPerson.Kind.choices
HR_EVENT_KIND_CHOICES = HrEvent.Kind.choices
TRAINING_KIND_CHOICES = TrainingRecord.Kind.choices
APPROVAL_KIND_CHOICES = ApprovalRequest.Kind.choices


@_listing(Permission.HR_EVENT_RECORD, AuditAction.STAFF_HR_EVENT_LIST, count=lambda data: len(data["events"]))
def personnel_overview(actor: Any) -> dict[str, list[dict[str, object]]]:
    """Recent personnel events and training records, for the HR clerk's screen (C-15, C-18)."""
    events = [
        {
            "staff_number": e.person.staff_number,
            "kind": e.get_kind_display(),
            "effective_on": e.effective_on,
            "recorded_at": e.recorded_at,
        }
        for e in HrEvent.objects.select_related("person").order_by("-pk")[:100]
    ]
    trainings = [
        {
            "staff_number": t.person.staff_number,
            "kind": t.get_kind_display(),
            "fiscal_year": t.fiscal_year,
            "completed_on": t.completed_on,
        }
        for t in TrainingRecord.objects.select_related("person").order_by("-pk")[:100]
    ]
    return {"events": events, "trainings": trainings}


@_listing(Permission.CONTRACT_MANAGE, AuditAction.STAFF_CONTRACT_LIST)
def contract_overview(actor: Any) -> list[dict[str, object]]:
    """Contracts with their current worker rosters (C-88, C-89)."""
    return [
        {
            "number": c.number,
            "vendor": c.vendor,
            "starts_on": c.starts_on,
            "ends_on": c.ends_on,
            "workers": ", ".join(r.person.staff_number for r in c.roster.all() if r.removed_on is None),
        }
        for c in Contract.objects.prefetch_related("roster__person").order_by("number")
    ]


def _holder_row(user: User, *, source: str, duty: str = "", ends_on: object = None) -> dict[str, object]:
    person = user.person
    return {
        "user_id": user.pk,
        "username": user.username,
        "name": str(user),
        "staff_number": person.staff_number if person else "",
        "kind": person.get_kind_display() if person else "",
        "contractor": bool(person and person.kind == StaffPerson.Kind.CONTRACTOR),
        "source": source,
        "duty": DUTIES[duty].label if duty in DUTIES else duty,
        "ends_on": ends_on,
    }


def _credential_rows() -> list[dict[str, object]]:
    """Second factors per active account (C-21: credential status), no secret or key material."""
    users = (
        User.objects.filter(is_active=True)
        .select_related("person")
        .defer("totp_secret")  # whether one is set is enough: never decrypt secrets for a list
        .annotate(
            webauthn=Count("webauthn_credentials"),
            last_used=Max("webauthn_credentials__last_used_at"),
            has_totp=Case(When(totp_secret="", then=Value(False)), default=Value(True)),
        )
        .order_by("username")
    )
    return [
        {
            "user_id": u.pk,
            "username": u.username,
            "name": str(u),
            "staff_number": u.person.staff_number if u.person else "",
            "kind": u.person.get_kind_display() if u.person else "",
            "webauthn": u.webauthn,
            "last_used": u.last_used,
            "totp": u.has_totp,
            "locked": u.locked_at is not None,
            "usable": account_usable(u),
        }
        for u in users
    ]


def credential_status_rows() -> list[dict[str, object]]:
    """The credential list a periodic review signs off (used by ``reviews.record_credential_review``)."""
    return _credential_rows()


@_listing(
    Permission.STAFF_GRANT_REPORT,
    AuditAction.STAFF_GRANT_HOLDERS,
    count=lambda report: sum(len(row["holders"]) for row in report["permissions"]),
)
def permission_holders_report(actor: Any) -> dict[str, list[dict[str, Any]]]:
    """Every holder of each permission, contractors included, and every account's credentials (C-21).

    Holders are exactly those ``has_permission`` answers yes for: usable accounts with a grant in force
    from an approved application naming them, plus the installation superuser's administrative set.
    """
    holders: dict[Permission, list[dict[str, object]]] = {p: [] for p in Permission}
    # The authoriser's own query per account, so grants to units (standard 10.3-b) count exactly as there.
    for user in User.objects.filter(is_active=True).select_related("person").order_by("username", "pk"):
        for grant in grants_in_force(user):
            source = f"部署付与（{grant.unit_code}）" if grant.unit_code else "付与"
            for permission in sorted(grant.permissions):
                row = _holder_row(user, source=source, duty=grant.duty, ends_on=grant.ends_on)
                holders[permission].append(row)
    for admin in User.objects.filter(is_superuser=True).select_related("person").order_by("username"):
        if account_usable(admin):
            for permission in BOOTSTRAP_ADMIN_PERMISSIONS:
                holders[permission].append(_holder_row(admin, source="システム管理者"))
    rows = [{"permission": p.value, "holders": holders[p]} for p in sorted(Permission, key=lambda p: p.value)]
    return {"permissions": rows, "credentials": _credential_rows()}
