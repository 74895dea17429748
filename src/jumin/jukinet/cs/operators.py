"""The 操作者ID and 操作端末ID the CS records and sends with every update, query and card event.

Both are ASCII (the national node's message format): a user name or terminal id with other
characters is cleaned, and an empty result falls back to a fixed id (the CS host's own command, or
a registry batch without a terminal).
"""

from __future__ import annotations

from typing import Any

from jumin.accounts.context import current_terminal_id

OPERATOR_FALLBACK = "system"
TERMINAL_FALLBACK = "cs-host"
BATCH_TERMINAL = "batch"
_ID_PUNCTUATION = "_.@-"


def ascii_id(value: str, fallback: str) -> str:
    """``value`` without non-ASCII or unusual characters, at most 64 long; ``fallback`` when empty."""
    cleaned = "".join(c for c in value if c.isascii() and (c.isalnum() or c in _ID_PUNCTUATION))[:64]
    return cleaned or fallback


def operator_ids(
    actor: Any, *, terminal_id: str = "", terminal_fallback: str = TERMINAL_FALLBACK
) -> tuple[str, str]:
    """(操作者ID, 操作端末ID) of ``actor`` on ``terminal_id`` (default: the current request's terminal)."""
    name = actor.get_username() if actor is not None else ""
    return (
        ascii_id(name, OPERATOR_FALLBACK),
        ascii_id(terminal_id or current_terminal_id(), terminal_fallback),
    )
