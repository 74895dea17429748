"""One registration per message or query type, dispatched by the local node's kind at call time.

Every node installs the three jukinet apps (their tables stay empty where unused), so a type such as
``jukinet.identity_update`` is handled by the prefecture app on a prefecture node and by the national
app on the national node. Importing this module registers every type of ``common.schemas`` with
``jumin.messaging.handlers`` (so any node can send it, validated the same way everywhere); the apps
then name, per node kind, the function that applies a message (``handle``) or answers a query
(``answer``). The handler is picked from ``conf.local_node()`` when the message arrives, which also
lets the in-process test federation (``jumin.messaging.testing``) switch nodes.

A message of a known type arriving at a node kind that does not handle it is refused for good
(``HandlerRefused``): a misrouted 本人確認情報 must never be stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jumin.jukinet.common import schemas
from jumin.messaging import conf, handlers
from jumin.messaging.envelope import Envelope

Apply = Callable[[Envelope], None]
ApplyMany = Callable[[list[Envelope]], None]
Answer = Callable[[Envelope], dict[str, Any]]
Guard = Callable[[Envelope], None]
Concerning = Callable[[Envelope], list[str]]

_appliers: dict[tuple[str, str], Apply] = {}
_batch_appliers: dict[tuple[str, str], ApplyMany] = {}
_answerers: dict[tuple[str, str], Answer] = {}
_guards: dict[tuple[str, str], list[Guard]] = {}
_concerning: dict[tuple[str, str], Concerning] = {}


def _local_kind() -> str:
    return conf.local_node().ref.kind


def _dispatch_message(envelope: Envelope) -> None:
    apply = _appliers.get((envelope.type, _local_kind()))
    if apply is None:
        raise handlers.HandlerRefused(f"{envelope.type} is not handled by a {_local_kind()} node")
    apply(envelope)


def _dispatch_many(envelopes: list[Envelope]) -> None:
    """Several messages of one type (the batch receiver's in-order run): the set-based applier of
    this node kind if it has one, else the single applier message after message."""
    if not envelopes:
        return
    apply_many = _batch_appliers.get((envelopes[0].type, _local_kind()))
    if apply_many is None:
        for envelope in envelopes:
            _dispatch_message(envelope)
        return
    apply_many(envelopes)


def _dispatch_query(envelope: Envelope) -> dict[str, Any]:
    answer = _answerers.get((envelope.type, _local_kind()))
    if answer is None:
        raise handlers.HandlerRefused(f"{envelope.type} is not answered by a {_local_kind()} node")
    for check in _guards.get((envelope.type, _local_kind()), ()):
        check(envelope)
    return answer(envelope)


def _dispatch_concerning(envelope: Envelope) -> list[str]:
    persons = _concerning.get((envelope.type, _local_kind()))
    return persons(envelope) if persons is not None else []


def _register_schemas() -> None:
    for name, validate in schemas.MESSAGES.items():
        handlers.register(name, validate=validate, apply=_dispatch_message, apply_many=_dispatch_many)
    for name, (validate, validate_answer) in schemas.QUERIES.items():
        handlers.register_query(
            name,
            validate=validate,
            validate_answer=validate_answer,
            answer=_dispatch_query,
            concerning=_dispatch_concerning,
        )


def handle(name: str, *, kind: str, apply: Apply, apply_many: ApplyMany | None = None) -> None:
    """Apply messages of type ``name`` with ``apply`` on nodes of ``kind``.

    ``apply_many`` (optional) applies a batch's in-order messages of the type at once, with exactly
    the effects of ``apply`` on each in turn (``messaging.handlers.MessageType``).
    """
    if name not in schemas.MESSAGES:
        raise ValueError(f"{name} is not a message type of jukinet.common.schemas")
    _appliers[(name, kind)] = apply
    if apply_many is None:
        _batch_appliers.pop((name, kind), None)
    else:
        _batch_appliers[(name, kind)] = apply_many


def answer(name: str, *, kind: str, answer: Answer) -> None:
    """Answer queries of type ``name`` with ``answer`` on nodes of ``kind``."""
    if name not in schemas.QUERIES:
        raise ValueError(f"{name} is not a query type of jukinet.common.schemas")
    _answerers[(name, kind)] = answer


def guard(name: str, *, kind: str, check: Guard) -> None:
    """Run ``check`` before the answerer of ``name`` on nodes of ``kind``; it raises DomainError to
    refuse the query before any answering work (the CS's 抑止マーク before 広域交付). Idempotent."""
    if name not in schemas.QUERIES:
        raise ValueError(f"{name} is not a query type of jukinet.common.schemas")
    checks = _guards.setdefault((name, kind), [])
    if check not in checks:
        checks.append(check)


def concerning(name: str, *, kind: str, persons: Concerning) -> None:
    """On nodes of ``kind``, the ``node:query:answer`` entry of a ``name`` query names the persons
    ``persons`` finds in it (their 提供状況), answered or refused. ``persons`` must not raise: it reads
    a question that may still be malformed."""
    if name not in schemas.QUERIES:
        raise ValueError(f"{name} is not a query type of jukinet.common.schemas")
    _concerning[(name, kind)] = persons


_register_schemas()
