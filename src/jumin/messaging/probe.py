"""疎通確認: send a ``node.probe`` through the outbox to peers and wait for their receipts.

The probe takes the real path of every message: the transactional outbox, the delivery worker, mutual
TLS, the signature check and the receiver's ordered inbox. A receipt of ``applied`` (or ``stored`` /
``duplicate``) proves the link both ways: the peer accepted our certificate and signature, and we
accepted its certificate. ``jumin node probe`` and the demo federation use it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import transaction

from jumin.messaging import conf, services, tasks
from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import LocalNode
from jumin.messaging.messages import PROBE
from jumin.messaging.models import OutboxMessage

PROBE_SUBJECT = "probe"


@dataclass(frozen=True)
class ProbeResult:
    """One peer's answer: ``ok``, the receipt (or the reason it is still waiting) and the elapsed time."""

    peer: str
    ok: bool
    outcome: str
    seconds: float


def send_probes(node: LocalNode, peers: list[NodeRef], note: str = "疎通確認") -> dict[str, int]:
    """Queue one probe per peer (each in its own transaction, audited); returns outbox row ids by peer."""
    queued: dict[str, int] = {}
    for peer in peers:
        with transaction.atomic():
            row = services.enqueue(
                message_type=PROBE, receiver=peer, subject=PROBE_SUBJECT, payload={"note": note}, node=node
            )
        queued[str(peer)] = row.pk
    return queued


def await_probes(
    node: LocalNode, queued: dict[str, int], *, timeout: float, interval: float = 0.2
) -> list[ProbeResult]:
    """Run delivery rounds until every probe has a receipt or ``timeout`` seconds passed.

    Another worker (``jumin serve``) may deliver them instead; this only watches the outbox rows.
    """
    started = time.monotonic()
    done: dict[str, ProbeResult] = {}
    while True:
        tasks.run_round(node)
        rows = OutboxMessage.objects.filter(pk__in=[pk for peer, pk in queued.items() if peer not in done])
        for row in rows:
            peer = f"{row.receiver_kind}:{row.receiver_code}"
            if row.status != OutboxMessage.Status.PENDING:
                ok = row.status == OutboxMessage.Status.DELIVERED
                outcome = row.receipt if ok else f"隔離: {row.last_error}"
                done[peer] = ProbeResult(peer, ok, outcome, time.monotonic() - started)
        if len(done) == len(queued) or time.monotonic() - started >= timeout:
            break
        time.sleep(interval)
    for peer in queued:
        if peer not in done:
            row = OutboxMessage.objects.get(pk=queued[peer])
            waiting = row.last_error or "応答なし"
            done[peer] = ProbeResult(peer, False, f"未達: {waiting}", time.monotonic() - started)
    return [done[peer] for peer in queued]


def probe_peers(peers: list[NodeRef] | None = None, *, timeout: float = 30.0) -> list[ProbeResult]:
    """Probe the given peers (default: every configured peer) and wait for the answers."""
    node = conf.local_node()
    targets = peers if peers is not None else sorted(node.peers)
    return await_probes(node, send_probes(node, targets), timeout=timeout)
