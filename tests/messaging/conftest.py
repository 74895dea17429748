"""Fixtures for messaging: a federation of real nodes (keys, certificates, peers) on loopback TLS.

All nodes of a test share the test database (its tables keep each side's rows apart: a sender's
outbox, a receiver's inbox). The node-port servers run in threads and use the test's own database
connection, the way Django's LiveServerTestCase shares an in-memory SQLite connection; the test
thread never touches the database while a request is in flight, so access stays serialised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from jumin.domain.errors import refusal
from jumin.messaging import handlers
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.identity import LocalNode, add_peer, create_ca, init_node, load_node, peer_entry
from jumin.messaging.node_app import make_app
from jumin.messaging.services import refuse_connection
from jumin.messaging.tls import NodeServer, server_context, start_server

TEST_TYPE = "test.change"
MUNICIPALITY = NodeRef("municipality", "422029")
PREFECTURE = NodeRef("prefecture", "420000")
OUTSIDER = NodeRef("municipality", "422011")
WAIT = 60.0  # bounded waits for events, never a speed assertion


@dataclass
class Applied:
    """What the test handler applied, in order: (sender, subject, seq, value)."""

    rows: list[tuple[str, str, int, int]] = field(default_factory=list)
    fail_transient: set[int] = field(default_factory=set)
    block_on: int | None = None
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def seqs(self, subject: str = "s1") -> list[int]:
        return [seq for _, subj, seq, _ in self.rows if subj == subject]


def validate_change(payload: dict[str, Any]) -> None:
    if (
        set(payload) != {"value"}
        or not isinstance(payload["value"], int)
        or isinstance(payload["value"], bool)
    ):
        raise refusal("payload", "値が不正です。", "value（整数）を送ってください。", "test.change")


@pytest.fixture
def applied() -> Iterator[Applied]:
    """Register ``test.change``: value -1 is refused for ever; values in ``fail_transient`` fail once."""
    record = Applied()

    def apply(envelope: Envelope) -> None:
        value = int(envelope.payload["value"])
        if value == -1:
            raise handlers.HandlerRefused("synthetic permanent failure")
        if value in record.fail_transient:
            record.fail_transient.discard(value)
            raise RuntimeError("synthetic passing failure")
        if record.block_on is not None and envelope.seq == record.block_on:
            record.entered.set()
            assert record.release.wait(WAIT), "the test never released the handler"
        record.rows.append((str(envelope.sender), envelope.subject, envelope.seq, value))

    handlers.register(TEST_TYPE, validate=validate_change, apply=apply)
    yield record
    handlers.unregister(TEST_TYPE)


class SharedConnectionApp:
    """Runs the node app with the test thread's connection and tells when no request is in flight."""

    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner = inner
        self.connection = connections["default"]
        self.busy = 0
        self.idle = threading.Condition()

    def enter(self) -> None:
        connections["default"] = self.connection
        with self.idle:
            self.busy += 1

    def leave(self) -> None:
        with self.idle:
            self.busy -= 1
            self.idle.notify_all()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.enter()
        try:
            return list(self.inner(environ, start_response))
        finally:
            self.leave()

    def wait_idle(self) -> None:
        with self.idle:
            assert self.idle.wait_for(lambda: self.busy == 0, timeout=WAIT), "a request never finished"


@dataclass
class TestNode:
    """One node of the test federation: its directory and its running node port."""

    ref: NodeRef
    directory: Path
    app: SharedConnectionApp | None = None
    server: NodeServer | None = None
    port: int = 0
    handshake_failures: list[str] = field(default_factory=list)
    handshake_refused: threading.Event = field(default_factory=threading.Event)

    @property
    def node(self) -> LocalNode:
        return load_node(self.directory)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start (or restart, on the same port) the node port."""

        def handshake_refused(address: tuple[str, int], reason: str) -> None:
            assert self.app is not None
            self.app.enter()
            try:
                refuse_connection(address[0], reason)
                self.handshake_failures.append(reason)
            finally:
                self.app.leave()
                self.handshake_refused.set()

        self.app = SharedConnectionApp(make_app(lambda: load_node(self.directory), manage_connections=False))
        context = server_context(self.node.files)
        self.server, _ = start_server(self.app, "127.0.0.1", self.port, context, handshake_refused)
        self.port = self.server.port

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_idle(self) -> None:
        if self.app is not None:
            self.app.wait_idle()


@dataclass
class Federation:
    ca: Path
    municipality: TestNode
    prefecture: TestNode

    def outsider(self, root: Path, ca: Path | None = None) -> TestNode:
        """A node certified by ``ca`` (default: the federation's) that no other node lists."""
        directory = root / "outsider"
        init_node(directory, OUTSIDER, ca_dir=ca or self.ca)
        return TestNode(OUTSIDER, directory)


@pytest.fixture
def federation(db: None, tmp_path: Path, applied: Applied) -> Iterator[Federation]:
    """A municipality (佐世保市 422029) and its prefecture (420000), each listing the other, both serving."""
    ca = create_ca(tmp_path / "ca", name="test federation CA")
    nodes = [TestNode(MUNICIPALITY, tmp_path / "municipality"), TestNode(PREFECTURE, tmp_path / "prefecture")]
    connection = connections["default"]
    connection.inc_thread_sharing()
    try:
        for item in nodes:
            init_node(item.directory, item.ref, ca_dir=ca)
            item.start()
        first, second = nodes
        add_peer(first.directory, peer_entry(second.node, second.url))
        add_peer(second.directory, peer_entry(first.node, first.url))
        yield Federation(ca=ca, municipality=first, prefecture=second)
    finally:
        for item in nodes:
            item.wait_idle()
            item.stop()
        connection.dec_thread_sharing()
