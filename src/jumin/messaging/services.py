"""Outbox and inbox: the state changes of node-to-node messaging (docs/network.md).

* ``enqueue`` stores a signed message in the caller's transaction (transactional outbox) with the
  next 更新順番号 of its (sender, receiver, subject) stream.
* ``receive`` checks a message from a peer (signature, schema, route, replay, ordering), stores it
  once, and applies every message of the subject that is now in order. Refusals carry a
  machine-readable reason for the sender and are audited.
* ``retry_held`` re-runs handlers that failed for a passing reason.
* ``query`` (from ``queries``) asks another node a signed question and returns its verified answer.

Every write is audited in its own transaction (architecture.md §3 rule 5); the actor is the node.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_events
from jumin.bulk_insert import insert_objects
from jumin.crypto.keys import one_keyring
from jumin.crypto.sealed import SealedSecretError, UnreadableSecret
from jumin.domain.errors import DomainError, refusal
from jumin.messaging import conf, handlers, wakeup
from jumin.messaging.envelope import (
    CONTROL_SUBJECT,
    Envelope,
    EnvelopeRefused,
    NodeRef,
    Reason,
    decode_verified,
    new_envelope,
    open_envelope,
    sign_envelope,
    token_digest,
)
from jumin.messaging.identity import LocalNode
from jumin.messaging.messages import RESEND_REQUEST
from jumin.messaging.models import InboxMessage, InboxStream, OutboxMessage, OutboxSequence, PeerLink
from jumin.messaging.queries import query as query  # re-exported: services.query is the public entry

logger = logging.getLogger("jumin.messaging")

SUBJECT_TYPE = "node_message"
#: Every inbox status but applied (held, set aside, retired).
UNAPPLIED_STATUSES = tuple(s for s in InboxMessage.Status if s != InboxMessage.Status.APPLIED)
HTTP_STATUS = {
    Reason.SCHEMA: 400,
    Reason.SIGNATURE: 401,
    Reason.UNKNOWN_PEER: 403,
    Reason.MISDIRECTED: 421,
    Reason.REPLAY: 409,
    Reason.ORDERING: 409,
}


@dataclass(frozen=True)
class Receipt:
    """The answer to a sender: ``applied``, ``stored`` (held for its turn), ``duplicate``, ``accepted``
    (a control message) or ``refused`` with a ``Reason`` code."""

    status: str
    message_id: str = ""
    reason: str = ""
    detail: str = ""
    missing: tuple[int, ...] = ()

    @property
    def http_status(self) -> int:
        if self.status == "refused":
            return HTTP_STATUS.get(self.reason, 400)
        return 202 if self.status == "stored" else 200

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "id": self.message_id}
        if self.reason:
            body["reason"] = self.reason
            body["detail"] = self.detail
        if self.missing:
            body["missing"] = list(self.missing)
        return body


def backoff(attempt: int) -> timedelta:
    """Exponential backoff: base × 2^(attempt − 1), capped (docs/network.md "Failure handling")."""
    base, cap = conf.backoff_base_seconds(), conf.backoff_cap_seconds()
    return timedelta(seconds=min(cap, base * 2 ** max(0, min(attempt - 1, 30))))


def node_event(
    action: AuditAction,
    *,
    subject_id: str,
    reason: str,
    outcome: Outcome = Outcome.DONE,
    outcome_reason: str = "",
    actor: Any | None = None,
) -> dict[str, Any]:
    """The fields of one audit entry about a message, a peer or a connection (``record_event(**…)``,
    or a batch's buffer for ``record_events``)."""
    return {
        "actor": actor,
        "action": action,
        "subject_type": SUBJECT_TYPE,
        "subject_id": subject_id,
        "reason": reason[:400],
        "outcome": outcome,
        "outcome_reason": outcome_reason[:400],
    }


def audit_event(
    action: AuditAction,
    *,
    subject_id: str,
    reason: str,
    outcome: Outcome = Outcome.DONE,
    outcome_reason: str = "",
    actor: Any | None = None,
) -> None:
    """One audit entry about a message, a peer or a connection, with the node as the actor."""
    record_event(
        **node_event(
            action,
            subject_id=subject_id,
            reason=reason,
            outcome=outcome,
            outcome_reason=outcome_reason,
            actor=actor,
        )
    )


def signed_token(row: OutboxMessage | InboxMessage) -> str:
    """A stored message's token exactly as it was signed (outbox) or received (inbox), unsealed.

    Raises ``SealedSecretError`` (no value in the message) if the data key that sealed it is gone.
    """
    token = row.token
    if isinstance(token, UnreadableSecret):
        raise SealedSecretError(f"message {row.message_id}: the stored token cannot be unsealed")
    return str(token)


#: Streams numbered per upsert statement (6 parameters each, within SQLite's 999).
_SEQ_STREAMS_PER_STATEMENT = 150


def _reserve_seqs(sender: NodeRef, counts: dict[tuple[NodeRef, str], int]) -> dict[tuple[NodeRef, str], int]:
    """Allocate the next ``count`` 更新順番号 of each (receiver, subject) stream atomically; returns the
    last number of each.

    One multi-row upsert for up to 150 streams (a batch forwarded by the prefecture has one stream per
    person), safe with concurrent writers on both engines.
    """
    table = OutboxSequence._meta.db_table
    streams = list(counts.items())
    keys = {(receiver.kind, receiver.code, subject): (receiver, subject) for receiver, subject in counts}
    last: dict[tuple[NodeRef, str], int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(streams), _SEQ_STREAMS_PER_STATEMENT):
            chunk = streams[start : start + _SEQ_STREAMS_PER_STATEMENT]
            rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} (sender_kind, sender_code, receiver_kind, receiver_code, "  # noqa: S608
                f"subject_key, last_seq) VALUES {rows} "
                f"ON CONFLICT (sender_kind, sender_code, receiver_kind, receiver_code, subject_key) "
                f"DO UPDATE SET last_seq = {table}.last_seq + excluded.last_seq "
                f"RETURNING receiver_kind, receiver_code, subject_key, last_seq",
                [
                    value
                    for (receiver, subject), count in chunk
                    for value in (sender.kind, sender.code, receiver.kind, receiver.code, subject, count)
                ],
            )
            for kind, code, subject, seq in cursor.fetchall():
                last[keys[(kind, code, subject)]] = int(seq)
    if len(last) != len(counts):
        raise RuntimeError(f"numbering {len(counts)} streams returned {len(last)} numbers")
    return last


