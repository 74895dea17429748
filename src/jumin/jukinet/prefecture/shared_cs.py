"""Shared CS members at the 都道府県サーバ (共同利用, std 7.1.1.1-b; docs/prefecture.md, jukinet.md Flow 14).

``apply_member_list`` keeps the member list a shared CS sends (``jukinet.shared_cs_members``);
``registered_map`` is what ``updates.check_logic`` decides by, and ``may_act_for`` what the other
handlers ask: a member's telegram is accepted only from its registered CS, any other municipality's only
from itself (``common.shared_cs.may_act_for``).
"""

from __future__ import annotations

from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.jukinet.common import shared_cs
from jumin.jukinet.prefecture.models import SharedCsMember, SharedCsMemberList
from jumin.messaging.envelope import Envelope, NodeRef

SUBJECT_TYPE = "prefecture_shared_cs"


def registered_cs(municipality_code: str) -> str | None:
    """The shared CS ``municipality_code`` is a registered member of (None: it sends for itself)."""
    return (
        SharedCsMember.objects.filter(municipality_code=municipality_code)
        .values_list("cs_code", flat=True)
        .first()
    )


def registered_map() -> dict[str, str]:
    """Every registered member municipality → its shared CS (a small table, read once per batch)."""
    return dict(SharedCsMember.objects.values_list("municipality_code", "cs_code"))


def may_act_for(sender: NodeRef, municipality_code: str) -> bool:
    """Whether the node ``sender`` may send for ``municipality_code`` (a member: its shared CS only)."""
    return sender.kind == "municipality" and shared_cs.may_act_for(
        sender.code, municipality_code, registered_cs(municipality_code)
    )


def apply_member_list(envelope: Envelope) -> None:
    """Handler of ``jukinet.shared_cs_members``: replace the sender's members (idempotent, audited).

    Refused, audited and kept in the log only, when the sender is not a municipality node or a listed
    municipality is a member of another shared CS (which must end that membership first).
    """
    if SharedCsMemberList.objects.filter(message_id=envelope.id).exists():
        return
    members = shared_cs.members_from_payload(envelope.payload)
    cs_code = envelope.sender.code
    registered = registered_map()
    error: DomainError | None = shared_cs.claimed_elsewhere(cs_code, members, registered)
    if envelope.sender.kind != "municipality":
        error = shared_cs.not_registered_cs("sender")
    SharedCsMemberList.objects.create(
        message_id=envelope.id,
        cs_code=cs_code,
        members=[{"municipality_code": m.municipality_code, "name": m.name} for m in members],
        refused_code=error.code if error is not None else "",
        received_at=timezone.now(),
    )
    if error is None:
        now = timezone.now()
        SharedCsMember.objects.filter(cs_code=cs_code).delete()
        SharedCsMember.objects.bulk_create(
            SharedCsMember(
                municipality_code=m.municipality_code, name=m.name, cs_code=cs_code, registered_at=now
            )
            for m in members
        )
    record_event(
        actor=None,
        action=AuditAction.PREFECTURE_SHARED_CS_MEMBERS,
        subject_type=SUBJECT_TYPE,
        subject_id=cs_code,
        reason=f"from {envelope.sender}: {', '.join(m.municipality_code for m in members) or 'no members'}",
        outcome=Outcome.REFUSED if error is not None else Outcome.DONE,
        outcome_reason=error.code if error is not None else "",
        result_count=len(members),
    )
