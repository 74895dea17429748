"""Factories for staff, grants, terminals and logged-in clients (issue 3 item 9).

Grants are real: each comes from an approved application whose applicant and approver differ
from the grantee, so ``has_permission`` gives the same answer as in production.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from datetime import date
from typing import Any

import pyotp
from django.conf import settings
from django.test import Client

from jumin.accounts import clock
from jumin.accounts.duties import DUTIES
from jumin.accounts.middleware import ACTIVITY_AT, FACTOR_AT, SESSION_TERMINAL
from jumin.accounts.models import (
    Grant,
    GrantApplication,
    GrantRegisterEntry,
    StaffPerson,
    Terminal,
    TrainingRecord,
    User,
)
from jumin.accounts.permissions import Permission
from jumin.accounts.services import TERMINAL_COOKIE_SALT

PASSWORD = "correct-horse-battery-staple"
TERMINAL_ID = "T-TEST-01"
_serial = itertools.count(1)


class StaffClient(Client):
    """A Django test client that knows the account it is logged in as (None when anonymous)."""

    user: User | None = None


def make_person(
    *,
    staff_number: str | None = None,
    name: str = "職員 太郎",
    kind: str = StaffPerson.Kind.STAFF,
    trained: bool = True,
    employment_end: date | None = None,
) -> StaffPerson:
    """A person in service; ``trained`` records this fiscal year's security and operator training."""
    number = staff_number or f"S{next(_serial):06d}"
    person = StaffPerson.objects.create(
        staff_number=number,
        name=name,
        kind=kind,
        employment_notice="雇-001" if kind == StaffPerson.Kind.TEMPORARY else "",
        employment_end=employment_end,
    )
    if trained:
        record_training(person)
    return person


def record_training(person: StaffPerson, *, fiscal_year: int | None = None) -> None:
    """Security training for the fiscal year (default: the current one) and operator training."""
    year = fiscal_year if fiscal_year is not None else clock.fiscal_year(clock.today())
    for kind in (TrainingRecord.Kind.SECURITY, TrainingRecord.Kind.OPERATOR):
        TrainingRecord.objects.create(
            person=person, kind=kind, fiscal_year=year, completed_on=date(year, 4, 1)
        )


def make_user(
    *,
    username: str | None = None,
    password: str = PASSWORD,
    person: StaffPerson | None = None,
    totp: bool = True,
    superuser: bool = False,
    display_name: str = "",
    **person_kwargs: Any,
) -> User:
    """An active account linked to a person (C-1), with an enrolled TOTP secret unless ``totp=False``."""
    person = person or make_person(**person_kwargs)
    user = User(
        username=username or f"user{next(_serial):05d}",
        person=person,
        display_name=display_name or person.name,
        is_superuser=superuser,
        is_staff=superuser,
        totp_secret=pyotp.random_base32() if totp else "",
    )
    user.set_password(password)
    user.save()
    return user


def _officer(role: str) -> User:
    user = User.objects.filter(username=f"test-{role}").first()
    return user or make_user(username=f"test-{role}", display_name=role)


def grant_permissions(
    user: User,
    permissions: Iterable[Permission],
    *,
    starts_on: date | None = None,
    ends_on: date | None = None,
    duty: str | None = None,
) -> Grant:
    """Give ``user`` a grant of exactly these permissions through an approved application (C-12).

    With ``duty`` the grant is for that one duty, so only it is a valid purpose (C-8, C-43). Without,
    the user gets the same permissions under every duty, so a test may name any duty as its purpose;
    the grant for the first duty is returned.
    """
    if duty is None:
        permissions = list(permissions)
        grants = [
            grant_permissions(user, permissions, starts_on=starts_on, ends_on=ends_on, duty=code)
            for code in DUTIES
        ]
        return grants[0]
    today = clock.today()
    application = GrantApplication.objects.create(
        grantee=user,
        duty=duty,
        starts_on=starts_on or today,
        ends_on=ends_on or clock.fiscal_year_end(today),
        requested_by=_officer("section-head"),
        status=GrantApplication.Status.APPROVED,
        decided_by=_officer("it-head"),
        decided_at=clock.now(),
    )
    grant = Grant.objects.create(
        application=application,
        user=user,
        duty=duty,
        permissions=sorted(p.value for p in permissions),
        starts_on=application.starts_on,
        ends_on=application.ends_on,
    )
    GrantRegisterEntry.objects.create(
        kind=GrantRegisterEntry.Kind.GRANTED,
        grant=grant,
        staff_number=user.person.staff_number if user.person else "",
        duty=duty,
        permissions=grant.permissions,
        starts_on=grant.starts_on,
        ends_on=grant.ends_on,
        reason="test",
    )
    return grant


def make_terminal(terminal_id: str = TERMINAL_ID) -> str:
    """A registered, enrolled terminal; returns the signed cookie value that identifies it (C-3)."""
    from django.core import signing

    terminal, _ = Terminal.objects.get_or_create(terminal_id=terminal_id, defaults={"name": "テスト端末"})
    if not terminal.key:
        terminal.key = f"key-{terminal_id}-{next(_serial)}"
        terminal.enrolled_at = clock.now()
        terminal.save()
    return signing.dumps({"t": terminal.terminal_id, "k": terminal.key}, salt=TERMINAL_COOKIE_SALT)


def terminal_client(terminal_id: str = TERMINAL_ID) -> StaffClient:
    """An anonymous client on a registered terminal."""
    client = StaffClient()
    client.cookies[settings.JUMIN_TERMINAL_COOKIE] = make_terminal(terminal_id)
    return client


def log_in(client: StaffClient, user: User, *, second_factor_verified: bool = True) -> StaffClient:
    """Log ``user`` in on the client's terminal, as after the password (and, if asked, the second factor)."""
    client.force_login(user)
    session = client.session
    terminal_id = Terminal.objects.get(
        terminal_id=_cookie_terminal(client.cookies[settings.JUMIN_TERMINAL_COOKIE].value)
    ).terminal_id
    session[SESSION_TERMINAL] = terminal_id
    if second_factor_verified:
        now = int(time.time())
        session[FACTOR_AT] = now
        session[ACTIVITY_AT] = now
    session.save()
    client.user = user
    return client


def _cookie_terminal(value: str) -> str:
    from django.core import signing

    return str(signing.loads(value, salt=TERMINAL_COOKIE_SALT)["t"])


def totp_now(user: User, *, offset_steps: int = 0) -> str:
    """The user's current TOTP code (the secret is known to the test)."""
    return pyotp.TOTP(user.totp_secret).at(clock.now().timestamp() + 30 * offset_steps)