@dataclass(frozen=True)
class Outgoing:
    """One message for ``enqueue_many``: the arguments of ``enqueue`` that differ per message."""

    message_type: str
    receiver: NodeRef
    subject: str
    payload: dict[str, Any]


def enqueue(
    *,
    message_type: str,
    receiver: NodeRef,
    subject: str,
    payload: dict[str, Any],
    actor: Any | None = None,
    node: LocalNode | None = None,
) -> OutboxMessage:
    """Store a signed message for ``receiver`` in the caller's open transaction (transactional outbox).

    The message leaves only if the caller's change commits, and it leaves exactly as signed here.
    Refuses (DomainError) an unknown receiver or type and a payload its type's schema refuses.
    """
    outgoing = Outgoing(message_type=message_type, receiver=receiver, subject=subject, payload=payload)
    return enqueue_many([outgoing], actor=actor, node=node)[0]


def _check_outgoing(node: LocalNode, outgoing: Outgoing) -> Outgoing:
    """``outgoing`` addressed to the peer that receives it (a shared CS for its member), or DomainError."""
    peer = node.route_to(outgoing.receiver)
    if peer is None:
        raise refusal(
            "receiver",
            "宛先ノードが連携先に登録されていません。",
            "peers.json に宛先を登録してください。",
            "messaging.unknown_receiver",
        )
    registered = handlers.lookup(outgoing.message_type)
    if registered is None or outgoing.message_type.startswith("messaging."):
        raise refusal(
            "type",
            "未登録のメッセージ種類です。",
            "messages.py で登録してください。",
            "messaging.unknown_type",
        )
    registered.validate(outgoing.payload)
    return outgoing if peer.ref == outgoing.receiver else replace(outgoing, receiver=peer.ref)


