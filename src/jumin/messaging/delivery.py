"""The delivery worker's rounds: send due outbox messages, re-request gaps (docs/network.md).

No database transaction is open while a peer is being called: each outcome is written in its own
short transaction, so a worker killed at any point loses nothing (an unacknowledged message is sent
again and the receiver recognises it by id).

One worker at a time owns a peer's queue, through a lease on its ``PeerLink`` row, so messages of
one subject leave in 更新順番号 order even with several workers. A ``Courier`` keeps what a worker
needs across its rounds: one TLS client context, and its leases, renewed only when a quarter of the
lease has passed instead of written (and released) in every round.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_events
from jumin.crypto.keys import one_keyring
from jumin.crypto.sealed import SealedSecretError
from jumin.messaging import conf
from jumin.messaging.envelope import MAX_BATCH_BYTES, Reason
from jumin.messaging.identity import LocalNode, Peer
from jumin.messaging.messages import RESEND_REQUEST
from jumin.messaging.models import InboxMessage, InboxStream, OutboxMessage, PeerLink
from jumin.messaging.services import (
    audit_event,
    backoff,
    control_envelope,
    missing_seqs,
    node_event,
    record_resend_request,
    signed_token,
)
from jumin.messaging.tls import PeerResponse, PeerUnreachable, client_context, post

logger = logging.getLogger("jumin.messaging")

INBOX_PATH = "/node/inbox"
BATCH_PATH = "/node/inbox/batch"
BATCH_OVERHEAD = 16  # {"tokens": [ ... ]}
DELIVERED_STATUSES = frozenset({"applied", "stored", "duplicate"})
# Refusals that say "fix the configuration" (keys, peer lists): the link backs off, messages wait.
LINK_REASONS = frozenset({Reason.UNKNOWN_PEER, Reason.SIGNATURE})


@dataclass
class DeliveryReport:
    """What one round did."""

    delivered: int = 0
    retried: int = 0
    poisoned: int = 0
    unreachable: list[str] = field(default_factory=list)
    resend_requests: int = 0
    #: A peer's turn ended on its round's limit with every message delivered: more are probably due.
    backlog: bool = False


def worker_id() -> str:
    """Who holds a lease: host and process id."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _link(peer: Peer) -> PeerLink:
    link, _ = PeerLink.objects.get_or_create(kind=peer.ref.kind, code=peer.ref.code)
    return link


def _acquire(link: PeerLink, owner: str, now: datetime) -> bool:
    taken = PeerLink.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner), pk=link.pk
    ).update(lease_owner=owner, lease_until=now + timedelta(seconds=conf.lease_seconds()))
    return taken == 1


def _link_failed(peer: Peer, reason: str, now: datetime) -> None:
    with transaction.atomic():
        link = PeerLink.objects.select_for_update().get(kind=peer.ref.kind, code=peer.ref.code)
        was_up = link.consecutive_failures == 0
        link.consecutive_failures += 1
        link.last_failure_at = now
        link.last_error = reason[:200]
        link.next_attempt_at = now + backoff(link.consecutive_failures)
        link.save(update_fields=["consecutive_failures", "last_failure_at", "last_error", "next_attempt_at"])
        if was_up:
            # Audited and alerted once per outage; the retries in between only move the backoff.
            audit_event(
                AuditAction.NODE_LINK_DOWN,
                subject_id=str(peer.ref),
                reason=f"peer {peer.ref} unreachable",
                outcome=Outcome.REFUSED,
                outcome_reason=reason,
            )
            logger.error("ALERT peer %s unreachable (%s); retrying with backoff", peer.ref, reason)


