"""Messaging settings with their defaults (docs/network.md, docs/operations.md).

Each value can be set in Django settings or the environment; read through these functions, never at
import time, so tests can override them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings

from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import LocalNode, create_ca, ensure_consistency_key, init_node, load_node

_lock = threading.Lock()
_cache: dict[tuple[str, int], LocalNode] = {}
# Set only by the in-process test federation (jumin.messaging.testing): which node "this" node is.
_acting_as: ContextVar[LocalNode | None] = ContextVar("jumin_messaging_acting_as", default=None)


def _int(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    return default if value is None else int(value)


def node_dir() -> Path:
    """This node's key and peer directory (``JUMIN_NODE_DIR``, default ``var/node``)."""
    configured = getattr(settings, "JUMIN_NODE_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "node"


def node_listen() -> tuple[str, int]:
    """Host and port of the node port (mutual TLS), ``JUMIN_NODE_LISTEN``, default 127.0.0.1:8443."""
    value = str(getattr(settings, "JUMIN_NODE_LISTEN", "") or "127.0.0.1:8443")
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def max_attempts() -> int:
    """A message refused for a passing reason (or failing its handler) this often is set aside. Default 8."""
    return max(1, _int("JUMIN_MESSAGING_MAX_ATTEMPTS", 8))


def backoff_base_seconds() -> int:
    """The first retry waits this long; each further retry doubles it. Default 2."""
    return max(0, _int("JUMIN_MESSAGING_BACKOFF_BASE", 2))


def backoff_cap_seconds() -> int:
    """No retry waits longer than this. Default 300 (5 minutes)."""
    return max(1, _int("JUMIN_MESSAGING_BACKOFF_CAP", 300))


def hold_window() -> int:
    """How far beyond the last applied 更新順番号 a message may be held; further is refused. Default 1000."""
    return max(1, _int("JUMIN_MESSAGING_HOLD_WINDOW", 1000))


def lease_seconds() -> int:
    """How long one delivery worker owns a peer's queue before another may take over. Default 60."""
    return max(1, _int("JUMIN_MESSAGING_LEASE_SECONDS", 60))


#: Messages per batch unless configured. 250 rather than 100 since 2026-11-24: spreading the per-batch
#: work (one HTTPS request, transaction, audit append and lookups) over more messages cut the CPU per
#: 本人確認情報 update of the three-node chain by about 15 % (docs/benchmarks.md, P5). Every node of a
#: federation must use the same value: a receiver refuses a batch larger than its own.
DEFAULT_BATCH_SIZE = 250


def batch_size() -> int:
    """Messages sent to one peer per delivery batch, and the most a receiver takes in one. Default 250."""
    return max(1, _int("JUMIN_MESSAGING_BATCH", DEFAULT_BATCH_SIZE))


def batches_per_round() -> int:
    """Batches sent to one peer in one delivery round while its queue stays full. Default 10."""
    return max(1, _int("JUMIN_MESSAGING_ROUND_BATCHES", 10))


def clock_skew_seconds() -> int:
    """A message created further in the future than this is refused as a replay. Default 300."""
    return max(0, _int("JUMIN_MESSAGING_CLOCK_SKEW", 300))


# Messages are the record of each transfer (persons and items are in the signed payload): controls.md
# C-46 and D-6 keep provision and transfer records at least 7 years, and C-79 forbids a lower setting.
RETENTION_FLOOR_DAYS = 7 * 365 + 2  # 7 years, leap days included


class RetentionTooShortError(ValueError):
    """JUMIN_MESSAGE_RETENTION_DAYS is below the 7-year floor."""


def retention_days() -> int:
    """Days a delivered outbox or applied inbox message is kept (``JUMIN_MESSAGE_RETENTION_DAYS``).

    Default and floor: 7 years (2557 days). A lower value is refused, never silently raised.
    """
    days = _int("JUMIN_MESSAGE_RETENTION_DAYS", RETENTION_FLOOR_DAYS)
    if days < RETENTION_FLOOR_DAYS:
        raise RetentionTooShortError(
            f"JUMIN_MESSAGE_RETENTION_DAYS は {RETENTION_FLOOR_DAYS} 日（7年）以上にしてください"
            "（提供・移転の記録の保存期間、controls.md C-46）。"
        )
    return days


def local_node() -> LocalNode:
    """This node's identity and peers, re-read when peers.json changes.

    In demo and test mode a missing node directory is created on first use with a private CA of its
    own (like the audit and 個人番号 keys), and a demo node from before the 整合性確認 key gets one of
    its own; outside demo mode the directory, its 整合性確認 key included, must exist (`jumin node
    init`, IdentityError otherwise). Inside ``acting_as(node)`` it is that node instead.
    """
    override = _acting_as.get()
    if override is not None:
        return override
    directory = node_dir()
    with _lock:
        demo = getattr(settings, "JUMIN_DEMO", False)
        if not (directory / "node.json").exists() and demo:
            ref = NodeRef(kind=settings.JUMIN_NODE_KIND, code=settings.JUMIN_NODE_CODE)
            create_ca(directory / "demo-ca", name=f"Jumin demo CA for {ref}")
            init_node(directory, ref, ca_dir=directory / "demo-ca")
        peers = directory / "peers.json"
        key = (str(directory), peers.stat().st_mtime_ns if peers.exists() else 0)
        node = _cache.get(key)
        if node is None:
            if demo and (directory / "node.json").exists():
                ensure_consistency_key(directory)
            node = load_node(directory)
            _ = node.consistency_key  # refuses a node without its 整合性確認 key (IdentityError)
            _cache.clear()
            _cache[key] = node
        return node


@contextmanager
def acting_as(node: LocalNode) -> Iterator[LocalNode]:
    """Within the block, ``local_node()`` is ``node`` (nestable; for the in-process test federation)."""
    token = _acting_as.set(node)
    try:
        yield node
    finally:
        _acting_as.reset(token)