def enqueue_many(
    messages: list[Outgoing], *, actor: Any | None = None, node: LocalNode | None = None
) -> list[OutboxMessage]:
    """``enqueue`` for several messages, in order, with one insert and one audit write for all of them.

    Each message is checked, numbered in its stream (one upsert per stream, however many messages it
    has), signed and audited exactly as ``enqueue`` would; a refusal of any one changes nothing.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("enqueue() must be called inside the transaction of the change it reports")
    if not messages:
        return []
    node = node or conf.local_node()
    messages = [_check_outgoing(node, outgoing) for outgoing in messages]
    counts: dict[tuple[NodeRef, str], int] = {}
    for outgoing in messages:
        key = (outgoing.receiver, outgoing.subject)
        counts[key] = counts.get(key, 0) + 1
    next_seq = {key: seq - counts[key] + 1 for key, seq in _reserve_seqs(node.ref, counts).items()}
    rows: list[OutboxMessage] = []
    events: list[dict[str, Any]] = []
    for outgoing in messages:
        key = (outgoing.receiver, outgoing.subject)
        seq, next_seq[key] = next_seq[key], next_seq[key] + 1
        try:
            envelope = new_envelope(
                type=outgoing.message_type,
                sender=node.ref,
                receiver=outgoing.receiver,
                subject=outgoing.subject,
                seq=seq,
                payload=outgoing.payload,
            )
        except EnvelopeRefused as error:
            raise refusal(
                "envelope", error.detail, "対象キーと内容を確認してください。", "messaging.envelope"
            ) from None
        rows.append(
            OutboxMessage(
                message_id=envelope.id,
                sender_kind=node.ref.kind,
                sender_code=node.ref.code,
                receiver_kind=outgoing.receiver.kind,
                receiver_code=outgoing.receiver.code,
                type=outgoing.message_type,
                subject_key=outgoing.subject,
                seq=envelope.seq,
                created_at=envelope.created,
                token=sign_envelope(envelope, node.signing_key),
                next_attempt_at=envelope.created,
            )
        )
        events.append(
            node_event(
                AuditAction.NODE_MESSAGE_ENQUEUE,
                subject_id=envelope.id,
                reason=f"{outgoing.message_type} to {outgoing.receiver} seq {envelope.seq}",
                actor=actor,
            )
        )
    insert_objects(rows)
    record_events(events)
    # Sent as soon as the change commits, not at the worker's next interval (a rollback sends nothing).
    transaction.on_commit(wakeup.notify)
    return rows


def refuse(peer: NodeRef | None, digest: str, error: EnvelopeRefused, message_id: str = "") -> Receipt:
    """Audit a refused message (its own transaction, so it survives) and answer with the reason."""
    with transaction.atomic():
        record_event(**_refusal_event(peer, digest, error, message_id))
    logger.warning("message refused from %s: %s", peer or "unidentified", error.reason)
    return Receipt(status="refused", message_id=message_id, reason=error.reason, detail=error.detail)


def _check(node: LocalNode, peer: NodeRef, envelope: Envelope, now: datetime) -> None:
    if envelope.sender != peer:
        raise EnvelopeRefused(Reason.UNKNOWN_PEER, "送信元が接続元のノードと一致しません。")
    if envelope.receiver != node.ref:
        raise EnvelopeRefused(Reason.MISDIRECTED, "このノード宛てのメッセージではありません。")
    if envelope.created > now + timedelta(seconds=conf.clock_skew_seconds()):
        raise EnvelopeRefused(Reason.REPLAY, "作成日時が未来です。")
    if envelope.created < now - timedelta(days=conf.retention_days()):
        # Older than anything the inbox still keeps for de-duplication (purge_messages): refuse outright.
        raise EnvelopeRefused(Reason.REPLAY, "作成日時が保存期間より前です。")
    registered = handlers.lookup(envelope.type)
    if registered is None:
        raise EnvelopeRefused(Reason.SCHEMA, "未登録のメッセージ種類です。")
    try:
        registered.validate(envelope.payload)
    except DomainError as error:
        raise EnvelopeRefused(Reason.SCHEMA, error.reason) from None


def receive(node: LocalNode, peer: NodeRef | None, token: bytes, *, now: datetime | None = None) -> Receipt:
    """Check, store and (in order) apply one message from ``peer``, the node its TLS certificate names."""
    now = now or timezone.now()
    digest = token_digest(token)
    configured = node.peer(peer) if peer is not None else None
    if configured is None:
        return refuse(
            peer, digest, EnvelopeRefused(Reason.UNKNOWN_PEER, "連携先として登録されていないノードです。")
        )
    envelope: Envelope | None = None
    try:
        envelope = open_envelope(token, configured.keys)
        _check(node, configured.ref, envelope, now)
        with transaction.atomic():
            if envelope.is_control:
                return _receive_control(configured.ref, envelope, token, digest, now)
            return _store_and_apply(envelope, token, digest, now)
    except EnvelopeRefused as error:
        return refuse(configured.ref, digest, error, envelope.id if envelope else "")


def receive_batch(
    node: LocalNode, peer: NodeRef | None, tokens: list[bytes], *, now: datetime | None = None
) -> list[Receipt]:
    """``receive`` for several messages from one peer, in order, set-based in one transaction.

    The receipts, ordering, de-duplication, handler runs and audit entries are those of ``receive``
    message by message (``_BatchReceiver``), with a few queries per batch instead of ~8 per message.
    Each handler still runs in its own savepoint, so a failing one never takes the others down. If
    anything escapes (a database error, e.g. a concurrent writer), the transaction rolls back entirely
    and the batch runs again one message per transaction, so the receipts are exactly those of the
    single endpoint.
    """
    now = now or timezone.now()
    try:
        # One keyring for the batch's sealed tokens and 個人番号, checked on disk once (not per value).
        with transaction.atomic(), one_keyring():
            return _BatchReceiver(node, peer, now).run(tokens)
    except Exception as error:  # the type only: a database error's text may quote personal data (C-54)
        logger.warning(
            "batch of %d from %s: falling back to one transaction per message (%s)",
            len(tokens),
            peer,
            type(error).__name__,
        )
        return [receive(node, peer, token, now=now) for token in tokens]


@dataclass
class _Stream:
    """One subject's stream during a batch: its locked row and the rows of this batch not yet applied."""

    row: InboxStream
    held: dict[int, InboxMessage]
    changed: bool = False


@dataclass
class _Deferred:
    """A message whose turn has come, counted as applied, waiting for its type's ``apply_many`` call."""

    row: InboxMessage
    stream: _Stream
    envelope: Envelope
    event: dict[str, Any]  # its NODE_MESSAGE_APPLY entry in the batch's audit buffer