def _link_succeeded(peer: Peer, now: datetime) -> None:
    with transaction.atomic():
        link = PeerLink.objects.select_for_update().get(kind=peer.ref.kind, code=peer.ref.code)
        if link.consecutive_failures:
            audit_event(
                AuditAction.NODE_LINK_UP,
                subject_id=str(peer.ref),
                reason=f"peer {peer.ref} reachable again after {link.consecutive_failures} failed attempts",
            )
            logger.info("peer %s reachable again", peer.ref)
        link.consecutive_failures = 0
        link.last_success_at = now
        link.last_error = ""
        link.next_attempt_at = None
        link.save(update_fields=["consecutive_failures", "last_success_at", "last_error", "next_attempt_at"])


def _delivered(row: OutboxMessage, response: PeerResponse, now: datetime) -> None:
    with transaction.atomic():
        _record_delivered([(row, str(response.body.get("status")))], now)


def _record_delivered(answered: list[tuple[OutboxMessage, str]], now: datetime) -> None:
    """Mark rows delivered with their receipts and audit each (one UPDATE per receipt kind, one insert).

    Runs in the caller's transaction; the rows in memory are updated to match.
    """
    by_receipt: dict[str, list[int]] = {}
    events: list[dict[str, Any]] = []
    for row, receipt in answered:
        row.status = OutboxMessage.Status.DELIVERED
        row.delivered_at = row.last_attempt_at = now
        row.attempts += 1
        row.receipt, row.last_error = receipt[:16], ""
        by_receipt.setdefault(row.receipt, []).append(row.pk)
        reason = f"{row.type} to {row.receiver_kind}:{row.receiver_code} seq {row.seq}: {row.receipt}"
        events.append(
            node_event(AuditAction.NODE_MESSAGE_DELIVER, subject_id=str(row.message_id), reason=reason)
        )
    for receipt, pks in by_receipt.items():
        OutboxMessage.objects.filter(pk__in=pks).update(
            status=OutboxMessage.Status.DELIVERED,
            delivered_at=now,
            last_attempt_at=now,
            attempts=F("attempts") + 1,
            receipt=receipt,
            last_error="",
        )
    record_events(events)


def _refused(row: OutboxMessage, reason: str, detail: str, now: datetime, *, permanent: bool) -> bool:
    """Count a refused attempt; set the message aside if permanent or out of attempts. True if set aside."""
    with transaction.atomic():
        row.attempts += 1
        row.last_attempt_at = now
        row.last_error = f"{reason}: {detail}"[:200]
        poison = permanent or row.attempts >= conf.max_attempts()
        row.status = OutboxMessage.Status.POISON if poison else OutboxMessage.Status.PENDING
        row.next_attempt_at = now + backoff(row.attempts)
        row.save(update_fields=["attempts", "last_attempt_at", "last_error", "status", "next_attempt_at"])
        audit_event(
            AuditAction.NODE_MESSAGE_QUARANTINE if poison else AuditAction.NODE_MESSAGE_REFUSE,
            subject_id=str(row.message_id),
            reason=f"{row.type} to {row.receiver_kind}:{row.receiver_code} seq {row.seq}: {detail}",
            outcome=Outcome.REFUSED,
            outcome_reason=reason,
        )
    if poison:
        logger.error("ALERT outbox message %s set aside: %s", row.message_id, reason)
    return poison


def settle(
    row: OutboxMessage,
    response: PeerResponse,
    now: datetime,
    report: DeliveryReport,
    *,
    link_is_final: bool = False,
) -> str:
    """Record the receiver's answer to one message: ``delivered``, ``retried``, ``poisoned`` or ``link``.

    ``link`` (a signature or unknown-peer refusal) records nothing: the link backs off and the message
    keeps its place, unless ``link_is_final`` (the in-process test federation) sets it aside at once.
    """
    status, reason = response.body.get("status"), str(response.body.get("reason", ""))
    detail = str(response.body.get("detail", ""))[:150]
    if response.status in (200, 202) and status in DELIVERED_STATUSES:
        _delivered(row, response, now)
        report.delivered += 1
        return "delivered"
    if status == "refused" and reason in LINK_REASONS and not link_is_final:
        return "link"
    permanent = status == "refused" and reason not in Reason.RETRYABLE
    if _refused(row, reason or f"http_{response.status}", detail, now, permanent=permanent):
        report.poisoned += 1
        return "poisoned"
    report.retried += 1
    return "retried"


