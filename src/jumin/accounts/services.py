"""Use cases that change staff accounts."""

from __future__ import annotations

import secrets

from django.db import transaction

from jumin.accounts.models import User
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event


def ensure_demo_admin(*, username: str = "admin", reset_password: bool = False) -> str | None:
    """Create the demo superuser once and return its generated password; None if it already exists.

    With ``reset_password`` an existing account gets a new random password, which is returned.
    The password is shown only once, by the caller (issue 2 item 7).
    """
    with transaction.atomic():
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            if not reset_password:
                return None
            password = secrets.token_urlsafe(12)
            existing.set_password(password)
            existing.save(update_fields=["password"])
            record_event(
                actor=None,
                action=AuditAction.STAFF_PASSWORD_RESET,
                subject_type="staff",
                subject_id=str(existing.pk),
                purpose="demo-setup",
            )
            return password
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(
            username=username, password=password, display_name="管理者（デモ）"
        )
        record_event(
            actor=None,
            action=AuditAction.STAFF_ACCOUNT_CREATE,
            subject_type="staff",
            subject_id=str(user.pk),
            purpose="demo-setup",
        )
    return password