class _BatchReceiver:
    """The set-based ``receive`` of one batch (see ``receive_batch``), inside its transaction.

    Streams whose database rows already hold unapplied messages (a gap from an earlier batch, a
    set-aside or retired message) go through ``_store_and_apply`` as alone: they are rare, and only
    that path reads held rows back. Every other message is checked against state read once per batch
    (stream rows locked with one query, known ids with one query), stored with one multi-row insert and
    audited with one ``record_events``: entries are buffered and written at the end of the batch, in
    the same transaction (so still all or nothing with the change, C-42), one per message as before.
    """

    def __init__(self, node: LocalNode, peer: NodeRef | None, now: datetime) -> None:
        self.node, self.now = node, now
        self.configured = node.peer(peer) if peer is not None else None
        self.peer = peer
        self.audit: list[dict[str, Any]] = []
        self.new_rows: list[InboxMessage] = []
        self.envelopes: dict[str, Envelope] = {}
        self.seen: dict[str, str] = {}  # message id → token digest, stored before or earlier in the batch
        self.streams: dict[str, _Stream] = {}
        self.slow: set[str] = set()  # subjects handled by _store_and_apply
        self.hold_window = conf.hold_window()
        self.deferred: list[_Deferred] = []  # in order, all of one type (see ``flush``)
        self.revised: set[str] = set()  # ids whose deferred apply failed: their receipts are recomputed

    def run(self, tokens: list[bytes]) -> list[Receipt]:
        if self.configured is None:
            return [receive(self.node, self.peer, token, now=self.now) for token in tokens]
        sender = self.configured.ref
        opened: list[tuple[int, Envelope, bytes, str]] = []
        receipts: list[Receipt | None] = [None] * len(tokens)
        for index, token in enumerate(tokens):
            digest = token_digest(token)
            envelope: Envelope | None = None
            try:
                # Signatures first: nothing unverified reaches a query.
                envelope = open_envelope(token, self.configured.keys)
                _check(self.node, sender, envelope, self.now)
            except EnvelopeRefused as error:
                receipts[index] = self.refused(digest, error, envelope.id if envelope else "")
                continue
            opened.append((index, envelope, token, digest))
        ordered = [envelope for _, envelope, _, _ in opened if not envelope.is_control]
        self.load(sender, ordered)
        for index, envelope, token, digest in opened:
            receipts[index] = self.receive_one(envelope, token, digest)
        self.flush()
        for index, envelope, _, _ in opened:
            if envelope.id in self.revised:
                receipts[index] = self.receipt(envelope)
        self.write()
        assert all(receipt is not None for receipt in receipts)  # every token was answered
        return [receipt for receipt in receipts if receipt is not None]

    def load(self, sender: NodeRef, envelopes: list[Envelope]) -> None:
        """Lock the streams of the batch's subjects, and read the known ids and unapplied rows."""
        if not envelopes:
            return
        local, subjects = self.node.ref, sorted({envelope.subject for envelope in envelopes})
        table = InboxStream._meta.db_table
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (receiver_kind, receiver_code, sender_kind, sender_code, "  # noqa: S608
                f"subject_key, last_applied_seq, resend_requests) VALUES (%s, %s, %s, %s, %s, 0, 0) "
                f"ON CONFLICT (receiver_kind, receiver_code, sender_kind, sender_code, subject_key) "
                f"DO NOTHING",
                [[local.kind, local.code, sender.kind, sender.code, subject] for subject in subjects],
            )
        stream_key = {
            "receiver_kind": local.kind,
            "receiver_code": local.code,
            "sender_kind": sender.kind,
            "sender_code": sender.code,
        }
        locked = InboxStream.objects.select_for_update().filter(**stream_key, subject_key__in=subjects)
        for stream in locked.order_by("id"):  # one lock order for every batch
            self.streams[stream.subject_key] = _Stream(stream, {})
        # The unapplied statuses named, not "not applied": the queue index then seeks them, instead of
        # reading every row this sender ever sent (a scan that grew with the inbox, batch after batch).
        unapplied = InboxMessage.objects.filter(
            **stream_key, subject_key__in=subjects, status__in=UNAPPLIED_STATUSES
        ).values_list("subject_key", "seq")
        for subject, seq in unapplied:
            if seq > self.streams[subject].row.last_applied_seq:
                self.slow.add(subject)
        known = InboxMessage.objects.filter(message_id__in=[envelope.id for envelope in envelopes])
        self.seen = {
            str(message_id): digest for message_id, digest in known.values_list("message_id", "token_digest")
        }

    def refused(self, digest: str, error: EnvelopeRefused, message_id: str = "") -> Receipt:
        """``refuse``, with the entry buffered."""
        self.audit.append(
            _refusal_event(self.configured.ref if self.configured else None, digest, error, message_id)
        )
        logger.warning("message refused from %s: %s", self.peer, error.reason)
        return Receipt(status="refused", message_id=message_id, reason=error.reason, detail=error.detail)

    def receive_one(self, envelope: Envelope, token: bytes, digest: str) -> Receipt:
        try:
            if envelope.is_control or envelope.subject in self.slow:
                self.flush()  # the messages before this one are applied first, as one by one
                with transaction.atomic():  # as alone: a refusal rolls back this message's writes
                    if envelope.is_control:
                        assert self.configured is not None
                        return _receive_control(self.configured.ref, envelope, token, digest, self.now)
                    return _store_and_apply(envelope, token, digest, self.now)
            return self.store_and_apply(envelope, token, digest)
        except EnvelopeRefused as error:
            return self.refused(digest, error, envelope.id)

    def store_and_apply(self, envelope: Envelope, token: bytes, digest: str) -> Receipt:
        """``_store_and_apply`` on the batch's state: same checks, same order, same receipts."""
        duplicate = _duplicate_of(envelope, digest, self.seen.get(envelope.id))
        if duplicate is not None:
            return duplicate
        stream = self.streams[envelope.subject]
        _check_turn(envelope.seq, stream.row.last_applied_seq, envelope.seq in stream.held, self.hold_window)
        row = _inbox_row(envelope, token, digest, self.now, InboxMessage.Status.HELD, save=False)
        self.new_rows.append(row)
        self.seen[envelope.id] = digest
        self.envelopes[envelope.id] = envelope
        stream.held[envelope.seq] = row
        self.audit.append(
            _message_event(
                AuditAction.NODE_MESSAGE_RECEIVE, envelope.id, envelope.type, envelope.sender, envelope.seq
            )
        )
        self.drain(stream)
        return self.receipt(envelope)

    def receipt(self, envelope: Envelope) -> Receipt:
        """``applied``, or ``stored`` with the 更新順番号 still missing below it, from the batch's state."""
        stream = self.streams[envelope.subject]
        row = stream.held.get(envelope.seq)
        if row is None or row.status == InboxMessage.Status.APPLIED:
            return Receipt(status="applied", message_id=envelope.id)
        held = [seq for seq, pending in stream.held.items() if pending.status != InboxMessage.Status.APPLIED]
        gaps = (seq for seq in range(stream.row.last_applied_seq + 1, max(held)) if seq not in stream.held)
        missing = tuple(seq for _, seq in zip(range(100), gaps, strict=False))
        return Receipt(status="stored", message_id=envelope.id, missing=missing)

    def drain(self, stream: _Stream, *, one_by_one: bool = False) -> None:
        """``_drain`` on the batch's rows: apply while the next 更新順番号 is held (and not set aside).

        A type with ``apply_many`` is not applied here but deferred (counted as applied, in order) and
        applied with the other deferred messages by ``flush``; ``one_by_one`` is the fallback after a
        failed ``apply_many``, and the only path for types without it.
        """
        while True:
            row = stream.held.get(stream.row.last_applied_seq + 1)
            if row is None or row.status != InboxMessage.Status.HELD:
                return
            envelope = self.envelopes[str(row.message_id)]
            registered = handlers.lookup(row.type)
            if registered is not None and registered.apply_many is not None and not one_by_one:
                if self.deferred and self.deferred[0].row.type != row.type:
                    self.flush()
                self.deferred.append(_Deferred(row, stream, envelope, self.applied(stream, row, envelope)))
                continue
            self.flush()  # earlier deferred messages go first: the order of application is kept
            try:
                if registered is None:
                    raise handlers.HandlerRefused("the message type is no longer registered")
                if registered.apply is not None:
                    # A savepoint: a failing handler leaves no partial change, and the message stays held.
                    with transaction.atomic():
                        registered.apply(envelope)
            except Exception as error:
                _handler_failed(row, error, save=False, audit=self.audit)
                return
            self.applied(stream, row, envelope)

    def applied(self, stream: _Stream, row: InboxMessage, envelope: Envelope) -> dict[str, Any]:
        """Count ``row`` as applied: status, stream position and its buffered audit entry (returned)."""
        row.status, row.applied_at = InboxMessage.Status.APPLIED, self.now
        del stream.held[row.seq]
        stream.row.last_applied_seq, stream.changed = row.seq, True
        event = _message_event(
            AuditAction.NODE_MESSAGE_APPLY, envelope.id, envelope.type, envelope.sender, row.seq
        )
        self.audit.append(event)
        return event

    def flush(self) -> None:
        """Apply the deferred messages with one ``apply_many`` call in a savepoint.

        If it raises, nothing of it stays: the messages are held again (stream positions and audit
        entries taken back) and applied one by one, each in its own savepoint, exactly as without
        ``apply_many`` (a failing one is counted, set aside if permanent, and holds back its subject).
        """
        if not self.deferred:
            return
        deferred, self.deferred = self.deferred, []
        registered = handlers.lookup(deferred[0].row.type)
        try:
            if registered is None or registered.apply_many is None:
                raise handlers.HandlerRefused("the message type is no longer registered")
            with transaction.atomic():
                registered.apply_many([item.envelope for item in deferred])
            return
        except Exception as error:  # the type only: a database error's text may quote personal data
            logger.warning(
                "batch apply of %d messages failed (%s): applying them one by one",
                len(deferred),
                type(error).__name__,
            )
        taken_back = {id(item.event) for item in deferred}
        self.audit = [event for event in self.audit if id(event) not in taken_back]
        for item in reversed(deferred):  # so each stream ends at the position before its first one
            item.row.status, item.row.applied_at = InboxMessage.Status.HELD, None
            item.stream.held[item.row.seq] = item.row
            item.stream.row.last_applied_seq = item.row.seq - 1
            self.revised.add(item.envelope.id)
        streams = {id(item.stream): item.stream for item in deferred}  # in the order they first appear
        for stream in streams.values():
            self.drain(stream, one_by_one=True)

    def write(self) -> None:
        """The batch's rows, stream positions and audit entries: a few statements for the whole batch."""
        # The fields prepare their values (the token is sealed here) as bulk_create would.
        insert_objects(self.new_rows)
        changed = [(s.row.last_applied_seq, s.row.pk) for s in self.streams.values() if s.changed]
        if changed:
            table = InboxStream._meta.db_table
            with connection.cursor() as cursor:
                cursor.executemany(f"UPDATE {table} SET last_applied_seq = %s WHERE id = %s", changed)  # noqa: S608
        record_events(self.audit)


