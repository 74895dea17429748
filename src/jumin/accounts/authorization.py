"""The one place services ask "may this actor do this, for this purpose?" (issue 3 items 2 and 6).

Services call ``authorize`` before opening their transaction. A refusal is audited in its own
transaction, so it survives the caller's exception, and then raised as ``AccessRefused``.
Permissions come only from grants in force (C-8, C-12 to C-17); see docs/security.md.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from django.db import connection
from django.db.models import Q

from jumin.accounts import clock
from jumin.accounts.context import audit_context
from jumin.accounts.duties import (
    ADMINISTRATIVE_PERMISSIONS,
    BOOTSTRAP_ADMIN_PERMISSIONS,
    DUTIES,
    FIELD_PERMISSIONS,
)
from jumin.accounts.models import Grant, GrantApplication, RosterEntry, StaffPerson
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event

PURPOSE_MISSING_MESSAGE = "利用目的（事務）を選択してから操作してください。"
PERMISSION_MISSING_MESSAGE = "この操作を行う権限がありません。所属長に権限の付与を申請してください。"
PURPOSE_NOT_A_DUTY_MESSAGE = (
    "選択した利用目的は、あなたに割り当てられた事務ではありません。あなたの事務から選び直してください。"
)
MASK = "＊＊＊＊"


class AccessRefused(Exception):  # noqa: N818 (a refusal is an outcome, not a programming error)
    """The actor lacks the permission or gave no purpose; ``message`` is Japanese, for the user."""

    def __init__(self, message: str, *, reason_code: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason_code = reason_code


def account_usable(actor: Any) -> bool:
    """Whether the account may act at all today (C-1, C-5, C-15, C-17, C-89).

    It must be active, unlocked, linked to a person who is in service (not on leave or retired), and
    a contractor worker must be on the roster of a contract in force.
    """
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.locked_at is not None or actor.person_id is None:
        return False
    person: StaffPerson = actor.person
    if person.status != StaffPerson.Status.ACTIVE:
        return False
    if person.kind == StaffPerson.Kind.CONTRACTOR:
        return contractor_on_roster(person)
    return True


def contractor_on_roster(person: StaffPerson) -> bool:
    """Whether the worker is on the current roster of a contract in force today (C-89)."""
    day = clock.today()
    return RosterEntry.objects.filter(
        Q(removed_on__isnull=True) | Q(removed_on__gt=day),
        person=person,
        added_on__lte=day,
        contract__is_active=True,
        contract__starts_on__lte=day,
        contract__ends_on__gte=day,
    ).exists()


@functools.cache
def _grants_in_force_sql() -> str:
    """The duty and permissions of a user's grants in force on a day, from an approved application to them.

    Plain SQL built once per process: every authorised call runs it, and building it with the ORM
    cost more CPU than running it (docs/benchmarks.md, P2). Parameters: user, day, day, status, user.
    """
    quote = connection.ops.quote_name
    grant = quote(Grant._meta.db_table)
    application = quote(GrantApplication._meta.db_table)
    return (
        f"SELECT g.duty, g.permissions FROM {grant} g "  # noqa: S608 (no input: table names)
        f"INNER JOIN {application} a ON a.id = g.application_id "
        "WHERE g.user_id = %s AND g.ended_at IS NULL AND g.starts_on <= %s AND g.ends_on >= %s "
        "AND a.status = %s AND a.grantee_id = %s"
    )


def _held(actor: Any) -> tuple[frozenset[str], frozenset[Permission]]:
    """The duty codes and the permissions of the actor's grants in force today, read in one query."""
    if not account_usable(actor):
        return frozenset(), frozenset()
    day = connection.ops.adapt_datefield_value(clock.today())
    with connection.cursor() as cursor:
        cursor.execute(
            _grants_in_force_sql(), [actor.pk, day, day, GrantApplication.Status.APPROVED.value, actor.pk]
        )
        rows = cursor.fetchall()
    duties: set[str] = set()
    held: set[Permission] = set()
    for duty, stored in rows:
        # A raw statement returns the JSON column as text (the ORM would decode it in from_db_value).
        permissions = json.loads(stored) if isinstance(stored, str) else stored
        duties.add(duty)
        held.update(Permission(value) for value in permissions if value in Permission._value2member_map_)
    if actor.is_superuser:
        held.update(BOOTSTRAP_ADMIN_PERMISSIONS)
    return frozenset(duties), frozenset(held)


def granted_duties(actor: Any) -> frozenset[str]:
    """The duty codes of the actor's grants in force today (empty for an unusable account)."""
    return _held(actor)[0]


def granted_permissions(actor: Any) -> frozenset[Permission]:
    """The permissions of the actor's grants in force today, each from an approved application (C-12)."""
    return _held(actor)[1]


def has_permission(actor: Any, permission: Permission) -> bool:
    """Whether the actor currently holds the permission through a grant in force (C-8, C-12 to C-17).

    The installation's superuser also holds the administrative set (``BOOTSTRAP_ADMIN_PERMISSIONS``),
    which contains no resident data and no 個人番号 access; nothing implies
    ``INDIVIDUAL_NUMBER_ACCESS`` but a grant of it (C-9).
    """
    return permission in granted_permissions(actor)


def visible_fields(actor: Any) -> frozenset[Permission]:
    """The ``FIELD_*_VIEW`` permissions the actor holds: everything else is masked (C-10)."""
    return granted_permissions(actor) & FIELD_PERMISSIONS


def mask(value: object, *, visible: bool) -> str:
    """The value as text when visible, else a fixed mask that does not reveal its length (C-10)."""
    if not visible:
        return MASK
    return "" if value is None else str(value)


def _purpose_is_own(purpose: str, duties: frozenset[str], permission: Permission) -> bool:
    if purpose in duties:
        return True
    # A duty the actor does not hold is never a valid purpose; a free label only for administration.
    return purpose not in DUTIES and permission in ADMINISTRATIVE_PERMISSIONS


def authorize(
    *,
    actor: Any,
    permission: Permission,
    action: AuditAction,
    purpose: str,
    subject_type: str = "",
    subject_id: str = "",
) -> None:
    """Return if the actor may act; otherwise audit the refusal and raise AccessRefused.

    ``purpose`` is the duty the user chose for this screen or call; it is required (issue 3 item 6) and
    must be one of the actor's own duties in force (C-8, C-43). Only an administrative permission, which
    opens no resident's data, also takes a label the screen sets itself (``ADMINISTRATIVE_PERMISSIONS``).
    """
    duties, permissions = _held(actor) if purpose else (frozenset(), frozenset())
    if not purpose:
        reason, message = "purpose_missing", PURPOSE_MISSING_MESSAGE
    elif permission not in permissions:
        reason, message = "permission_missing", PERMISSION_MISSING_MESSAGE
    elif not _purpose_is_own(purpose, duties, permission):
        reason, message = "purpose_not_a_duty", PURPOSE_NOT_A_DUTY_MESSAGE
    else:
        return
    record_event(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        outcome=Outcome.REFUSED,
        outcome_reason=reason,
        **audit_context(),
    )
    raise AccessRefused(message, reason_code=reason)
