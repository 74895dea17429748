"""Synchronous signed queries between nodes (本人確認, 検索, 照会, 整合性確認): docs/network.md "Queries".

A query is one signed envelope POSTed to the peer's ``/node/query`` over mutual TLS; the answer is one
signed envelope in the HTTP response. Nothing is stored in the outbox or inbox (a query changes no
messaging state), but each end writes one audit entry (``node:query:send`` / ``node:query:answer``)
with the type, the peer and the outcome, never the payload.

* Query envelope: ``type`` = the query type, ``subject`` = ``query``, ``seq`` = 1 (queries are not
  ordered; the envelope rules reserve seq 0 for ``messaging.*`` control messages).
* Answer envelope: ``type`` = ``<query type>.answer``, ``subject`` = the query's id, ``seq`` = 1,
  ``receiver`` = the asker; payload ``{"ok": true, "answer": {...}}`` or
  ``{"ok": false, "error": {"field", "reason", "remedy", "code"}}``.

``_query_transport`` carries the signed query to the peer; the in-process test federation
(``jumin.messaging.testing``) swaps it for a direct call of ``answer_query`` under the peer's identity.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.messaging import conf, handlers
from jumin.messaging.envelope import (
    MAX_TOKEN_BYTES,
    Envelope,
    EnvelopeRefused,
    NodeRef,
    Reason,
    new_envelope,
    open_envelope,
    sign_envelope,
)
from jumin.messaging.identity import LocalNode, Peer
from jumin.messaging.tls import PeerUnreachable, RawResponse, client_context, parse_json, post_raw

logger = logging.getLogger("jumin.messaging")

QUERY_PATH = "/node/query"
# 整合性確認 sends chunks of a whole register, so queries and answers may exceed a message's 1 MiB.
MAX_QUERY_BYTES = 4 * MAX_TOKEN_BYTES
QUERY_SUBJECT = "query"
QUERY_SEQ = 1
ANSWER_SUFFIX = ".answer"
JOSE = "application/jose"
SUBJECT_TYPE = "node_query"
MAX_ERROR_TEXT = 400

QueryTransport = Callable[[LocalNode, Peer, bytes, float], RawResponse]


def _tls_transport(node: LocalNode, peer: Peer, token: bytes, timeout: float) -> RawResponse:
    """The real transport: POST over mutual TLS (one connection per query)."""
    return post_raw(
        peer, QUERY_PATH, token, client_context(node.files), timeout=timeout, max_response=MAX_QUERY_BYTES + 1
    )


_query_transport: QueryTransport = _tls_transport


def set_transport(transport: QueryTransport | None) -> QueryTransport:
    """Replace the transport (None restores TLS); returns the previous one so it can be restored."""
    global _query_transport
    previous = _query_transport
    _query_transport = transport or _tls_transport
    return previous


def _audit(
    action: AuditAction,
    *,
    subject_id: str,
    reason: str,
    code: str = "",
    actor: Any = None,
    concerning: Sequence[str] = (),
) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=action,
            subject_type=SUBJECT_TYPE,
            subject_id=subject_id,
            reason=reason[:400],
            outcome=Outcome.REFUSED if code else Outcome.DONE,
            outcome_reason=code[:400],
            concerning=concerning,
        )


def _concerning(envelope: Envelope) -> list[str]:
    """The persons the question is about, if its type says (outside the answerer's savepoint)."""
    registered = handlers.lookup_query(envelope.type)
    if registered is None or registered.concerning is None:
        return []
    return registered.concerning(envelope)


def _unreachable() -> DomainError:
    return refusal(
        "receiver",
        "照会先のノードに接続できないか、応答がありませんでした。",
        "時間をおいて再度照会してください。続く場合は連携監視で照会先の状態を確認してください。",
        "messaging.query_unreachable",
    )


def _invalid_answer() -> DomainError:
    return refusal(
        "answer",
        "照会先の応答を検証できませんでした（署名、宛先、照会との対応または形式が不正です）。",
        "照会先の鍵と登録内容（peers.json）を確認し、連携運用担当者に連絡してください。",
        "messaging.query_invalid_answer",
    )


def _refused_by_peer() -> DomainError:
    return refusal(
        "query",
        "照会先のノードが照会を受け付けませんでした。",
        "鍵と連携先の登録（peers.json）、照会の種類を確認してください。",
        "messaging.query_refused",
    )


def query(
    *,
    query_type: str,
    receiver: NodeRef,
    payload: dict[str, Any],
    actor: Any | None = None,
    node: LocalNode | None = None,
    timeout: float = 15.0,
) -> dict[str, Any]:
    """Ask ``receiver`` a signed question and return its verified answer payload.

    Raises DomainError: the question's own validator; the peer's refusal (its field, reason, remedy and
    code); ``messaging.query_unreachable`` (no connection, timeout, the peer failed);
    ``messaging.query_invalid_answer`` (bad signature, wrong query, bad schema);
    ``messaging.query_refused`` (the peer refused the query envelope itself). Audited as
    ``node:query:send`` in the caller's transaction, if any.
    """
    registered = handlers.lookup_query(query_type)
    if registered is None:
        raise refusal(
            "type", "未登録の照会種類です。", "messages.py で登録してください。", "messaging.unknown_type"
        )
    node = node or conf.local_node()
    peer = node.route_to(receiver)  # a shared CS (共同利用) answers for its members
    if peer is None:
        raise refusal(
            "receiver",
            "照会先ノードが連携先に登録されていません。",
            "peers.json に照会先を登録してください。",
            "messaging.unknown_receiver",
        )
    registered.validate(payload)
    receiver = peer.ref
    try:
        envelope = new_envelope(
            type=query_type,
            sender=node.ref,
            receiver=receiver,
            subject=QUERY_SUBJECT,
            seq=QUERY_SEQ,
            payload=payload,
        )
    except EnvelopeRefused as error:
        raise refusal(
            "envelope", error.detail, "照会の内容を確認してください。", "messaging.envelope"
        ) from None
    token = sign_envelope(envelope, node.signing_key).encode("ascii")
    if len(token) > MAX_QUERY_BYTES:
        raise refusal(
            "payload",
            "照会が大きすぎます。",
            "照会を分割してください（上限 4 MiB）。",
            "messaging.query_too_large",
        )
    subject_id, what = envelope.id, f"{query_type} to {receiver}"
    try:
        answer = _ask(node, peer, registered, envelope, token, timeout)
    except DomainError as error:
        _audit(AuditAction.NODE_QUERY_SEND, subject_id=subject_id, reason=what, code=error.code, actor=actor)
        raise
    _audit(AuditAction.NODE_QUERY_SEND, subject_id=subject_id, reason=f"{what}: answered", actor=actor)
    return answer


def _ask(
    node: LocalNode,
    peer: Peer,
    registered: handlers.QueryType,
    envelope: Envelope,
    token: bytes,
    timeout: float,
) -> dict[str, Any]:
    try:
        response = _query_transport(node, peer, token, timeout)
    except PeerUnreachable as error:
        logger.warning("query %s to %s: peer unreachable (%s)", envelope.type, peer.ref, error.reason)
        raise _unreachable() from None
    if response.status >= 500:
        raise _unreachable()
    if response.status != 200 or not response.content_type.startswith(JOSE):
        refused = parse_json(response.body)
        logger.warning(
            "query %s refused by %s: %s", envelope.type, peer.ref, refused.get("reason", "unknown")
        )
        raise _refused_by_peer()
    try:
        answer = open_envelope(response.body, peer.keys, max_bytes=MAX_QUERY_BYTES)
        body = _check_answer(node, peer, envelope, answer)
    except EnvelopeRefused as error:
        logger.warning("query %s: answer from %s refused (%s)", envelope.type, peer.ref, error.reason)
        raise _invalid_answer() from None
    if not body["ok"]:
        raise DomainError(**body["error"])
    try:
        registered.validate_answer(body["answer"])
    except DomainError:
        logger.warning("query %s: answer from %s fails its schema", envelope.type, peer.ref)
        raise _invalid_answer() from None
    return dict(body["answer"])


def _check_answer(node: LocalNode, peer: Peer, asked: Envelope, answer: Envelope) -> dict[str, Any]:
    """The answer's payload, once it is shown to answer exactly this query, from this peer, to us."""
    skew = timedelta(seconds=conf.clock_skew_seconds())
    if answer.sender != peer.ref or answer.receiver != node.ref:
        raise EnvelopeRefused(Reason.MISDIRECTED, "応答の送信元または宛先が照会と一致しません。")
    if answer.type != asked.type + ANSWER_SUFFIX or answer.subject != asked.id:
        raise EnvelopeRefused(Reason.REPLAY, "応答が別の照会に対するものです。")
    if not asked.created - skew <= answer.created <= timezone.now() + skew:
        raise EnvelopeRefused(Reason.REPLAY, "応答の作成日時が照会と合いません。")
    body = answer.payload
    if body.get("ok") is True and set(body) == {"ok", "answer"} and isinstance(body["answer"], dict):
        return body
    error = body.get("error")
    fields = {"field", "reason", "remedy", "code"}
    if (
        body.get("ok") is False
        and set(body) == {"ok", "error"}
        and isinstance(error, dict)
        and set(error) == fields
        and all(isinstance(v, str) and len(v) <= MAX_ERROR_TEXT for v in error.values())
    ):
        return body
    raise EnvelopeRefused(Reason.SCHEMA, "応答の形式が不正です。")


# --- the answering side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryReply:
    """What ``/node/query`` sends back: an HTTP status, a content type and the body."""

    status: int
    content_type: str
    body: bytes

    def as_raw(self) -> RawResponse:
        return RawResponse(self.status, self.content_type, self.body)


HTTP_STATUS = {
    Reason.SCHEMA: 400,
    Reason.SIGNATURE: 401,
    Reason.UNKNOWN_PEER: 403,
    Reason.MISDIRECTED: 421,
    Reason.REPLAY: 409,
}


def _refuse_query(peer: NodeRef | None, error: EnvelopeRefused, subject_id: str = "") -> QueryReply:
    """An unsigned JSON refusal: the query itself could not be trusted (audited, value-free)."""
    _audit(
        AuditAction.NODE_QUERY_ANSWER,
        subject_id=subject_id or "unverified",
        reason=f"from {peer or 'unidentified'}: {error.detail}",
        code=error.reason,
    )
    logger.warning("query refused from %s: %s", peer or "unidentified", error.reason)
    body = {"status": "refused", "reason": error.reason, "detail": error.detail}
    return QueryReply(HTTP_STATUS.get(error.reason, 400), "application/json", _json_bytes(body))


def _json_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _verify_query(node: LocalNode, peer: Peer, token: bytes, now: datetime) -> Envelope:
    envelope = open_envelope(token, peer.keys, max_bytes=MAX_QUERY_BYTES)
    skew = timedelta(seconds=conf.clock_skew_seconds())
    if envelope.sender != peer.ref:
        raise EnvelopeRefused(Reason.UNKNOWN_PEER, "送信元が接続元のノードと一致しません。")
    if envelope.receiver != node.ref:
        raise EnvelopeRefused(Reason.MISDIRECTED, "このノード宛ての照会ではありません。")
    if envelope.is_control or envelope.subject != QUERY_SUBJECT or envelope.seq != QUERY_SEQ:
        raise EnvelopeRefused(Reason.SCHEMA, "照会の subject または seq が不正です。")
    # Queries are not stored, so freshness is the only guard against a replayed question.
    if not now - skew <= envelope.created <= now + skew:
        raise EnvelopeRefused(Reason.REPLAY, "照会の作成日時が許容範囲外です。")
    return envelope


def _not_handled() -> DomainError:
    return refusal(
        "type",
        "このノードはこの照会に回答しません。",
        "照会先（ノードの種別）と照会の種類を確認してください。",
        "messaging.query_not_handled",
    )


def _compute(envelope: Envelope) -> dict[str, Any]:
    """Run the registered answerer in a savepoint (a refusal leaves no change); raises DomainError."""
    registered = handlers.lookup_query(envelope.type)
    if registered is None:
        raise refusal(
            "type", "未登録の照会種類です。", "照会の種類を確認してください。", "messaging.unknown_type"
        )
    with transaction.atomic():
        registered.validate(envelope.payload)
        try:
            answer = registered.answer(envelope)
        except handlers.HandlerRefused:
            raise _not_handled() from None
        if not isinstance(answer, dict):
            raise TypeError("an answerer must return a dict")
        registered.validate_answer(answer)
    return answer


def answer_query(
    node: LocalNode, peer_ref: NodeRef | None, token: bytes, *, now: datetime | None = None
) -> QueryReply:
    """Check a query from ``peer_ref`` (the node its TLS certificate names), answer it, sign the answer.

    The answerer and the ``node:query:answer`` audit entry share one transaction. A DomainError of the
    answerer (or of the question's validator) becomes a signed error answer; an unexpected failure is
    a 500 without detail.
    """
    now = now or timezone.now()
    peer = node.peer(peer_ref) if peer_ref is not None else None
    if peer is None:
        return _refuse_query(
            peer_ref, EnvelopeRefused(Reason.UNKNOWN_PEER, "連携先として登録されていないノードです。")
        )
    try:
        envelope = _verify_query(node, peer, token, now)
    except EnvelopeRefused as error:
        return _refuse_query(peer.ref, error)
    what = f"{envelope.type} from {peer.ref}"
    try:
        with transaction.atomic():
            try:
                body: dict[str, Any] = {"ok": True, "answer": _compute(envelope)}
                code = ""
            except DomainError as error:
                body, code = {"ok": False, "error": error.as_dict()}, error.code
            signed = _sign_answer(node, envelope, body)
            if len(signed) > MAX_QUERY_BYTES:
                too_large = refusal(
                    "answer", "回答が大きすぎます。", "照会を分割してください（上限 4 MiB）。",
                    "messaging.query_answer_too_large",
                )  # fmt: skip
                code = too_large.code
                signed = _sign_answer(node, envelope, {"ok": False, "error": too_large.as_dict()})
            _audit(
                AuditAction.NODE_QUERY_ANSWER,
                subject_id=envelope.id,
                reason=what,
                code=code,
                concerning=_concerning(envelope),
            )
    except Exception as error:  # the type only: a traceback may quote the personal data answered (C-54)
        logger.error(
            "query %s from %s: the answerer failed (%s)", envelope.type, peer.ref, type(error).__name__
        )
        _audit(AuditAction.NODE_QUERY_ANSWER, subject_id=envelope.id, reason=what, code="answer_failed")
        return QueryReply(
            500, "application/json", _json_bytes({"status": "error", "reason": "answer_failed"})
        )
    return QueryReply(200, JOSE, signed)


def _sign_answer(node: LocalNode, asked: Envelope, body: dict[str, Any]) -> bytes:
    envelope = new_envelope(
        type=asked.type + ANSWER_SUFFIX,
        sender=node.ref,
        receiver=asked.sender,
        subject=asked.id,
        seq=QUERY_SEQ,
        payload=body,
    )
    return sign_envelope(envelope, node.signing_key).encode("ascii")
