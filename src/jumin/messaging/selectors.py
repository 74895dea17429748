"""Reads for 連携監視 (the network monitor): queues per peer, and messages set aside.

No personal data: counts, message ids, types, 更新順番号 and reason codes only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.messaging import conf
from jumin.messaging.models import InboxMessage, OutboxMessage, PeerLink

SET_ASIDE_LIMIT = 50


@dataclass
class PeerQueues:
    """One peer's line on the monitor."""

    peer: str
    url: str = ""
    configured: bool = True
    outbox_pending: int = 0
    outbox_delivered: int = 0
    outbox_poison: int = 0
    outbox_retired: int = 0
    oldest_pending_at: datetime | None = None
    inbox_held: int = 0
    inbox_applied: int = 0
    inbox_poison: int = 0
    inbox_retired: int = 0
    last_received_at: datetime | None = None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str = ""

    @property
    def alert(self) -> bool:
        return bool(self.outbox_poison or self.inbox_poison or self.consecutive_failures)


@dataclass
class SetAside:
    """A poison message, on either side (``queue`` is ``outbox`` or ``inbox``, for the operator actions)."""

    direction: str
    peer: str
    message_id: str
    type: str
    seq: int
    attempts: int
    reason: str
    queue: str


@dataclass
class NetworkStatus:
    """Everything the monitor shows."""

    node: str
    peers: list[PeerQueues] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for row, peer in zip(data["peers"], self.peers, strict=True):
            row["alert"] = peer.alert
        return data


def network_status() -> NetworkStatus:
    """Queues per peer (configured peers first, then any other node found in the queues)."""
    node = conf.local_node()
    rows: dict[str, PeerQueues] = {
        str(ref): PeerQueues(peer=str(ref), url=peer.url) for ref, peer in sorted(node.peers.items())
    }

    def row(kind: str, code: str) -> PeerQueues:
        key = f"{kind}:{code}"
        if key not in rows:
            rows[key] = PeerQueues(peer=key, configured=False)
        return rows[key]

    local = node.ref
    own_outbox = OutboxMessage.objects.filter(sender_kind=local.kind, sender_code=local.code)
    own_inbox = InboxMessage.objects.filter(receiver_kind=local.kind, receiver_code=local.code)
    outbox = own_outbox.values("receiver_kind", "receiver_code", "status").annotate(
        n=Count("id"), oldest=Min("created_at")
    )
    for item in outbox:
        line = row(item["receiver_kind"], item["receiver_code"])
        setattr(line, f"outbox_{item['status']}", item["n"])
        if item["status"] == OutboxMessage.Status.PENDING:
            line.oldest_pending_at = item["oldest"]
    inbox = (
        own_inbox.filter(seq__gt=0)
        .values("sender_kind", "sender_code", "status")
        .annotate(n=Count("id"), last=Max("received_at"))
    )
    for item in inbox:
        line = row(item["sender_kind"], item["sender_code"])
        setattr(line, f"inbox_{item['status']}", item["n"])
        if line.last_received_at is None or item["last"] > line.last_received_at:
            line.last_received_at = item["last"]
    for link in PeerLink.objects.all():
        line = row(link.kind, link.code)
        line.consecutive_failures = link.consecutive_failures
        line.next_attempt_at = link.next_attempt_at
        line.last_success_at = link.last_success_at
        line.last_failure_at = link.last_failure_at
        line.last_error = link.last_error
    set_aside = [
        SetAside(
            "送信",
            f"{m.receiver_kind}:{m.receiver_code}",
            str(m.message_id),
            m.type,
            m.seq,
            m.attempts,
            m.last_error,
            "outbox",
        )
        for m in own_outbox.filter(status=OutboxMessage.Status.POISON).order_by("-id")[:SET_ASIDE_LIMIT]
    ] + [
        SetAside(
            "受信",
            f"{m.sender_kind}:{m.sender_code}",
            str(m.message_id),
            m.type,
            m.seq,
            m.attempts,
            m.last_error,
            "inbox",
        )
        for m in own_inbox.filter(status=InboxMessage.Status.POISON).order_by("-id")[:SET_ASIDE_LIMIT]
    ]
    return NetworkStatus(node=str(node.ref), peers=list(rows.values()), set_aside=set_aside)


MONITOR_PURPOSE = "network_monitor"


def monitor_for(actor: Any, *, purpose: str = MONITOR_PURPOSE) -> NetworkStatus:
    """The monitor for a staff member holding ``network:monitor``; audited (refusals too)."""
    authorize(
        actor=actor,
        permission=Permission.NETWORK_MONITOR,
        action=AuditAction.NODE_MONITOR_VIEW,
        purpose=purpose,
        subject_type="node_monitor",
    )
    status = network_status()
    record_event(
        actor=actor,
        action=AuditAction.NODE_MONITOR_VIEW,
        subject_type="node_monitor",
        subject_id=status.node,
        purpose=purpose,
        result_count=len(status.peers),
    )
    return status


def received_subject(message_id: str) -> str | None:
    """The subject key of a message this node received, by its id (None if unknown here).

    Lets a relaying node answer the original sender about the original subject, e.g. the prefecture
    passing the national node's refusal of a forwarded update back to the CS (docs/prefecture.md).
    """
    local = conf.local_node().ref
    rows = InboxMessage.objects.filter(
        message_id=message_id, receiver_kind=local.kind, receiver_code=local.code
    )
    return rows.values_list("subject_key", flat=True).first()


def received_seq(message_id: str) -> int | None:
    """The sequence number of a message this node received, by its id (None if unknown here).

    A 附票 notice has no 更新順番号 of its own: the CS's envelope sequence stands for it, so a relayed
    refusal names the CS's own number (docs/prefecture.md).
    """
    local = conf.local_node().ref
    rows = InboxMessage.objects.filter(
        message_id=message_id, receiver_kind=local.kind, receiver_code=local.code
    )
    seq: int | None = rows.values_list("seq", flat=True).first()
    return seq
