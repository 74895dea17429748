"""The delivery worker's state across rounds (``Courier``), its wake-up on commit and its connections."""

from __future__ import annotations

import os
import ssl
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from jumin.messaging import delivery, services, tasks, wakeup
from jumin.messaging.delivery import Courier
from jumin.messaging.models import OutboxMessage, PeerLink
from tests.messaging.conftest import PREFECTURE, TEST_TYPE, WAIT, Applied, Federation


def send(fed: Federation, value: int, subject: str = "s1") -> OutboxMessage:
    with transaction.atomic():
        return services.enqueue(
            message_type=TEST_TYPE,
            receiver=PREFECTURE,
            subject=subject,
            payload={"value": value},
            node=fed.municipality.node,
        )


def pending() -> int:
    return OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count()


def lease() -> tuple[str, datetime | None]:
    link = PeerLink.objects.get(kind=PREFECTURE.kind, code=PREFECTURE.code)
    return link.lease_owner, link.lease_until


@pytest.fixture
def contexts_built(monkeypatch: pytest.MonkeyPatch) -> list[ssl.SSLContext]:
    """Every TLS client context the delivery code builds."""
    built: list[ssl.SSLContext] = []
    real = delivery.client_context

    def counting(files: Any) -> ssl.SSLContext:
        built.append(real(files))
        return built[-1]

    monkeypatch.setattr(delivery, "client_context", counting)
    return built