def _message_event(
    action: AuditAction, message_id: str, message_type: str, sender: NodeRef, seq: int
) -> dict[str, Any]:
    return node_event(action, subject_id=message_id, reason=f"{message_type} from {sender} seq {seq}")


def _refusal_event(
    peer: NodeRef | None, digest: str, error: EnvelopeRefused, message_id: str
) -> dict[str, Any]:
    return node_event(
        AuditAction.NODE_MESSAGE_REFUSE,
        subject_id=message_id or f"sha256:{digest[:48]}",
        reason=f"from {peer or 'unidentified'}: {error.detail}",
        outcome=Outcome.REFUSED,
        outcome_reason=error.reason,
    )


def _inbox_row(
    envelope: Envelope, token: bytes, digest: str, now: datetime, status: str, *, save: bool = True
) -> InboxMessage:
    row = InboxMessage(
        message_id=envelope.id,
        sender_kind=envelope.sender.kind,
        sender_code=envelope.sender.code,
        receiver_kind=envelope.receiver.kind,
        receiver_code=envelope.receiver.code,
        type=envelope.type,
        subject_key=envelope.subject,
        seq=envelope.seq,
        created_at=envelope.created,
        received_at=now,
        token=token.decode("ascii"),
        token_digest=digest,
        status=status,
        applied_at=now if status == InboxMessage.Status.APPLIED else None,
    )
    if save:
        row.save(force_insert=True)
    return row


def _duplicate_of(envelope: Envelope, digest: str, known: str | None) -> Receipt | None:
    """``duplicate`` when the id was received with the same bytes (``known`` digest); refused if different."""
    if known is None:
        return None
    if known != digest:
        raise EnvelopeRefused(Reason.REPLAY, "同じIDで内容の異なるメッセージです。")
    return Receipt(status="duplicate", message_id=envelope.id)


def _duplicate(envelope: Envelope, digest: str) -> Receipt | None:
    known = InboxMessage.objects.filter(message_id=envelope.id).values_list("token_digest", flat=True).first()
    return _duplicate_of(envelope, digest, known)


