"""Generic prior approval for bulk output (大量出力) and media output (媒体出力) (controls.md C-26 to C-28).

The requester applies with a scope and a maximum count. Each kind has its approval stages
(``APPROVAL_STAGES``): bulk output one (管理責任者), media output two (所属長, then 情報主管課長); every
stage is decided by someone else than the requester and the other stages' deciders. The approval is
used once and cannot be exceeded. Every media output is recorded (what, how many records, who, when,
which registered medium, file hash) and opens a post-use check for the IT department.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction

from jumin.accounts import clock, messages
from jumin.accounts.authorization import authorize, granted_permissions, has_permission
from jumin.accounts.context import audit_context
from jumin.accounts.errors import RuleRefused, refuse
from jumin.accounts.models import (
    ApprovalDecision,
    ApprovalRequest,
    MediaOutputRecord,
    MediaUseCheck,
    RegisteredMedium,
)
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


@dataclass(frozen=True)
class ApprovalStage:
    """One approval stage: who must decide it (role label) and the permission that role holds."""

    role: str
    permission: Permission


# Bulk output: the responsible manager (C-26). Media output: the applying section head, then the IT
# head (C-28, "2-stage approval"). Each stage is decided by a different person than every other step.
APPROVAL_STAGES: dict[str, tuple[ApprovalStage, ...]] = {
    ApprovalRequest.Kind.BULK_OUTPUT: (ApprovalStage("管理責任者", Permission.OUTPUT_BULK_APPROVE),),
    ApprovalRequest.Kind.MEDIA_OUTPUT: (
        ApprovalStage("所属長", Permission.OUTPUT_MEDIA_SECTION_APPROVE),
        ApprovalStage("情報主管課長", Permission.OUTPUT_MEDIA_IT_APPROVE),
    ),
}


def next_stage(approval: ApprovalRequest) -> ApprovalStage | None:
    """The stage still to decide on a pending request, or None when it is no longer pending."""
    if approval.status != ApprovalRequest.Status.REQUESTED:
        return None
    stages = APPROVAL_STAGES[approval.kind]
    done = approval.decisions.filter(approved=True).count()
    return stages[done] if done < len(stages) else None


def decide_approval(*, actor: Any, approval_id: int, approve: bool, purpose: str, reason: str = "") -> None:
    """Decide the next stage of a request (C-26, C-28).

    The permission checked is the stage's: 管理責任者 for bulk output; 所属長, then 情報主管課長 for
    media output. The requester never decides, nor does anyone decide two stages of one request. A
    rejection at any stage ends the request; the last approval makes it usable once.
    """
    action = AuditAction.APPROVAL_REQUEST_DECIDE
    subject = {"subject_type": "approval", "subject_id": str(approval_id)}
    pending = ApprovalRequest.objects.filter(pk=approval_id).first()
    stage = next_stage(pending) if pending is not None else None
    permission = stage.permission if stage is not None else _any_stage_permission(actor, pending)
    authorize(actor=actor, permission=permission, action=action, purpose=purpose, **subject)
    refusal: tuple[str, str] = ("not_pending", messages.APPROVAL_NOT_PENDING)
    with transaction.atomic():
        approval = ApprovalRequest.objects.select_for_update().filter(pk=approval_id).first()
        current = next_stage(approval) if approval is not None else None
        if approval is None or current is None or current != stage:
            pass  # decided meanwhile by someone else, or not pending at all
        elif approval.requested_by_id == actor.pk:
            refusal = ("self_approval", messages.APPROVAL_SELF)
        elif approval.decisions.filter(decided_by=actor).exists():
            refusal = ("same_approver", messages.APPROVAL_SAME_APPROVER)
        else:
            _decide(approval, current, actor=actor, approve=approve, reason=reason)
            number = list(APPROVAL_STAGES[approval.kind]).index(current) + 1
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                outcome_reason=f"{'approved' if approve else 'rejected'} stage {number}/"
                f"{len(APPROVAL_STAGES[approval.kind])}",
                **subject,
            )
            return
    raise refuse(actor=actor, action=action, reason_code=refusal[0], message=refusal[1], **subject)


def may_decide(actor: Any, approval: ApprovalRequest, *, held: frozenset[Permission] | None = None) -> bool:
    """Whether ``actor`` may decide the request's next stage now, by the rules ``decide_approval``
    enforces (the stage's permission, not the requester, no earlier stage decided). Screens offer the
    decision only to this person; ``held`` (the actor's permissions) saves a query per row.
    """
    stage = next_stage(approval)
    if stage is None or approval.requested_by_id == actor.pk:
        return False
    if stage.permission not in (held if held is not None else granted_permissions(actor)):
        return False
    return all(d.decided_by_id != actor.pk for d in approval.decisions.all())


def _any_stage_permission(actor: Any, approval: ApprovalRequest | None) -> Permission:
    """For a request no longer pending: a stage permission the actor holds (so an approver learns it
    was decided already), else the first stage's (so anyone else is refused as unauthorised)."""
    stages = APPROVAL_STAGES.get(approval.kind, ()) if approval is not None else ()
    stages = stages or APPROVAL_STAGES[ApprovalRequest.Kind.BULK_OUTPUT]
    held = [s.permission for s in stages if has_permission(actor, s.permission)]
    return held[0] if held else stages[0].permission


def _decide(
    approval: ApprovalRequest, stage: ApprovalStage, *, actor: Any, approve: bool, reason: str
) -> None:
    """Write the stage's decision and, on a rejection or the last approval, the request's outcome."""
    stages = APPROVAL_STAGES[approval.kind]
    number = list(stages).index(stage) + 1
    ApprovalDecision.objects.create(
        approval=approval,
        stage=number,
        role=stage.role,
        decided_by=actor,
        approved=approve,
        reason=reason[:400],
    )
    if approve and number < len(stages):
        return  # the next stage is still to come
    approval.status = ApprovalRequest.Status.APPROVED if approve else ApprovalRequest.Status.REJECTED
    approval.decided_by = actor
    approval.decided_at = clock.now()
    approval.decision_reason = reason[:400]
    approval.save()


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


def check_media_output(*, actor: Any, approval_id: int, medium_id: str, count: int) -> ApprovalRequest:
    """The approval, if an output of ``count`` persons to ``medium_id`` may be recorded under it now.

    Side-effect free: nothing is written, audited or used up. Raises RuleRefused (not audited: the
    caller records the refusal under its own action) when the approval is not the actor's approved,
    unused media-output approval, names another medium or one that is inactive or unencrypted, or
    allows fewer persons (C-27, C-28). ``record_media_output`` applies the same check.
    """
    approval = approved_request(actor=actor, approval_id=approval_id, kind=ApprovalRequest.Kind.MEDIA_OUTPUT)
    if approval is None:
        raise RuleRefused(messages.APPROVAL_NOT_USABLE, reason_code="approval_unusable")
    medium = approval.medium
    if medium is None or medium.medium_id != medium_id or not medium.is_active or not medium.encrypted:
        raise RuleRefused(messages.MEDIUM_INVALID, reason_code="medium_invalid")
    if count < 0 or count > approval.max_count:
        raise RuleRefused(messages.APPROVAL_COUNT_EXCEEDED, reason_code="approval_count_exceeded")
    return approval


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
    try:
        approval = check_media_output(
            actor=actor, approval_id=approval_id, medium_id=medium_id, count=record_count
        )
    except RuleRefused as unusable:
        raise refuse(
            actor=actor,
            action=action,
            reason_code=unusable.reason_code,
            message=unusable.message,
            **subject,
        ) from None
    medium = cast("RegisteredMedium", approval.medium)  # not None: checked by check_media_output
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
            MediaUseCheck.objects.create(output=record)
            _event(actor=actor, action=action, purpose=purpose, after_digest=digest, **subject)
            return record
    raise refuse(
        actor=actor,
        action=action,
        reason_code="approval_unusable",
        message=messages.APPROVAL_NOT_USABLE,
        **subject,
    )


def complete_media_use_check(
    *, actor: Any, output_id: int, erased: bool, note: str, purpose: str
) -> MediaUseCheck:
    """The IT department records the post-use check of a medium after an output (C-28).

    ``erased`` confirms the data was removed from the medium; a check is completed once.
    """
    action = AuditAction.MEDIA_OUTPUT_CHECK
    subject = {"subject_type": "media_output", "subject_id": str(output_id)}
    authorize(actor=actor, permission=Permission.MEDIA_REGISTER, action=action, purpose=purpose, **subject)
    with transaction.atomic():
        check = (
            MediaUseCheck.objects.select_for_update()
            .filter(output_id=output_id, checked_at__isnull=True)
            .first()
        )
        if check is not None:
            check.checked_by = actor
            check.checked_at = clock.now()
            check.erased = erased
            check.note = note.replace("\x00", "")[:400]
            check.save()
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                outcome_reason="erased" if erased else "not_erased",
                **subject,
            )
            return check
    raise refuse(
        actor=actor,
        action=action,
        reason_code="check_not_open",
        message=messages.MEDIA_CHECK_NOT_OPEN,
        purpose=purpose,
        **subject,
    )