def test_a_courier_builds_its_tls_context_once_and_again_only_for_a_new_certificate(
    federation: Federation, applied: Applied, contexts_built: list[ssl.SSLContext]
) -> None:
    node = federation.municipality.node
    courier = Courier(node, owner="worker-a")
    for value in (1, 2, 3):
        send(federation, value)
        assert courier.deliver(node).delivered == 1
    assert applied.seqs() == [1, 2, 3]
    assert len(contexts_built) == 1

    # A renewed certificate file (a new modification time) is picked up by the next round.
    stat = os.stat(node.files.tls_cert)
    os.utime(node.files.tls_cert, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    send(federation, 4)
    assert courier.deliver(node).delivered == 1
    assert len(contexts_built) == 2
    assert applied.seqs() == [1, 2, 3, 4]


def test_a_courier_keeps_its_lease_across_rounds_and_no_other_worker_sends_meanwhile(
    federation: Federation, applied: Applied
) -> None:
    node = federation.municipality.node
    first, second = Courier(node, owner="worker-a"), Courier(node, owner="worker-b")
    send(federation, 1)
    start = timezone.now()  # the messages sent later in the test are due within a second of it
    assert first.deliver(node, now=start).delivered == 1
    owner, until = lease()
    assert owner == "worker-a"
    assert until is not None

    # The next rounds write no lease: it is held, not taken and given back each round.
    send(federation, 2)
    assert first.deliver(node, now=start + timedelta(seconds=1)).delivered == 1
    assert lease() == ("worker-a", until)

    # Meanwhile the other worker sends nothing to that peer, and does not take the lease over.
    send(federation, 3)
    assert second.deliver(node, now=start + timedelta(seconds=2)).delivered == 0
    assert pending() == 1
    assert lease() == ("worker-a", until)

    # Once the first worker gives its leases back (its end), the other one takes the peer.
    first.release()
    assert lease() == ("", None)
    assert second.deliver(node, now=start + timedelta(seconds=3)).delivered == 1
    assert lease()[0] == "worker-b"
    assert applied.seqs() == [1, 2, 3]


def test_a_lease_left_by_a_dead_worker_is_taken_over_after_it_expires_and_only_then(
    federation: Federation, applied: Applied
) -> None:
    node = federation.municipality.node
    dead, alive = Courier(node, owner="worker-dead"), Courier(node, owner="worker-alive")
    send(federation, 1)
    start = timezone.now()  # the messages sent later in the test are due within a second of it
    assert dead.deliver(node, now=start).delivered == 1
    send(federation, 2)
    assert alive.deliver(node, now=start + timedelta(seconds=30)).delivered == 0
    expired = start + timedelta(seconds=61)
    assert alive.deliver(node, now=expired).delivered == 1
    assert lease()[0] == "worker-alive"
    # The dead worker, were it to come back, finds the lease taken and sends nothing.
    send(federation, 3)
    assert dead.deliver(node, now=expired + timedelta(seconds=1)).delivered == 0
    assert applied.seqs() == [1, 2]


def test_a_courier_reaches_a_peer_again_after_its_connection_dropped(
    federation: Federation, applied: Applied
) -> None:
    node = federation.municipality.node
    courier = Courier(node, owner="worker-a")
    send(federation, 1)
    start = timezone.now()  # the messages sent later in the test are due within a second of it
    assert courier.deliver(node, now=start).delivered == 1

    federation.prefecture.stop()  # the peer goes away: the next attempt's connection fails
    send(federation, 2)
    report = courier.deliver(node, now=start + timedelta(seconds=1))
    assert report.unreachable == [str(PREFECTURE)]
    # Within the link's backoff the courier does not try again.
    assert courier.deliver(node, now=start + timedelta(seconds=2)).unreachable == []

    federation.prefecture.start()  # same port, same kept TLS context: a new connection
    report = courier.deliver(node, now=start + timedelta(minutes=10))
    assert (report.delivered, report.unreachable) == (1, [])
    assert applied.seqs() == [1, 2]
    assert PeerLink.objects.get(kind=PREFECTURE.kind).consecutive_failures == 0


def test_a_committed_enqueue_wakes_the_worker_and_a_rolled_back_one_does_not(
    federation: Federation, django_capture_on_commit_callbacks: Any
) -> None:
    wakeup.wait(0)  # take any notice left by an earlier test

    def rolled_back() -> None:
        with transaction.atomic():
            services.enqueue(
                message_type=TEST_TYPE,
                receiver=PREFECTURE,
                subject="s1",
                payload={"value": 1},
                node=federation.municipality.node,
            )
            raise RuntimeError("the change is rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        rolled_back()
    assert wakeup.wait(0) is False
    with django_capture_on_commit_callbacks(execute=True):
        send(federation, 2)
    assert wakeup.wait(0) is True
    assert wakeup.wait(0) is False  # one notice wakes one wait


def test_a_waiting_worker_starts_its_next_round_when_woken_or_stopped() -> None:
    stop = threading.Event()
    wakeup.wait(0)
    waiter = threading.Thread(target=tasks._pause, args=(stop, WAIT * 10))
    waiter.start()
    wakeup.notify()
    waiter.join(WAIT)
    assert not waiter.is_alive()

    waiter = threading.Thread(target=tasks._pause, args=(stop, WAIT * 10))
    waiter.start()
    stop.set()
    waiter.join(WAIT)
    assert not waiter.is_alive()


class FakeConnection:
    """A database connection's state as ``keep_connections_usable`` sees it."""

    def __init__(self, *, in_transaction: bool = False, failed: bool = False, usable: bool = True) -> None:
        self.connection: object | None = object()
        self.in_atomic_block = in_transaction
        self.errors_occurred = failed
        self.usable = usable
        self.settings_dict = {"AUTOCOMMIT": True}
        self.closed = False

    def get_autocommit(self) -> bool:
        return True

    def is_usable(self) -> bool:
        return self.usable

    def close(self) -> None:
        self.closed = True
        self.connection = None


def test_the_worker_keeps_a_healthy_connection_and_reconnects_after_a_broken_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    healthy = FakeConnection()
    recovered = FakeConnection(failed=True, usable=True)
    broken = FakeConnection(failed=True, usable=False)
    in_transaction = FakeConnection(in_transaction=True, failed=True, usable=False)
    fakes = [healthy, recovered, broken, in_transaction]

    class Handler:
        def all(self, initialized_only: bool = False) -> list[FakeConnection]:
            return fakes

    monkeypatch.setattr(tasks, "connections", Handler())
    tasks.keep_connections_usable()
    assert [fake.closed for fake in fakes] == [False, False, True, False]
    assert recovered.errors_occurred is False


@pytest.mark.django_db
def test_keeping_connections_usable_never_closes_the_callers_transaction() -> None:
    with transaction.atomic():
        PeerLink.objects.create(kind="prefecture", code="420000")
        tasks.keep_connections_usable()
        tasks.close_connections()
        assert connection.connection is not None
        assert PeerLink.objects.filter(kind="prefecture").exists()
