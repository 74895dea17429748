"""Message types a node knows: how to check a payload and how to apply it (docs/network.md).

Apps register their types in their ``messages.py`` (imported from ``AppConfig.ready``). A handler
runs inside the inbox transaction, after de-duplication and in 更新順番号 order, so it runs at most
once per message; it must still be idempotent in its effects (a restored backup may re-apply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jumin.messaging.envelope import Envelope

Validator = Callable[[dict[str, Any]], None]
Handler = Callable[[Envelope], None]


class HandlerRefused(Exception):  # noqa: N818 (an outcome: the message can never be applied)
    """Raised by a handler for a message that can never be applied; it is set aside at once."""


@dataclass(frozen=True)
class MessageType:
    """A registered type: ``validate`` raises DomainError for a bad payload; ``apply`` changes state."""

    name: str
    validate: Validator
    apply: Handler | None = None


_registry: dict[str, MessageType] = {}


def register(name: str, *, validate: Validator, apply: Handler | None = None) -> MessageType:
    """Register (or replace) a message type."""
    message_type = MessageType(name=name, validate=validate, apply=apply)
    _registry[name] = message_type
    return message_type


def unregister(name: str) -> None:
    """Forget a type (tests register their own)."""
    _registry.pop(name, None)


def lookup(name: str) -> MessageType | None:
    """The registered type, or None."""
    return _registry.get(name)
