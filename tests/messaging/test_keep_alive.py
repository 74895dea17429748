"""HTTP keep-alive between nodes: one TLS connection per peer, replaced when the peer drops it."""

from __future__ import annotations

import http.client
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from jumin.messaging import services
from jumin.messaging.delivery import Courier
from jumin.messaging.identity import create_ca, init_node, load_node
from jumin.messaging.models import OutboxMessage
from jumin.messaging.tls import NodeServer, client_context, server_context, start_server
from tests.messaging.conftest import MUNICIPALITY, PREFECTURE, TEST_TYPE, WAIT, Applied, Federation


def send(fed: Federation, value: int) -> OutboxMessage:
    with transaction.atomic():
        return services.enqueue(
            message_type=TEST_TYPE,
            receiver=PREFECTURE,
            subject="s1",
            payload={"value": value},
            node=fed.municipality.node,
        )


class CountingContext:
    """A server TLS context that counts handshakes (one per TCP connection)."""

    def __init__(self, inner: ssl.SSLContext) -> None:
        self.inner = inner
        self.handshakes = 0

    def wrap_socket(self, sock: Any, **kwargs: Any) -> ssl.SSLSocket:
        self.handshakes += 1
        return self.inner.wrap_socket(sock, **kwargs)


def client(port: int, directory: Path) -> http.client.HTTPSConnection:
    """An HTTPS connection to the node port on ``port``, as the node in ``directory`` (its certificate)."""
    return http.client.HTTPSConnection(
        "127.0.0.1", port, context=client_context(load_node(directory).files), timeout=WAIT
    )


@pytest.fixture
def counted(federation: Federation) -> CountingContext:
    server = federation.prefecture.server
    assert server is not None
    counting = CountingContext(server.tls_context)
    server.tls_context = counting  # type: ignore[assignment]
    return counting


def test_a_courier_sends_round_after_round_over_one_kept_connection(
    federation: Federation, applied: Applied, counted: CountingContext
) -> None:
    node = federation.municipality.node
    courier = Courier(node, owner="worker-a")
    for value in (1, 2, 3):
        send(federation, value)
        assert courier.deliver(node).delivered == 1
    assert applied.seqs() == [1, 2, 3]
    assert counted.handshakes == 1
    courier.release()


def test_a_kept_connection_the_peer_closed_is_replaced_and_nothing_is_applied_twice(
    federation: Federation, applied: Applied, counted: CountingContext
) -> None:
    node = federation.municipality.node
    courier = Courier(node, owner="worker-a")
    send(federation, 1)
    assert courier.deliver(node).delivered == 1
    federation.prefecture.wait_idle()
    assert federation.prefecture.server is not None
    federation.prefecture.server.close_idle_connections()  # e.g. its keep-alive time ran out

    send(federation, 2)
    report = courier.deliver(node)
    assert (report.delivered, report.unreachable) == (1, [])
    assert applied.seqs() == [1, 2]
    assert counted.handshakes == 2
    assert set(OutboxMessage.objects.values_list("receipt", flat=True)) == {"applied"}
    courier.release()


def test_an_answer_given_without_reading_the_body_leaves_the_connection_usable(
    federation: Federation,
) -> None:
    connection = client(federation.prefecture.port, federation.municipality.directory)
    try:
        # A path the node port does not know: answered at once, its body never read by the app.
        connection.request("POST", "/node/elsewhere", body=b"x" * 5000)
        first = connection.getresponse()
        assert (first.status, json.loads(first.read())["reason"]) == (404, "not_found")
        connection.request("GET", "/node/health")
        second = connection.getresponse()
        assert json.loads(second.read()) == {"node": "prefecture:420000", "status": "ok"}
    finally:
        connection.close()


@pytest.fixture
def lone_server(tmp_path: Path) -> Iterator[tuple[NodeServer, threading.Event, http.client.HTTPSConnection]]:
    """A node port with a plain app whose ``on_connection_end`` hook sets an event, and a client of it."""
    ca = create_ca(tmp_path / "ca", name="test federation CA")
    for ref in (MUNICIPALITY, PREFECTURE):
        init_node(tmp_path / ref.kind, ref, ca_dir=ca)
    ended = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    context = server_context(load_node(tmp_path / "prefecture").files)
    server, _ = start_server(app, "127.0.0.1", 0, context, on_connection_end=ended.set)
    connection = client(server.port, tmp_path / "municipality")
    try:
        yield server, ended, connection
    finally:
        connection.close()
        server.shutdown()
        server.server_close()


def test_the_server_serves_several_requests_per_connection_and_ends_it_when_the_peer_closes(
    lone_server: tuple[NodeServer, threading.Event, http.client.HTTPSConnection],
) -> None:
    _, ended, connection = lone_server
    for _ in range(3):
        connection.request("POST", "/node/inbox", body=b"{}")
        response = connection.getresponse()
        assert (response.status, response.read(), response.will_close) == (200, b"ok", False)
    assert not ended.is_set()  # the same connection, still open
    connection.close()
    assert ended.wait(WAIT)  # its thread ran the hook (the node app closes its database connection there)


def test_closing_the_server_ends_its_idle_kept_connections(
    lone_server: tuple[NodeServer, threading.Event, http.client.HTTPSConnection],
) -> None:
    server, ended, connection = lone_server
    connection.request("GET", "/node/health")
    assert connection.getresponse().read() == b"ok"
    server.shutdown()
    server.server_close()  # returns once the idle connection's thread has ended
    assert ended.is_set()