def _check_turn(seq: int, last_applied: int, seq_taken: bool, hold_window: int) -> None:
    """Refuse a 更新順番号 already applied or taken, or too far ahead to hold (single and batch paths)."""
    if seq <= last_applied:
        raise EnvelopeRefused(Reason.REPLAY, "適用済みの更新順番号です。")
    if seq_taken:
        raise EnvelopeRefused(Reason.REPLAY, "同じ更新順番号の別メッセージを受信済みです。")
    if seq > last_applied + hold_window:
        raise EnvelopeRefused(Reason.ORDERING, "更新順番号が先に進みすぎています。後で再送してください。")


def _lock_stream(receiver: NodeRef, sender: NodeRef, subject: str) -> InboxStream:
    table = InboxStream._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (receiver_kind, receiver_code, sender_kind, sender_code, subject_key, "  # noqa: S608
            f"last_applied_seq, resend_requests) VALUES (%s, %s, %s, %s, %s, 0, 0) "
            f"ON CONFLICT (receiver_kind, receiver_code, sender_kind, sender_code, subject_key) DO NOTHING",
            [receiver.kind, receiver.code, sender.kind, sender.code, subject],
        )
    return InboxStream.objects.select_for_update().get(
        receiver_kind=receiver.kind,
        receiver_code=receiver.code,
        sender_kind=sender.kind,
        sender_code=sender.code,
        subject_key=subject,
    )


def _stream_rows(stream: InboxStream) -> Any:
    """The inbox rows of one stream (a QuerySet)."""
    return InboxMessage.objects.filter(
        receiver_kind=stream.receiver_kind,
        receiver_code=stream.receiver_code,
        sender_kind=stream.sender_kind,
        sender_code=stream.sender_code,
        subject_key=stream.subject_key,
    )


def _store_and_apply(envelope: Envelope, token: bytes, digest: str, now: datetime) -> Receipt:
    duplicate = _duplicate(envelope, digest)
    if duplicate is not None:
        return duplicate
    stream = _lock_stream(envelope.receiver, envelope.sender, envelope.subject)
    taken = envelope.seq > stream.last_applied_seq and _stream_rows(stream).filter(seq=envelope.seq).exists()
    _check_turn(envelope.seq, stream.last_applied_seq, taken, conf.hold_window())
    row = _inbox_row(envelope, token, digest, now, InboxMessage.Status.HELD)
    audit_event(
        AuditAction.NODE_MESSAGE_RECEIVE,
        subject_id=envelope.id,
        reason=f"{envelope.type} from {envelope.sender} seq {envelope.seq}",
    )
    _drain(stream, now, arrived=row)
    if row.status == InboxMessage.Status.APPLIED:
        return Receipt(status="applied", message_id=envelope.id)
    return Receipt(status="stored", message_id=envelope.id, missing=tuple(missing_seqs(stream)))


def missing_seqs(stream: InboxStream, limit: int = 100) -> list[int]:
    """The 更新順番号 below the highest held one that this node has not received."""
    held = set(_stream_rows(stream).exclude(status=InboxMessage.Status.APPLIED).values_list("seq", flat=True))
    if not held:
        return []
    gaps = (seq for seq in range(stream.last_applied_seq + 1, max(held)) if seq not in held)
    return [seq for _, seq in zip(range(limit), gaps, strict=False)]


def _drain(stream: InboxStream, now: datetime, arrived: InboxMessage | None = None) -> int:
    """Apply held messages while the next 更新順番号 is at hand; the stream row is locked by the caller.

    ``arrived`` is the row just stored: when it is next in line it is used as it is (one query less per
    message, the usual case), and its status is up to date afterwards.
    """
    applied = 0
    while True:
        if arrived is not None and arrived.seq == stream.last_applied_seq + 1:
            row: InboxMessage | None = arrived
        else:
            row = (
                _stream_rows(stream)
                .filter(
                    seq=stream.last_applied_seq + 1,
                    status__in=(InboxMessage.Status.HELD, InboxMessage.Status.RETIRED),
                )
                .first()
            )
        if row is None:
            return applied
        if row.status == InboxMessage.Status.RETIRED:
            # An operator retired it (audited then): its turn passes without applying it.
            stream.last_applied_seq = row.seq
            stream.save(update_fields=["last_applied_seq"])
            continue
        registered = handlers.lookup(row.type)
        try:
            # Unsealing inside the try: a token whose data key is gone counts as a failed handler run
            # (set aside after its attempts) instead of failing every receive and retry round.
            envelope = decode_verified(signed_token(row))
            # A savepoint: a failing handler leaves no partial change, and the message stays held.
            with transaction.atomic():
                if registered is None:
                    raise handlers.HandlerRefused("the message type is no longer registered")
                if registered.apply is not None:
                    registered.apply(envelope)
                row.status, row.applied_at = InboxMessage.Status.APPLIED, now
                row.save(update_fields=["status", "applied_at"])
                stream.last_applied_seq = row.seq
                stream.save(update_fields=["last_applied_seq"])
                audit_event(
                    AuditAction.NODE_MESSAGE_APPLY,
                    subject_id=envelope.id,
                    reason=f"{envelope.type} from {envelope.sender} seq {envelope.seq}",
                )
            applied += 1
        except Exception as error:
            # The savepoint rolled back: the objects in memory must say what the database says.
            row.status, row.applied_at = InboxMessage.Status.HELD, None
            stream.last_applied_seq = row.seq - 1
            _handler_failed(row, error)
            return applied


