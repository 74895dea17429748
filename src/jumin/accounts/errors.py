"""Refusals of account rules, audited before they are raised (issue 3: "refused with a clear Japanese
message and an audit entry; nothing half-written")."""

from __future__ import annotations

from typing import Any

from jumin.accounts.context import audit_context
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event


class RuleRefused(Exception):  # noqa: N818 (a refusal is an outcome, not a programming error)
    """An account rule refused the input; ``message`` is Japanese and holds no personal values."""

    def __init__(self, message: str, *, reason_code: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason_code = reason_code


def refuse(
    *,
    actor: Any,
    action: AuditAction,
    reason_code: str,
    message: str,
    purpose: str = "",
    subject_type: str = "",
    subject_id: str = "",
) -> RuleRefused:
    """Audit the refusal in its own transaction and return the exception for the caller to raise.

    Call it outside the caller's write transaction (``raise refuse(...)``), so nothing is half-written
    and the refusal's audit entry survives.
    """
    record_event(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        purpose=purpose,
        outcome=Outcome.REFUSED,
        outcome_reason=reason_code,
        **audit_context(),
    )
    return RuleRefused(message, reason_code=reason_code)
