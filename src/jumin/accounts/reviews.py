"""The periodic review of staff credentials (controls.md C-21), recorded in the audit log.

The IT department (``staff:grant:report``) reviews every account's second factors and signs the
review off; the sign-off is an audit entry whose ``after_digest`` covers the credential list it saw.
``jumin.audit.reports.credential_review_status`` flags the review as overdue on the daily review.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from jumin.accounts import clock
from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.permissions import Permission
from jumin.accounts.selectors import credential_status_rows
from jumin.audit.actions import AuditAction
from jumin.audit.services import digest_of, record_event

CREDENTIAL_REVIEW_SUBJECT = "credential_review"


def record_credential_review(*, actor: Any, purpose: str, note: str = "") -> str:
    """Sign off today's credential review; returns the digest of the list reviewed (C-21)."""
    action = AuditAction.STAFF_CREDENTIAL_REVIEW
    today = clock.today().isoformat()
    subject = {"subject_type": CREDENTIAL_REVIEW_SUBJECT, "subject_id": today}
    authorize(
        actor=actor, permission=Permission.STAFF_GRANT_REPORT, action=action, purpose=purpose, **subject
    )
    with transaction.atomic():
        rows = credential_status_rows()
        digest = digest_of({"day": today, "credentials": [_comparable(row) for row in rows]})
        record_event(
            actor=actor,
            action=action,
            purpose=purpose,
            reason=note.replace("\x00", "").replace("\x1f", "")[:400],
            after_digest=digest,
            outcome_reason=f"accounts={len(rows)}",
            subject_type=CREDENTIAL_REVIEW_SUBJECT,
            subject_id=today,
            **audit_context(),
        )
    return digest


def _comparable(row: dict[str, object]) -> dict[str, object]:
    """The row with its timestamp as text, so the digest is canonical."""
    last_used = row.get("last_used")
    return {**row, "last_used": last_used.isoformat() if hasattr(last_used, "isoformat") else None}
