"""The one place services ask "may this actor do this, for this purpose?" (issue 3 items 2 and 6).

Services call ``authorize`` before opening their transaction. A refusal is audited in its own
transaction, so it survives the caller's exception, and then raised as ``AccessRefused``.
Permissions come only from grants in force (C-8, C-12 to C-17); see docs/security.md.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
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
from jumin.accounts.models import (
    Grant,
    GrantApplication,
    OrganisationUnit,
    RosterEntry,
    StaffPerson,
    TrainingRecord,
    UnitMembership,
)
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.prepared import postgresql_prepared_cursor

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
    """Id, duty, permissions and unit code ("" for a personal grant) of a user's grants in force on a day.

    Two parts: grants to the user from an approved application naming them, and grants to an active
    organisation unit (部署) the user's person is a current member of (standard 10.3-b). A unit grant
    counts only for regular staff (臨時職員 and 委託先従事者 need personal grants bounded by their employment
    or contract, C-16, C-17) with this fiscal year's security training and operator training (C-18),
    the rules a personal grant checks when it is given.

    Plain SQL built once per process: every authorised call runs it, and building it with the ORM
    cost more CPU than running it (docs/benchmarks.md, P2). Parameters: ``_grants_in_force_params``.
    """
    quote = connection.ops.quote_name
    grant = quote(Grant._meta.db_table)
    application = quote(GrantApplication._meta.db_table)
    unit = quote(OrganisationUnit._meta.db_table)
    membership = quote(UnitMembership._meta.db_table)
    person = quote(StaffPerson._meta.db_table)
    training = quote(TrainingRecord._meta.db_table)
    in_force = "g.ended_at IS NULL AND g.starts_on <= %s AND g.ends_on >= %s AND a.status = %s"
    statement = (
        f"SELECT g.id, g.duty, g.permissions, g.ends_on, '' FROM {grant} g "  # noqa: S608 (no input: table names)
        f"INNER JOIN {application} a ON a.id = g.application_id "
        f"WHERE g.user_id = %s AND a.grantee_id = %s AND {in_force} "
        "UNION ALL "
        f"SELECT g.id, g.duty, g.permissions, g.ends_on, u.code FROM {membership} m "
        f"INNER JOIN {person} p ON p.id = m.person_id "
        f"INNER JOIN {unit} u ON u.id = m.unit_id "
        f"INNER JOIN {grant} g ON g.unit_id = m.unit_id "
        f"INNER JOIN {application} a ON a.id = g.application_id "
        "WHERE m.person_id = %s AND m.ended_at IS NULL AND m.starts_on <= %s "
        "AND (m.ends_on IS NULL OR m.ends_on >= %s) AND u.is_active = %s AND a.unit_id = g.unit_id "
        f"AND p.kind = %s AND {in_force} "
        f"AND EXISTS (SELECT 1 FROM {training} t WHERE t.person_id = p.id AND t.kind = %s "
        "AND t.fiscal_year = %s) "
        f"AND EXISTS (SELECT 1 FROM {training} t WHERE t.person_id = p.id AND t.kind = %s)"
    )
    # Run on the DB-API cursor (``_query_grants``), so in the driver's own placeholder style.
    return statement.replace("%s", "?") if connection.vendor == "sqlite" else statement


def _grants_in_force_params(actor: Any) -> list[Any]:
    today = clock.today()
    day = connection.ops.adapt_datefield_value(today)
    approved = GrantApplication.Status.APPROVED.value
    return [
        *(actor.pk, actor.pk, day, day, approved),
        *(actor.person_id, day, day, True, StaffPerson.Kind.STAFF.value, day, day, approved),
        *(TrainingRecord.Kind.SECURITY.value, clock.fiscal_year(today), TrainingRecord.Kind.OPERATOR.value),
    ]


@dataclass(frozen=True)
class GrantInForce:
    """One grant a user holds today and where it comes from: their own, or their unit's (``unit_code``)."""

    grant_id: int
    duty: str
    permissions: frozenset[Permission]
    ends_on: date
    unit_code: str


def grants_in_force(actor: Any) -> list[GrantInForce]:
    """The actor's grants in force today, personal and through their units, in one query (C-12, 10.3-b).

    Empty for an unusable account. The superuser's administrative set is not a grant (``_held`` adds it).
    """
    return _query_grants(actor) if account_usable(actor) else []


def _grants_cursor() -> tuple[Any, Any]:
    """A driver cursor for the grants statement and its ``execute``.

    On PostgreSQL a cursor with server-side parameters (``jumin.prepared``): the statement takes about
    1 ms to plan and 0.05 ms to run, so it is prepared once per connection and its generic plan reused.
    """
    if connection.vendor != "postgresql":
        cursor = connection.connection.cursor()
        return cursor, cursor.execute
    return postgresql_prepared_cursor()


def _query_grants(actor: Any) -> list[GrantInForce]:
    # The driver's cursor, not Django's: on SQLite Django's wrapper rewrote this long statement's
    # placeholders on every call, 16 of the 21 µs the query took (docs/benchmarks.md, P2). It runs in
    # the connection's transaction all the same; errors are wrapped as Django's.
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor, execute = _grants_cursor()
        try:
            execute(_grants_in_force_sql(), _grants_in_force_params(actor))
            rows = cursor.fetchall()
        finally:
            cursor.close()
    held = []
    for grant_id, duty, stored, ends_on, unit_code in rows:
        # A raw statement returns the JSON column as text (the ORM would decode it in from_db_value).
        values = json.loads(stored) if isinstance(stored, str) else stored
        permissions = frozenset(Permission(v) for v in values if v in Permission._value2member_map_)
        held.append(
            GrantInForce(
                grant_id=grant_id,
                duty=duty,
                permissions=permissions,
                # SQLite may hand a date in a compound SELECT back as text.
                ends_on=date.fromisoformat(ends_on) if isinstance(ends_on, str) else ends_on,
                unit_code=unit_code,
            )
        )
    return held


def _held(actor: Any) -> tuple[frozenset[str], frozenset[Permission]]:
    """The duty codes and the permissions of the actor's grants in force today (personal and by unit)."""
    if not account_usable(actor):
        return frozenset(), frozenset()
    duties: set[str] = set()
    held: set[Permission] = set()
    for grant in _query_grants(actor):
        duties.add(grant.duty)
        held.update(grant.permissions)
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
