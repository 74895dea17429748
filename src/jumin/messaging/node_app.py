"""The WSGI application of the node port: the only thing a peer can reach (ADR 0002).

It is deliberately not part of the clerk site's URLconf: no sessions, cookies, CSRF or terminal
checks apply, and the clerk port never exposes the inbox. The peer is identified by the client
certificate the TLS server verified (``jumin.peer_certificate`` in the environ).

* ``POST /node/inbox`` — body: one compact JWS (``application/jose``); answer: a JSON receipt.
* ``POST /node/inbox/batch`` — body: ``{"tokens": [<JWS>, ...]}`` (JSON, at most ``batch_size`` tokens
  and 4 MiB); answer: ``{"receipts": [...]}``, one receipt per token in order, as for ``/node/inbox``.
* ``POST /node/query`` — body: one signed query (up to 4 MiB); answer: one signed answer envelope
  (``application/jose``), or a JSON refusal if the query itself is not trusted (docs/network.md "Queries").
* ``GET /node/health`` — ``{"node": "<kind>:<code>", "status": "ok"}`` for monitoring.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import close_old_connections

from jumin.messaging import conf, queries, services
from jumin.messaging.delivery import BATCH_PATH
from jumin.messaging.envelope import MAX_BATCH_BYTES, MAX_TOKEN_BYTES, EnvelopeRefused, Reason, token_digest
from jumin.messaging.identity import LocalNode
from jumin.messaging.tls import server_identity

StartResponse = Callable[..., Any]
REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
           421: "Misdirected Request", 500: "Internal Server Error"}  # fmt: skip


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    start_response(
        f"{status} {REASONS.get(status, 'Error')}",
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _read_body(environ: dict[str, Any], limit: int = MAX_TOKEN_BYTES) -> bytes | None:
    """The request body, or None if it is missing, over the size limit or shorter than announced."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "0")
    except ValueError:
        return None
    if length <= 0 or length > limit:
        return None
    body = environ["wsgi.input"].read(length)
    return body if len(body) == length else None


def make_app(
    node: LocalNode | Callable[[], LocalNode], *, manage_connections: bool = True
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The node-port WSGI app for ``node`` (or a callable returning it, so peers.json edits apply).

    ``manage_connections`` closes stale database connections around each request, as Django's own
    handler does; tests that share their connection with the server thread turn it off.
    """

    def current() -> LocalNode:
        return node() if callable(node) else node

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if manage_connections:
            close_old_connections()
        try:
            local = current()
            method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
            if path == "/node/health" and method == "GET":
                return _json(start_response, 200, {"node": str(local.ref), "status": "ok"})
            if path not in ("/node/inbox", BATCH_PATH, queries.QUERY_PATH):
                return _json(start_response, 404, {"status": "refused", "reason": "not_found"})
            if method != "POST":
                return _json(start_response, 405, {"status": "refused", "reason": "method"})
            peer = server_identity(environ)
            if path == queries.QUERY_PATH:
                with conf.acting_as(local):
                    return _query(local, peer, environ, start_response)
            if path == BATCH_PATH:
                with conf.acting_as(local):
                    return _batch(local, peer, environ, start_response)
            body = _read_body(environ)
            if body is None:
                # Truncated or oversized: nothing to verify; audited like any other refusal.
                receipt = services.refuse(
                    peer, token_digest(b""), EnvelopeRefused(Reason.SCHEMA, "本文がないか、長さが不正です。")
                )
                return _json(start_response, receipt.http_status, receipt.as_dict())
            with conf.acting_as(local):  # handlers see the node that serves this port
                receipt = services.receive(local, peer, body)
            return _json(start_response, receipt.http_status, receipt.as_dict())
        finally:
            if manage_connections:
                close_old_connections()

    return app


def _query(
    local: LocalNode, peer: Any, environ: dict[str, Any], start_response: StartResponse
) -> list[bytes]:
    body = _read_body(environ, queries.MAX_QUERY_BYTES)
    if body is None:
        body = b""  # refused by the envelope check (not a JWS), audited there
    reply = queries.answer_query(local, peer, body)
    start_response(
        f"{reply.status} {REASONS.get(reply.status, 'Error')}",
        [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body)))],
    )
    return [reply.body]


def _batch_tokens(body: bytes | None) -> list[bytes] | None:
    """The tokens of a batch body, or None if it is not ``{"tokens": [1..batch_size strings]}``."""
    if body is None:
        return None
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    tokens = document.get("tokens") if isinstance(document, dict) and set(document) == {"tokens"} else None
    if not isinstance(tokens, list) or not 0 < len(tokens) <= conf.batch_size():
        return None
    if not all(isinstance(token, str) and token.isascii() for token in tokens):
        return None
    return [token.encode("ascii") for token in tokens]


def _batch(
    local: LocalNode, peer: Any, environ: dict[str, Any], start_response: StartResponse
) -> list[bytes]:
    tokens = _batch_tokens(_read_body(environ, MAX_BATCH_BYTES))
    if tokens is None:
        receipt = services.refuse(
            peer, token_digest(b""), EnvelopeRefused(Reason.SCHEMA, "一括送信の本文が不正か、大きすぎます。")
        )
        return _json(start_response, receipt.http_status, receipt.as_dict())
    if peer is None or local.peer(peer) is None:
        # The link is refused as a whole (one answer), but every message of it is audited (C-47).
        receipts = [services.receive(local, peer, token) for token in tokens]
        return _json(start_response, receipts[0].http_status, receipts[0].as_dict())
    receipts = services.receive_batch(local, peer, tokens)
    return _json(start_response, 200, {"receipts": [receipt.as_dict() for receipt in receipts]})
