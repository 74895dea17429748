"""Staff for the demo and the benchmarks, provisioned through the real services (C-1, C-12, C-18).

An administrator registers each person, records this fiscal year's training and applies for the
grant; a second administrator approves it, because requester and approver must differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from jumin.accounts import clock
from jumin.accounts.grants import apply_for_grant, decide_grant_application, record_training
from jumin.accounts.models import StaffPerson, TrainingRecord, User
from jumin.accounts.services import new_totp_secret, register_staff

SETUP_PURPOSE = "初期設定"


@dataclass(frozen=True)
class ProvisionedStaff:
    """A new account, its one-time password and TOTP secret (printed once by the demo)."""

    user: User
    password: str
    totp_secret: str


def _approver(username: str) -> User:
    """The second administrator who approves grants (demo only)."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    person = StaffPerson.objects.create(staff_number=f"DEMO-{username}", name="情報主管課長（デモ）")
    user = User(username=username, display_name="情報主管課長（デモ）", person=person, is_superuser=True)
    user.set_unusable_password()
    user.save()
    return user


def provision_staff(
    *,
    admin: User,
    username: str,
    name: str,
    staff_number: str,
    duty: str,
    approver_username: str = "demo-it-head",
) -> ProvisionedStaff:
    """Register a person with an account, training and an approved grant of ``duty`` until 3月31日."""
    with transaction.atomic():
        user, password = register_staff(
            actor=admin, staff_number=staff_number, name=name, username=username, purpose=SETUP_PURPOSE
        )
        today = clock.today()
        year = clock.fiscal_year(today)
        for kind in (TrainingRecord.Kind.SECURITY, TrainingRecord.Kind.OPERATOR):
            record_training(
                actor=admin,
                staff_number=staff_number,
                kind=kind,
                fiscal_year=year,
                completed_on=max(today, date(year, 4, 1)),
                purpose=SETUP_PURPOSE,
            )
        application = apply_for_grant(
            actor=admin,
            grantee_id=user.pk,
            duty=duty,
            starts_on=today,
            ends_on=clock.fiscal_year_end(today),
            purpose=SETUP_PURPOSE,
        )
        decide_grant_application(
            actor=_approver(approver_username),
            application_id=application.pk,
            approve=True,
            purpose=SETUP_PURPOSE,
        )
        secret = new_totp_secret()
        user.totp_secret = secret
        user.save(update_fields=["totp_secret"])
    return ProvisionedStaff(user=user, password=password, totp_secret=secret)