def _due_rows(node: LocalNode, peer: Peer, now: datetime) -> list[OutboxMessage]:
    """This round's messages for ``peer``, oldest first; a subject in backoff holds back its later ones."""
    rows = OutboxMessage.objects.filter(
        sender_kind=node.ref.kind,
        sender_code=node.ref.code,
        receiver_kind=peer.ref.kind,
        receiver_code=peer.ref.code,
        status=OutboxMessage.Status.PENDING,
    ).order_by("id")[: conf.batch_size()]
    waiting: set[str] = set()  # subjects with an earlier message still due later: keep their order
    due = []
    for row in rows:
        if row.subject_key in waiting:
            continue
        if row.next_attempt_at > now:
            waiting.add(row.subject_key)
            continue
        due.append(row)
    return due


def _chunks(rows: list[OutboxMessage], now: datetime) -> Iterator[list[tuple[OutboxMessage, str]]]:
    """The rows with their unsealed tokens, in order, cut so that each batch body stays under the limit.

    A token whose data key is gone can never be sent: it is set aside (audited) instead of stopping
    delivery to every peer.
    """
    chunk: list[tuple[OutboxMessage, str]] = []
    size = BATCH_OVERHEAD
    for row in rows:
        try:
            token = signed_token(row)
        except SealedSecretError:
            _refused(row, "unsealable", "the data key of the stored token is gone", now, permanent=True)
            continue
        if chunk and size + len(token) + 3 > MAX_BATCH_BYTES:
            yield chunk
            chunk, size = [], BATCH_OVERHEAD
        chunk.append((row, token))
        size += len(token) + 3  # quotes and comma
    if chunk:
        yield chunk


def _deliver_to(
    node: LocalNode, peer: Peer, context: ssl.SSLContext, now: datetime, report: DeliveryReport
) -> None:
    """Send the peer's due messages, batch after batch while every one of them is delivered.

    A backlog leaves at up to ``batches_per_round`` batches per round instead of one per interval;
    any message not delivered (refused, retried, set aside) ends the peer's turn, as before. A turn
    that ends on the limit with full batches delivered sets ``report.backlog``.
    """
    # Well inside the lease (held with at least three quarters left), so no other worker takes the
    # peer over while this one still sends.
    until = time.monotonic() + conf.lease_seconds() / 2
    for _ in range(conf.batches_per_round()):
        if time.monotonic() > until:
            report.backlog = True
            return
        rows = _due_rows(node, peer, now)
        delivered_before = report.delivered
        for chunk in _chunks(rows, now):
            if not _send_batch(peer, chunk, context, now, report):
                return
        if not rows or report.delivered - delivered_before < len(rows):
            return
    report.backlog = True


def _link_lost(peer: Peer, reason: str, now: datetime, report: DeliveryReport) -> bool:
    _link_failed(peer, reason, now)
    report.unreachable.append(str(peer.ref))
    return False


