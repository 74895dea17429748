"""The one place services ask "may this actor do this, for this purpose?" (issue 3 items 2 and 6).

Services call ``authorize`` before opening their transaction. A refusal is audited in its own
transaction, so it survives the caller's exception, and then raised as ``AccessRefused``.
"""

from __future__ import annotations

from typing import Any

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event

PURPOSE_MISSING_MESSAGE = "利用目的（事務）を選択してから操作してください。"
PERMISSION_MISSING_MESSAGE = "この操作を行う権限がありません。所属長に権限の付与を申請してください。"


class AccessRefused(Exception):  # noqa: N818 (a refusal is an outcome, not a programming error)
    """The actor lacks the permission or gave no purpose; ``message`` is Japanese, for the user."""

    def __init__(self, message: str, *, reason_code: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason_code = reason_code


def has_permission(actor: Any, permission: Permission) -> bool:
    """Whether the actor currently holds the permission.

    Interim rule until grants land (issue 3): superusers hold everything except 個人番号 access,
    which needs an explicit Django permission ``accounts.<permission value>`` (controls.md C-9).
    """
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if permission is Permission.INDIVIDUAL_NUMBER_ACCESS:
        return bool(actor.has_perm(f"accounts.{permission.value}"))
    return bool(actor.is_superuser or actor.has_perm(f"accounts.{permission.value}"))


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

    ``purpose`` is the duty the user chose for this screen or call; it is required (issue 3 item 6).
    """
    if not purpose:
        reason, message = "purpose_missing", PURPOSE_MISSING_MESSAGE
    elif not has_permission(actor, permission):
        reason, message = "permission_missing", PERMISSION_MISSING_MESSAGE
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
    )
    raise AccessRefused(message, reason_code=reason)
