"""Wake this process's delivery worker when a commit queues messages (docs/network.md "Delivery").

``enqueue_many`` calls ``notify`` from ``transaction.on_commit``, so the worker sends a message as soon
as the change that reports it is committed instead of at its next interval. Only a worker in the same
process hears it (e.g. the node port of `jumin serve` receiving a batch whose handlers forward it); any
other worker still finds the message at its next round, so nothing depends on the wake-up.
"""

from __future__ import annotations

import threading

_queued = threading.Event()


def notify() -> None:
    """Say that messages were committed to the outbox (called from ``transaction.on_commit``)."""
    _queued.set()


def wait(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``notify``; True if it came (and take the notice)."""
    woken = _queued.wait(timeout)
    _queued.clear()
    return woken
