"""Writing to the audit log. Call ``record_event`` inside the service's own transaction."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import transaction

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.chain import TEXT_FIELDS, canonical_text, chain_hash
from jumin.audit.models import AuditChainHead, AuditEntry


def _node_label() -> str:
    return f"{settings.JUMIN_NODE_KIND}:{settings.JUMIN_NODE_CODE}"


def _actor_fields(actor: Any | None) -> dict[str, object]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor_id": None, "actor_name": "", "actor_role": ""}
    return {
        "actor_id": actor.pk,
        "actor_name": getattr(actor, "display_name", "") or actor.get_username(),
        "actor_role": "superuser" if actor.is_superuser else "",
    }


def record_event(
    *,
    actor: Any | None,
    action: AuditAction,
    subject_type: str = "",
    subject_id: str = "",
    purpose: str = "",
    reason: str = "",
    outcome: Outcome = Outcome.DONE,
    outcome_reason: str = "",
    individual_number_used: bool = False,
    terminal_id: str = "",
    request_id: str = "",
    before_digest: str = "",
    after_digest: str = "",
) -> AuditEntry:
    """Append one entry to this node's chain, in the caller's transaction (architecture.md §3 rule 5).

    ``subject_id`` is an internal id, never a 個人番号. The actor's name and role are copied so the
    entry stays readable after the account is deactivated (style.md, audit records).
    """
    fields: dict[str, object] = {
        **_actor_fields(actor),
        "terminal_id": terminal_id,
        "node": _node_label(),
        "action": str(action),
        "subject_type": subject_type,
        "subject_id": subject_id,
        "purpose": purpose,
        "reason": reason,
        "individual_number_used": individual_number_used,
        "request_id": request_id,
        "outcome": str(outcome),
        "outcome_reason": outcome_reason,
        "before_digest": before_digest,
        "after_digest": after_digest,
    }
    for name in TEXT_FIELDS:
        # SQL's LENGTH stops at NUL on SQLite; refusing NUL keeps the two canonical forms equal.
        if "\x00" in str(fields[name]):
            raise ValueError(f"audit field {name} contains a NUL character")
    with transaction.atomic():
        # Locking the head row serialises appends, so sequence numbers have no gaps and
        # each entry links to exactly one predecessor even with several web processes.
        head = AuditChainHead.objects.select_for_update().get(id=1)
        fields["seq"] = head.last_seq + 1
        fields["created_us"] = time.time_ns() // 1000
        digest = chain_hash(head.last_hash, canonical_text(fields))
        entry = AuditEntry.objects.create(**fields, prev_hash=head.last_hash, entry_hash=digest)
        AuditChainHead.objects.filter(id=1).update(last_seq=entry.seq, last_hash=digest)
    return entry
