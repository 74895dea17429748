"""Generic prior approval for bulk output (大量出力) and media output (媒体出力) (controls.md C-26 to C-28).

The requester applies with a scope and a maximum count; a different person holding the responsible
manager's permission approves; the approval is used once and cannot be exceeded. Every media output
is recorded with who, when, medium, purpose, file hash and count.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from jumin.accounts import clock, messages
from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.errors import refuse
from jumin.accounts.models import ApprovalRequest, MediaOutputRecord, RegisteredMedium
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event

# More than this many persons is bulk output and needs prior approval (C-26; proposed value, §12.2).
BULK_OUTPUT_THRESHOLD = 100
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def _event(**kwargs: Any) -> None:
    record_event(**kwargs, **audit_context())


def register_medium(
    *, actor: Any, medium_id: str, label: str, encrypted: bool, purpose: str
) -> RegisteredMedium:
    """The IT department registers an encrypted removable medium (C-28)."""
    action = AuditAction.MEDIA_MEDIUM_REGISTER
    authorize(actor=actor, permission=Permission.MEDIA_REGISTER, action=action, purpose=purpose)
    medium_id = medium_id.strip()
    if not medium_id or len(medium_id) > 40 or not label or not encrypted:
        raise refuse(
            actor=actor, action=action, reason_code="medium_invalid", message=messages.MEDIUM_FIELDS_INVALID
        )
    if RegisteredMedium.objects.filter(medium_id=medium_id).exists():
        raise refuse(
            actor=actor, action=action, reason_code="medium_exists", message=messages.MEDIUM_FIELDS_INVALID
        )
    with transaction.atomic():
        medium = RegisteredMedium.objects.create(
            medium_id=medium_id, label=label[:100], encrypted=True, registered_by=actor
        )
        _event(
            actor=actor, action=action, purpose=purpose, subject_type="medium", subject_id=medium.medium_id
        )
    return medium


def request_approval(
    *, actor: Any, kind: str, purpose: str, scope: str, max_count: int, medium_id: str = ""
) -> ApprovalRequest:
    """Apply for prior approval of a bulk or media output, fixing scope and maximum count (C-26)."""
    action = AuditAction.APPROVAL_REQUEST_CREATE
    authorize(actor=actor, permission=Permission.OUTPUT_BULK_REQUEST, action=action, purpose=purpose)
    medium = None
    if kind == ApprovalRequest.Kind.MEDIA_OUTPUT:
        medium = RegisteredMedium.objects.filter(medium_id=medium_id, is_active=True, encrypted=True).first()
    if (
        kind not in ApprovalRequest.Kind.values
        or not scope
        or max_count < 1
        or (kind == ApprovalRequest.Kind.MEDIA_OUTPUT and medium is None)
    ):
        raise refuse(
            actor=actor, action=action, reason_code="approval_invalid", message=messages.APPROVAL_INVALID
        )
    with transaction.atomic():
        approval = ApprovalRequest.objects.create(
            kind=kind,
            purpose=purpose[:100],
            scope=scope[:400],
            max_count=max_count,
            medium=medium,
            requested_by=actor,
        )
        _event(
            actor=actor, action=action, purpose=purpose, subject_type="approval", subject_id=str(approval.pk)
        )
    return approval


def decide_approval(*, actor: Any, approval_id: int, approve: bool, purpose: str, reason: str = "") -> None:
    """The responsible manager (管理責任者) approves or rejects; never their own request (C-26)."""
    action = AuditAction.APPROVAL_REQUEST_DECIDE
    subject = {"subject_type": "approval", "subject_id": str(approval_id)}
    authorize(
        actor=actor, permission=Permission.OUTPUT_BULK_APPROVE, action=action, purpose=purpose, **subject
    )
    with transaction.atomic():
        approval = (
            ApprovalRequest.objects.select_for_update()
            .filter(pk=approval_id, status=ApprovalRequest.Status.REQUESTED)
            .first()
        )
        if approval is not None and approval.requested_by_id != actor.pk:
            approval.status = ApprovalRequest.Status.APPROVED if approve else ApprovalRequest.Status.REJECTED
            approval.decided_by = actor
            approval.decided_at = clock.now()
            approval.decision_reason = reason[:400]
            approval.save()
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                outcome_reason="approved" if approve else "rejected",
                **subject,
            )
            return
    if approval is not None:
        raise refuse(
            actor=actor, action=action, reason_code="self_approval", message=messages.APPROVAL_SELF, **subject
        )
    raise refuse(
        actor=actor,
        action=action,
        reason_code="not_pending",
        message=messages.APPROVAL_NOT_PENDING,
        **subject,
    )


def approved_request(*, actor: Any, approval_id: int, kind: str) -> ApprovalRequest | None:
    """An approved, unused approval of this kind requested by the actor, or None."""
    return (
        ApprovalRequest.objects.filter(
            pk=approval_id, kind=kind, status=ApprovalRequest.Status.APPROVED, requested_by_id=actor.pk
        )
        .select_related("medium")
        .first()
    )


def check_bulk_output(
    *, actor: Any, count: int, approval_id: int | None, action: AuditAction, purpose: str
) -> None:
    """For export services of later issues: refuse an output of more than 100 persons without an
    approval, or beyond the approved count (C-26). Call inside the caller's flow before writing;
    the refusal is audited under the caller's ``action``. The caller marks the approval used
    with ``consume_approval`` in its own transaction.
    """
    if count <= BULK_OUTPUT_THRESHOLD and approval_id is None:
        return
    approval = (
        approved_request(actor=actor, approval_id=approval_id, kind=ApprovalRequest.Kind.BULK_OUTPUT)
        if approval_id is not None
        else None
    )
    if approval is None:
        raise refuse(
            actor=actor,
            action=action,
            reason_code="approval_required",
            message=messages.APPROVAL_REQUIRED,
            purpose=purpose,
        )
    if count > approval.max_count:
        raise refuse(
            actor=actor,
            action=action,
            reason_code="approval_count_exceeded",
            message=messages.APPROVAL_COUNT_EXCEEDED,
            purpose=purpose,
        )


def consume_approval(*, approval_id: int) -> bool:
    """Mark an approved request used, inside the caller's transaction; False if it was not usable."""
    updated = ApprovalRequest.objects.filter(pk=approval_id, status=ApprovalRequest.Status.APPROVED).update(
        status=ApprovalRequest.Status.USED
    )
    return updated == 1


