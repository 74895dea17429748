"""The delivery worker loop (``jumin deliver``, and a thread of ``jumin serve``); ADR 0002.

The outbox table is the queue: a round sends what is due, asks for missing messages again and
retries held handlers. django-tasks is not used for this, because each message would otherwise be
queued twice (once in the outbox, once as a task) and per-subject order would depend on task order.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connections

from jumin.audit import listings
from jumin.messaging import conf, services, wakeup
from jumin.messaging.delivery import Courier, DeliveryReport, request_missing
from jumin.messaging.housekeeping import Housekeeper
from jumin.messaging.identity import LocalNode
from jumin.messaging.models import OutboxMessage

logger = logging.getLogger("jumin.messaging")

#: How often a waiting worker looks at its stop event (the wake-up is a separate event).
STOP_CHECK_SECONDS = 0.1


def run_round(node: LocalNode | None = None, courier: Courier | None = None) -> DeliveryReport:
    """One round: deliver due messages, re-request gaps, apply held messages whose turn has come.

    Without ``courier`` the round stands alone (its own TLS context and leases, given back, and fresh
    database connections); a worker passes the ``Courier`` it keeps across rounds.
    """
    node = node or conf.local_node()
    if courier is None:
        close_old_connections()
        courier = Courier(node)
        try:
            return _round(node, courier)
        finally:
            courier.release()
            close_old_connections()
    return _round(node, courier)


def _round(node: LocalNode, courier: Courier) -> DeliveryReport:
    report = courier.deliver(node)
    report.resend_requests = request_missing(node, courier=courier)
    services.retry_held(node=node)
    return report


def keep_connections_usable() -> None:
    """Close a database connection that failed or was left outside autocommit; keep a healthy one.

    A worker reuses its connection across rounds (``close_old_connections`` would reopen it every
    round: with SQLite, ``CONN_MAX_AGE`` 0, that was a fifth of an idle node's time). A connection
    inside a transaction is never touched: closing it there would break the caller's (a test's)
    transaction.
    """
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.in_atomic_block:
            continue
        if connection.get_autocommit() != connection.settings_dict["AUTOCOMMIT"]:
            connection.close()
        elif connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()


def close_connections() -> None:
    """Close this thread's database connections at a worker's end (except inside a transaction)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def pending_count(node: LocalNode | None = None) -> int:
    """Messages still waiting to leave this node."""
    local = (node or conf.local_node()).ref
    return OutboxMessage.objects.filter(
        sender_kind=local.kind, sender_code=local.code, status=OutboxMessage.Status.PENDING
    ).count()


def run_worker(
    stop: threading.Event,
    *,
    interval: float = 1.0,
    node: LocalNode | None = None,
    housekeeper: Housekeeper | None = None,
) -> None:
    """Run rounds until ``stop`` is set; an unexpected error is logged and the next round tries again.

    Each round also runs the node's daily automatic deletions when they are due (housekeeping) and
    copies new search listings into the per-person index (``audit.listings``). The next round starts
    after ``interval`` seconds, at once when a commit in this process queued messages (``wakeup``),
    and without waiting while a backlog is left. The TLS context, the leases
    and the database connection are kept across rounds (``Courier``, ``keep_connections_usable``).
    """
    housekeeper = housekeeper or Housekeeper(kind=node.ref.kind if node else None)
    courier = Courier(node)
    try:
        while not stop.is_set():
            backlog = False
            try:
                keep_connections_usable()
                report = run_round(node, courier)
                backlog = report.backlog
                if report.delivered or report.poisoned:
                    logger.info("delivered %d, set aside %d", report.delivered, report.poisoned)
            except Exception as error:  # the type only: a database error's text may quote row data (C-54)
                logger.error("delivery round failed (%s)", type(error).__name__)
            # After the round, so a (re)starting worker delivers first; in its own guard, because a
            # peer that is down for days must not hold back the node's own time-bound deletions.
            try:
                keep_connections_usable()  # a failed round may have left its connection unusable
                housekeeper.run_due()
            except Exception as error:
                logger.error("housekeeping failed (%s)", type(error).__name__)
            try:
                backlog = _index_listed() or backlog
            except Exception as error:
                logger.error("indexing search listings failed (%s)", type(error).__name__)
            if not backlog:
                _pause(stop, interval)
    finally:
        _give_back(courier)


def _index_listed() -> bool:
    """Copy new search listings into the per-person index; True when more are left for the next round."""
    keep_connections_usable()
    copied = listings.index_listed(max_batches=listings.BATCHES_PER_ROUND)
    return copied >= listings.BATCH_ROWS * listings.BATCHES_PER_ROUND


def _pause(stop: threading.Event, interval: float) -> None:
    """Wait ``interval`` seconds, less if messages are queued in this process or ``stop`` is set."""
    deadline = time.monotonic() + interval
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0 or wakeup.wait(min(left, STOP_CHECK_SECONDS)):
            return


def _give_back(courier: Courier) -> None:
    try:
        keep_connections_usable()
        courier.release()
    except Exception as error:  # the leases expire on their own
        logger.error("releasing the delivery leases failed (%s)", type(error).__name__)
    close_connections()


def deliver_until_empty(*, timeout: float, interval: float = 0.2, node: LocalNode | None = None) -> int:
    """Run rounds until no message is pending or ``timeout`` seconds passed; returns what is still pending."""
    deadline = time.monotonic() + timeout
    courier = Courier(node)
    try:
        while True:
            keep_connections_usable()
            run_round(node, courier)
            left = pending_count(node)
            if left == 0 or time.monotonic() >= deadline:
                return left
            time.sleep(interval)
    finally:
        _give_back(courier)