def _send_batch(
    peer: Peer, chunk: list[tuple[OutboxMessage, str]], context: Any, now: datetime, report: DeliveryReport
) -> bool:
    """POST one batch and record every receipt in one transaction; False if the link is down."""
    # Compact separators: _chunks counts 3 bytes per token (quotes and comma) against the size limit.
    body = json.dumps({"tokens": [token for _, token in chunk]}, separators=(",", ":")).encode("ascii")
    try:
        response = post(
            peer, BATCH_PATH, body, context, max_response=MAX_BATCH_BYTES, content_type="application/json"
        )
    except PeerUnreachable as error:
        return _link_lost(peer, error.reason, now, report)
    receipts = response.body.get("receipts")
    if response.status != 200 or not isinstance(receipts, list) or len(receipts) != len(chunk):
        reason = str(response.body.get("reason", ""))
        if reason in LINK_REASONS:
            return _link_lost(peer, f"refused: {reason}", now, report)
        # A peer without the batch endpoint (404), or a batch it will not take: one message at a time.
        return _send_singly(peer, chunk, context, now, report)
    link_refusal = ""
    delivered: list[tuple[OutboxMessage, str]] = []
    with transaction.atomic():  # one commit for the whole batch's outcomes; nothing is lost if killed
        for index, ((row, _), receipt) in enumerate(zip(chunk, receipts, strict=True)):
            answer = PeerResponse(200, receipt if isinstance(receipt, dict) else {})
            if index == 0 and answer.body.get("reason") not in LINK_REASONS:
                _link_succeeded(peer, now)
            if answer.body.get("status") in DELIVERED_STATUSES:
                # The common case, recorded for the whole batch at once below (as settle() would).
                delivered.append((row, str(answer.body["status"])))
                report.delivered += 1
                continue
            if settle(row, answer, now, report) == "link":
                link_refusal = str(answer.body.get("reason", ""))
                break
        _record_delivered(delivered, now)
    if link_refusal:
        return _link_lost(peer, f"refused: {link_refusal}", now, report)
    return True


def _send_singly(
    peer: Peer, chunk: list[tuple[OutboxMessage, str]], context: Any, now: datetime, report: DeliveryReport
) -> bool:
    """POST each message to ``/node/inbox``; False if the link is down."""
    waiting: set[str] = set()
    reached = False
    for row, token in chunk:
        if row.subject_key in waiting:
            continue
        try:
            response = post(peer, INBOX_PATH, token.encode("ascii"), context)
        except PeerUnreachable as error:
            return _link_lost(peer, error.reason, now, report)
        reason = str(response.body.get("reason", ""))
        if not reached and reason not in LINK_REASONS:
            _link_succeeded(peer, now)
            reached = True
        outcome = settle(row, response, now, report)
        if outcome == "link":
            return _link_lost(peer, f"refused: {reason}", now, report)
        if outcome == "retried":
            waiting.add(row.subject_key)
    return True


@dataclass
class _Hold:
    """A worker's lease on one peer's queue, as this worker last wrote it."""

    link_pk: int
    until: datetime
    #: The link was down at the last attempt: its backoff is read from the row every round (a resend
    #: request from the peer resets it), instead of not at all while the link is up.
    backing_off: bool