def record_media_output(
    *,
    actor: Any,
    approval_id: int,
    medium_id: str,
    description: str,
    record_count: int,
    file_sha256: str,
    purpose: str,
) -> MediaOutputRecord:
    """Record one output to a registered medium under an approval (C-27, C-28).

    The medium must be the registered, encrypted one the approval names; the count must not exceed
    the approved maximum; the approval is used up.
    """
    action = AuditAction.MEDIA_OUTPUT_RECORD
    subject = {"subject_type": "approval", "subject_id": str(approval_id)}
    authorize(
        actor=actor, permission=Permission.OUTPUT_BULK_REQUEST, action=action, purpose=purpose, **subject
    )
    approval = approved_request(actor=actor, approval_id=approval_id, kind=ApprovalRequest.Kind.MEDIA_OUTPUT)
    if approval is None:
        raise refuse(
            actor=actor,
            action=action,
            reason_code="approval_unusable",
            message=messages.APPROVAL_NOT_USABLE,
            **subject,
        )
    medium = approval.medium
    if medium is None or medium.medium_id != medium_id or not medium.is_active or not medium.encrypted:
        raise refuse(
            actor=actor,
            action=action,
            reason_code="medium_invalid",
            message=messages.MEDIUM_INVALID,
            **subject,
        )
    if record_count < 0 or record_count > approval.max_count:
        raise refuse(
            actor=actor,
            action=action,
            reason_code="approval_count_exceeded",
            message=messages.APPROVAL_COUNT_EXCEEDED,
            **subject,
        )
    digest = file_sha256.strip().lower()
    if not SHA256_HEX.fullmatch(digest):
        raise refuse(
            actor=actor,
            action=action,
            reason_code="file_hash_invalid",
            message=messages.FILE_HASH_INVALID,
            **subject,
        )
    with transaction.atomic():
        if consume_approval(approval_id=approval.pk):
            record = MediaOutputRecord.objects.create(
                approval=approval,
                medium=medium,
                description=description[:200],
                record_count=record_count,
                file_sha256=digest,
                purpose=purpose[:100],
                actor=actor,
            )
            _event(actor=actor, action=action, purpose=purpose, after_digest=digest, **subject)
            return record
    raise refuse(
        actor=actor,
        action=action,
        reason_code="approval_unusable",
        message=messages.APPROVAL_NOT_USABLE,
        **subject,
    )
