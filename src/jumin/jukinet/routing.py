"""One registration per message or query type, dispatched by the local node's kind at call time.

Every node installs the three jukinet apps (their tables stay empty where unused), so a type such as
``jukinet.identity_update`` is handled by the prefecture app on a prefecture node and by the national
app on the national node. ``jumin.messaging.handlers`` keeps one handler per type; this module keeps
one per (type, node kind) and picks it from ``conf.local_node()`` when the message arrives, which
also lets the in-process test federation (``jumin.messaging.testing``) switch nodes.

A message of a known type arriving at a node kind that does not handle it is refused for good
(``HandlerRefused``): a misrouted 本人確認情報 must never be stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jumin.messaging import conf, handlers
from jumin.messaging.envelope import Envelope

Validator = Callable[[dict[str, Any]], None]
Apply = Callable[[Envelope], None]
Answer = Callable[[Envelope], dict[str, Any]]

_appliers: dict[tuple[str, str], Apply] = {}
_answerers: dict[tuple[str, str], Answer] = {}


def _local_kind() -> str:
    return conf.local_node().ref.kind


def _dispatch_message(envelope: Envelope) -> None:
    apply = _appliers.get((envelope.type, _local_kind()))
    if apply is None:
        raise handlers.HandlerRefused(f"{envelope.type} is not handled by a {_local_kind()} node")
    apply(envelope)


def _dispatch_query(envelope: Envelope) -> dict[str, Any]:
    answer = _answerers.get((envelope.type, _local_kind()))
    if answer is None:
        raise handlers.HandlerRefused(f"{envelope.type} is not answered by a {_local_kind()} node")
    return answer(envelope)


def message(name: str, *, validate: Validator, kind: str | None = None, apply: Apply | None = None) -> None:
    """Register an ordered message type; with ``kind`` and ``apply``, the handler of that node kind.

    Call once per type without ``apply`` (or with it) from every app that sends or receives it; the
    validator must be the same function each time (it lives in jukinet.common).
    """
    handlers.register(name, validate=validate, apply=_dispatch_message)
    if apply is not None:
        if kind is None:
            raise ValueError("a handler needs the node kind that runs it")
        _appliers[(name, kind)] = apply


def query(
    name: str,
    *,
    validate: Validator,
    validate_answer: Validator,
    kind: str | None = None,
    answer: Answer | None = None,
) -> None:
    """Register a synchronous query type; with ``kind`` and ``answer``, the answerer of that node kind."""
    handlers.register_query(name, validate=validate, validate_answer=validate_answer, answer=_dispatch_query)
    if answer is not None:
        if kind is None:
            raise ValueError("an answerer needs the node kind that runs it")
        _answerers[(name, kind)] = answer
