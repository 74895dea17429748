"""The delivery worker loop (``jumin deliver``, and a thread of ``jumin serve``); ADR 0002.

The outbox table is the queue: a round sends what is due, asks for missing messages again and
retries held handlers. django-tasks is not used for this, because each message would otherwise be
queued twice (once in the outbox, once as a task) and per-subject order would depend on task order.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

from jumin.messaging import conf, services
from jumin.messaging.delivery import DeliveryReport, deliver_due, request_missing
from jumin.messaging.housekeeping import Housekeeper
from jumin.messaging.identity import LocalNode
from jumin.messaging.models import OutboxMessage

logger = logging.getLogger("jumin.messaging")


def run_round(node: LocalNode | None = None) -> DeliveryReport:
    """One round: deliver due messages, re-request gaps, apply held messages whose turn has come."""
    node = node or conf.local_node()
    close_old_connections()
    try:
        report = deliver_due(node)
        report.resend_requests = request_missing(node)
        services.retry_held(node=node)
        return report
    finally:
        close_old_connections()


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

    Each round also runs the node's daily automatic deletions when they are due (housekeeping).
    """
    housekeeper = housekeeper or Housekeeper(kind=node.ref.kind if node else None)
    while not stop.is_set():
        try:
            report = run_round(node)
            if report.delivered or report.poisoned:
                logger.info("delivered %d, set aside %d", report.delivered, report.poisoned)
        except Exception as error:  # the type only: a database error's text may quote row data (C-54)
            logger.error("delivery round failed (%s)", type(error).__name__)
        # After the round, so a (re)starting worker delivers first; in its own guard, because a peer
        # that is down for days must not hold back the node's own time-bound deletions.
        try:  # run_round has closed stale connections on its way out, even when it failed
            housekeeper.run_due()
        except Exception as error:
            logger.error("housekeeping failed (%s)", type(error).__name__)
        stop.wait(interval)


def deliver_until_empty(*, timeout: float, interval: float = 0.2, node: LocalNode | None = None) -> int:
    """Run rounds until no message is pending or ``timeout`` seconds passed; returns what is still pending."""
    deadline = time.monotonic() + timeout
    while True:
        run_round(node)
        left = pending_count(node)
        if left == 0 or time.monotonic() >= deadline:
            return left
        time.sleep(interval)