def _handler_failed(
    row: InboxMessage, error: Exception, *, save: bool = True, audit: list[dict[str, Any]] | None = None
) -> None:
    """Count a failed handler run: set the message aside if permanent or out of attempts.

    ``save=False`` (a batch): the row is not stored yet and the entry goes to ``audit``, the batch's
    buffer, instead of being written at once.
    """
    permanent = isinstance(error, DomainError | handlers.HandlerRefused)
    row.attempts += 1
    row.last_error = f"{type(error).__name__}"[:200]
    if permanent or row.attempts >= conf.max_attempts():
        row.status = InboxMessage.Status.POISON
        if save:
            row.save(update_fields=["attempts", "last_error", "status"])
        event = node_event(
            AuditAction.NODE_MESSAGE_QUARANTINE,
            subject_id=str(row.message_id),
            reason=f"{row.type} from {row.sender_kind}:{row.sender_code} seq {row.seq}: handler failed",
            outcome=Outcome.REFUSED,
            outcome_reason="handler_refused" if permanent else "handler_failed",
        )
        if audit is None:
            record_event(**event)
        else:
            audit.append(event)
        # The alert: operators watch ERROR lines and the 連携監視 screen (docs/operations.md).
        logger.error(
            "ALERT inbox message %s set aside after its handler failed (%s)", row.message_id, row.last_error
        )
    else:
        if save:
            row.save(update_fields=["attempts", "last_error"])
        logger.warning("inbox message %s: handler failed (%s), will retry", row.message_id, row.last_error)


def retry_held(*, now: datetime | None = None, node: LocalNode | None = None) -> int:
    """Apply held messages whose turn has come (after a handler failed for a passing reason)."""
    now = now or timezone.now()
    local = (node or conf.local_node()).ref
    applied = 0
    # From the held rows (few) to their streams, never a pass over every stream: a node has one stream
    # per person it was told about, and this runs every delivery round.
    held: dict[tuple[str, str, str], set[int]] = {}
    rows = InboxMessage.objects.filter(
        receiver_kind=local.kind, receiver_code=local.code, status=InboxMessage.Status.HELD
    ).values_list("sender_kind", "sender_code", "subject_key", "seq")
    for sender_kind, sender_code, subject, seq in rows:
        held.setdefault((sender_kind, sender_code, subject), set()).add(seq)
    for (sender_kind, sender_code, subject), seqs in sorted(held.items()):
        last_applied = (
            InboxStream.objects.filter(
                receiver_kind=local.kind,
                receiver_code=local.code,
                sender_kind=sender_kind,
                sender_code=sender_code,
                subject_key=subject,
            )
            .values_list("last_applied_seq", flat=True)
            .first()
        )
        if last_applied is not None and last_applied + 1 in seqs:
            with transaction.atomic():
                sender = NodeRef(sender_kind, sender_code)
                applied += _drain(_lock_stream(local, sender, subject), now)
    return applied


def _receive_control(peer: NodeRef, envelope: Envelope, token: bytes, digest: str, now: datetime) -> Receipt:
    duplicate = _duplicate(envelope, digest)
    if duplicate is not None:
        return duplicate
    _inbox_row(envelope, token, digest, now, InboxMessage.Status.APPLIED)
    if envelope.type != RESEND_REQUEST:
        raise EnvelopeRefused(Reason.SCHEMA, "未対応の制御メッセージです。")
    subject, wanted = envelope.payload["subject"], sorted(set(envelope.payload["seqs"]))
    local = envelope.receiver  # checked to be this node before
    rows = OutboxMessage.objects.filter(
        sender_kind=local.kind,
        sender_code=local.code,
        receiver_kind=peer.kind,
        receiver_code=peer.code,
        subject_key=subject,
        seq__in=wanted,
    ).filter(status__in=(OutboxMessage.Status.PENDING, OutboxMessage.Status.DELIVERED))
    available = sorted(rows.values_list("seq", flat=True))
    rows.update(status=OutboxMessage.Status.PENDING, next_attempt_at=now)
    # The peer just reached us, so it is up: deliver at once instead of waiting out a backoff.
    PeerLink.objects.filter(kind=peer.kind, code=peer.code).update(next_attempt_at=now)
    transaction.on_commit(wakeup.notify)
    unavailable = tuple(seq for seq in wanted if seq not in available)
    audit_event(
        AuditAction.NODE_MESSAGE_RESEND,
        subject_id=envelope.id,
        reason=f"requested by {peer}: {len(available)} queued again, {len(unavailable)} unavailable",
    )
    if unavailable:
        logger.error(
            "ALERT %s asked again for %d messages that are set aside or unknown", peer, len(unavailable)
        )
    return Receipt(status="accepted", message_id=envelope.id, missing=unavailable)


def control_envelope(node: LocalNode, peer: NodeRef, message_type: str, payload: dict[str, Any]) -> str:
    """A signed control message (seq 0, subject ``control``) for direct sending, not through the outbox."""
    envelope = new_envelope(
        type=message_type, sender=node.ref, receiver=peer, subject=CONTROL_SUBJECT, seq=0, payload=payload
    )
    return sign_envelope(envelope, node.signing_key)


def record_resend_request(stream: InboxStream, seqs: list[int], now: datetime, *, sent: bool) -> None:
    """Note (and audit) that missing 更新順番号 were asked for again, for the backoff of the next request."""
    with transaction.atomic():
        stream.resend_requested_at = now
        stream.resend_requests += 1
        stream.save(update_fields=["resend_requested_at", "resend_requests"])
        audit_event(
            AuditAction.NODE_MESSAGE_RESEND,
            subject_id=f"{stream.sender_kind}:{stream.sender_code}",
            reason=f"asked for {len(seqs)} missing messages ({'sent' if sent else 'peer unreachable'})",
            outcome=Outcome.DONE if sent else Outcome.REFUSED,
            outcome_reason="" if sent else "unreachable",
        )


