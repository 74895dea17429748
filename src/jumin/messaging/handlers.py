"""Message types a node knows: how to check a payload and how to apply it (docs/network.md).

Apps register their types in their ``messages.py`` (imported from ``AppConfig.ready``). A handler
runs inside the inbox transaction, after de-duplication and in 更新順番号 order, so it runs at most
once per message; it must still be idempotent in its effects (a restored backup may re-apply).

Query types (``register_query``) are synchronous questions to another node (本人確認, 照会, …): the
answerer runs on the asked node inside a transaction and returns the answer payload; nothing is queued.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jumin.messaging.envelope import Envelope

Validator = Callable[[dict[str, Any]], None]
Handler = Callable[[Envelope], None]
#: Applies several messages of one type, in order, with exactly the effects of ``apply`` on each.
BatchHandler = Callable[[list[Envelope]], None]
Answerer = Callable[[Envelope], dict[str, Any]]
# The ids of the persons a query concerns, for the answer's audit entry (their 提供状況); never raises.
Concerning = Callable[[Envelope], list[str]]


class HandlerRefused(Exception):  # noqa: N818 (an outcome: the message can never be applied)
    """Raised by a handler for a message that can never be applied; it is set aside at once."""


@dataclass(frozen=True)
class MessageType:
    """A registered type: ``validate`` raises DomainError for a bad payload; ``apply`` changes state.

    ``apply_many`` (optional) is the set-based ``apply`` the batch receiver uses for the in-order
    messages of a batch: it must have exactly the effects of ``apply`` on each message in turn, and
    raise if any one cannot be applied (the receiver then rolls it back and applies them one by one).
    """

    name: str
    validate: Validator
    apply: Handler | None = None
    apply_many: BatchHandler | None = None


_registry: dict[str, MessageType] = {}


def register(
    name: str, *, validate: Validator, apply: Handler | None = None, apply_many: BatchHandler | None = None
) -> MessageType:
    """Register (or replace) a message type (``apply_many``: see ``MessageType``)."""
    message_type = MessageType(name=name, validate=validate, apply=apply, apply_many=apply_many)
    _registry[name] = message_type
    return message_type


def unregister(name: str) -> None:
    """Forget a type (tests register their own)."""
    _registry.pop(name, None)


def lookup(name: str) -> MessageType | None:
    """The registered type, or None."""
    return _registry.get(name)


@dataclass(frozen=True)
class QueryType:
    """A registered query: ``validate`` checks the question, ``validate_answer`` the answer (both raise
    DomainError); ``answer`` computes the answer payload on the asked node (DomainError = refusal)."""

    name: str
    validate: Validator
    validate_answer: Validator
    answer: Answerer
    concerning: Concerning | None = None


_queries: dict[str, QueryType] = {}
_QUERY_NAME = re.compile(r"(?=.{3,57}$)[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


def register_query(
    name: str,
    *,
    validate: Validator,
    validate_answer: Validator,
    answer: Answerer,
    concerning: Concerning | None = None,
) -> QueryType:
    """Register (or replace) a query type. Names starting with ``messaging.`` are reserved.

    ``concerning`` names the persons a question is about; the ``node:query:answer`` entry carries them,
    whether the query was answered or refused (a refusal's own writes are rolled back).
    """
    if name.startswith("messaging."):
        raise ValueError("query types named messaging.* are reserved for the messaging app")
    if not _QUERY_NAME.fullmatch(name):
        # The answer's type is ``<name>.answer``, which must still be a valid (≤ 64) envelope type.
        raise ValueError("a query type is a dotted lower-case name of at most 57 characters")
    query_type = QueryType(
        name=name, validate=validate, validate_answer=validate_answer, answer=answer, concerning=concerning
    )
    _queries[name] = query_type
    return query_type


def unregister_query(name: str) -> None:
    """Forget a query type (tests register their own)."""
    _queries.pop(name, None)


def lookup_query(name: str) -> QueryType | None:
    """The registered query type, or None."""
    return _queries.get(name)