class Courier:
    """A delivery worker's state across its rounds (``jumin deliver``, the thread of `jumin serve`).

    Keeps one TLS client context for the worker's life (rebuilt if the node's certificate or key file
    changes) and holds each peer's lease across rounds, renewing it once a quarter of it has passed:
    a round with nothing to send reads the outbox and writes nothing. ``release`` gives the leases back
    (at the worker's end; a worker that dies leaves them to expire).
    """

    def __init__(self, node: LocalNode | None = None, owner: str = "") -> None:
        self.node = node
        self.owner = owner or worker_id()
        self._context: ssl.SSLContext | None = None
        self._context_files: tuple[int, ...] = ()
        self._holds: dict[tuple[str, str], _Hold] = {}

    def context(self, node: LocalNode) -> ssl.SSLContext:
        """The TLS client context, built once per certificate (one ``stat`` per call, not a rebuild)."""
        files = node.files
        stamp = tuple(path.stat().st_mtime_ns for path in (files.tls_cert, files.tls_key, files.ca_cert))
        if self._context is None or stamp != self._context_files:
            self._context, self._context_files = client_context(files), stamp
        return self._context

    def deliver(self, node: LocalNode | None = None, *, now: datetime | None = None) -> DeliveryReport:
        """One delivery round over every configured peer whose backoff has passed and whose lease is ours."""
        node = node or self.node or conf.local_node()
        now = now or timezone.now()
        report = DeliveryReport()
        # The sealed tokens of the round open under one keyring, checked on disk once (not per row).
        with one_keyring():
            for peer in node.peers.values():
                hold = self._hold(peer, now)
                if hold is None:
                    continue
                down_before = len(report.unreachable)
                _deliver_to(node, peer, self.context(node), now, report)
                hold.backing_off = len(report.unreachable) > down_before
        return report

    def _hold(self, peer: Peer, now: datetime) -> _Hold | None:
        """This worker's lease on ``peer`` if its backoff has passed, taken or renewed when needed."""
        key = (peer.ref.kind, peer.ref.code)
        lease = timedelta(seconds=conf.lease_seconds())
        hold = self._holds.get(key)
        if hold is not None and hold.until - now > lease * 3 / 4:
            if hold.backing_off:
                retry_at = PeerLink.objects.filter(pk=hold.link_pk).values_list("next_attempt_at", flat=True)
                due_at = retry_at.first()
                if due_at is not None and due_at > now:
                    return None
            return hold
        link = _link(peer)
        if link.next_attempt_at is not None and link.next_attempt_at > now:
            return None
        held_by_other = link.lease_owner not in ("", self.owner)
        if held_by_other and link.lease_until is not None and link.lease_until >= now:
            self._holds.pop(key, None)
            return None  # read, not written: a waiting worker takes no write lock every round
        if not _acquire(link, self.owner, now):
            self._holds.pop(key, None)
            return None
        hold = _Hold(link.pk, now + lease, backing_off=link.consecutive_failures > 0)
        self._holds[key] = hold
        return hold

    def release(self) -> None:
        """Give back every lease this worker holds, so another worker may take the peers at once."""
        for hold in self._holds.values():
            PeerLink.objects.filter(pk=hold.link_pk, lease_owner=self.owner).update(
                lease_owner="", lease_until=None
            )
        self._holds.clear()


def deliver_due(
    node: LocalNode | None = None, *, now: datetime | None = None, owner: str = ""
) -> DeliveryReport:
    """One delivery round over every configured peer whose backoff has passed; leases released after."""
    courier = Courier(node, owner)
    try:
        return courier.deliver(now=now)
    finally:
        courier.release()


def request_missing(
    node: LocalNode | None = None, *, now: datetime | None = None, courier: Courier | None = None
) -> int:
    """Ask senders again for 更新順番号 missing below held messages (with backoff per subject)."""
    node = node or conf.local_node()
    now = now or timezone.now()
    context: ssl.SSLContext | None = None
    sent = 0
    local = node.ref
    held = InboxMessage.objects.filter(
        receiver_kind=local.kind, receiver_code=local.code, status=InboxMessage.Status.HELD
    ).values_list("sender_kind", "sender_code", "subject_key")
    for sender_kind, sender_code, subject in sorted(set(held)):
        stream = InboxStream.objects.get(
            receiver_kind=local.kind,
            receiver_code=local.code,
            sender_kind=sender_kind,
            sender_code=sender_code,
            subject_key=subject,
        )
        if stream.resend_requested_at and now < stream.resend_requested_at + backoff(stream.resend_requests):
            continue
        seqs = missing_seqs(stream)
        peer = next(
            (p for p in node.peers.values() if (p.ref.kind, p.ref.code) == (sender_kind, sender_code)), None
        )
        if not seqs or peer is None:
            continue
        context = context or (courier.context(node) if courier else client_context(node.files))
        token = control_envelope(node, peer.ref, RESEND_REQUEST, {"subject": subject, "seqs": seqs})
        try:
            response = post(peer, INBOX_PATH, token.encode("ascii"), context)
            ok = response.body.get("status") in ("accepted", "duplicate")
        except PeerUnreachable:
            ok = False
        record_resend_request(stream, seqs, now, sent=ok)
        sent += int(ok)
        if ok:
            logger.info("asked %s again for %s", peer.ref, json.dumps(seqs[:10]))
    return sent