def refuse_connection(address: str, reason: str) -> None:
    """Audit a TLS handshake refused on the node port (no certificate, or not from the federation CA)."""
    with transaction.atomic():
        record_event(
            actor=None,
            action=AuditAction.NODE_CONNECTION_REFUSE,
            subject_type="node_connection",
            subject_id=address[:64],
            outcome=Outcome.REFUSED,
            outcome_reason=reason[:400],
        )


# --- operator actions on set-aside (poison) messages: 連携監視 (docs/operations.md) --------------------

OPERATE_PURPOSE = "network_operate"
RESOLUTIONS = {"requeue": AuditAction.NODE_MESSAGE_REQUEUE, "retire": AuditAction.NODE_MESSAGE_RETIRE}
DIRECTIONS = ("outbox", "inbox")
MAX_NOTE = 200


def _resolution_input(direction: str, message_id: str, action: str, note: str) -> tuple[str, str]:
    """Check the operator's input; returns the canonical message id and the trimmed note."""
    if action not in RESOLUTIONS:
        raise refusal(
            "action", "操作の種類が不正です。", "再送（requeue）か取下げ（retire）を選んでください。",
            "messaging.resolution_action",
        )  # fmt: skip
    if direction not in DIRECTIONS:
        raise refusal("direction", "方向が不正です。", "送信（outbox）か受信（inbox）を選んでください。",
                      "messaging.resolution_direction")  # fmt: skip
    try:
        canonical = str(uuid.UUID(message_id))
    except (ValueError, TypeError, AttributeError):
        raise refusal("message_id", "メッセージIDの形式が不正です。", "連携監視の一覧から選んでください。",
                      "messaging.resolution_id") from None  # fmt: skip
    note = (note or "").strip()
    if not note or len(note) > MAX_NOTE:
        raise refusal(
            "note", "対応の理由が未入力か長すぎます。", f"理由を{MAX_NOTE}文字以内で入力してください。",
            "messaging.resolution_note",
        )  # fmt: skip
    return canonical, note


def _not_set_aside() -> DomainError:
    return refusal(
        "message_id",
        "隔離中のメッセージが見つかりません（対応済みか、IDが違います）。",
        "連携監視の画面を更新して選び直してください。",
        "messaging.not_set_aside",
    )


def _resolve_outbox(message_id: str, action: str, now: datetime) -> OutboxMessage:
    row = (
        OutboxMessage.objects.select_for_update()
        .filter(message_id=message_id, status=OutboxMessage.Status.POISON)
        .first()
    )
    if row is None:
        raise _not_set_aside()
    if action == "requeue":
        # The same signed bytes leave again, from attempt 0; the receiver still de-duplicates by id.
        row.status, row.attempts, row.next_attempt_at = OutboxMessage.Status.PENDING, 0, now
    else:
        row.status = OutboxMessage.Status.RETIRED
    row.save(update_fields=["status", "attempts", "next_attempt_at"])
    return row


def _resolve_inbox(message_id: str, action: str, now: datetime) -> InboxMessage:
    row = (
        InboxMessage.objects.select_for_update()
        .filter(message_id=message_id, status=InboxMessage.Status.POISON)
        .first()
    )
    if row is None:
        raise _not_set_aside()
    row.status = InboxMessage.Status.HELD if action == "requeue" else InboxMessage.Status.RETIRED
    row.attempts = 0
    row.save(update_fields=["status", "attempts"])
    return row


def resolve_set_aside(
    *, actor: Any, direction: str, message_id: str, action: str, note: str, purpose: str = OPERATE_PURPOSE
) -> str:
    """Re-queue or retire one set-aside message (permission ``network:operate``); returns its new status.

    * outbox, requeue: sent again with its original signature, attempts counted from 0;
    * outbox, retire: never sent; the receiver's gap stays until it is resolved there (docs/operations.md);
    * inbox, requeue: held again and applied in order now if its turn has come (the handler runs again);
    * inbox, retire: skipped in order without being applied, so later messages of its subject proceed.

    One transaction, audited with the operator's note; held messages that can now be applied are applied
    (and audited) in the same transaction.
    """
    audit_action = RESOLUTIONS.get(action, AuditAction.NODE_MESSAGE_REQUEUE)
    authorize(
        actor=actor,
        permission=Permission.NETWORK_OPERATE,
        action=audit_action,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
        subject_id=str(message_id)[:64],
    )
    message_id, note = _resolution_input(direction, message_id, action, note)
    now = timezone.now()
    with transaction.atomic():
        row: OutboxMessage | InboxMessage
        if direction == "outbox":
            row = outgoing = _resolve_outbox(message_id, action, now)
            peer = f"{outgoing.receiver_kind}:{outgoing.receiver_code}"
        else:
            row = incoming = _resolve_inbox(message_id, action, now)
            peer = f"{incoming.sender_kind}:{incoming.sender_code}"
        record_event(
            actor=actor,
            action=audit_action,
            subject_type=SUBJECT_TYPE,
            subject_id=message_id,
            purpose=purpose,
            reason=f"{direction} {row.type} {peer} seq {row.seq}: {note}"[:400],
        )
        if isinstance(row, InboxMessage):
            receiver = NodeRef(row.receiver_kind, row.receiver_code)
            _drain(_lock_stream(receiver, NodeRef(row.sender_kind, row.sender_code), row.subject_key), now)
            row.refresh_from_db(fields=["status"])
    logger.info("set-aside %s message %s: %s by an operator", direction, message_id, action)
    return str(row.status)
