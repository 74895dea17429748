"""The in-process test federation (jumin.messaging.testing): real paths, no sockets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction

from jumin.audit.models import AuditEntry
from jumin.domain.errors import refusal
from jumin.messaging import conf, handlers, queries, services
from jumin.messaging.envelope import Envelope, NodeRef, new_envelope, sign_envelope
from jumin.messaging.models import InboxMessage, OutboxMessage
from jumin.messaging.selectors import network_status
from jumin.messaging.tasks import pending_count
from jumin.messaging.testing import STANDARD_NODES, TestFederation

NOTE = "test.note"
ASK = "test.whoami"
NATIONAL = NodeRef("national", "00")
NAGASAKI = NodeRef("prefecture", "420000")
SASEBO = NodeRef("municipality", "422029")
NAGASAKI_CITY = NodeRef("municipality", "422011")
TOKYO = NodeRef("prefecture", "130001")
CHIYODA = NodeRef("municipality", "131016")
REPLY = 10  # a note with this value makes its receiver answer the sender with value 11


@dataclass
class Seen:
    """(the node that applied it, sender, subject, seq, value), in order of application."""

    rows: list[tuple[str, str, str, int, int]] = field(default_factory=list)


def validate_note(payload: dict[str, Any]) -> None:
    if set(payload) != {"value"} or not isinstance(payload["value"], int):
        raise refusal("payload", "値が不正です。", "value（整数）を送ってください。", "test.note")


@pytest.fixture
def seen() -> Iterator[Seen]:
    record = Seen()

    def apply(envelope: Envelope) -> None:
        here = conf.local_node().ref
        value = envelope.payload["value"]
        record.rows.append((str(here), str(envelope.sender), envelope.subject, envelope.seq, value))
        if value == REPLY:
            services.enqueue(
                message_type=NOTE, receiver=envelope.sender, subject=envelope.subject, payload={"value": 11}
            )

    def who(envelope: Envelope) -> dict[str, Any]:
        return {"node": str(conf.local_node().ref), "asker": str(envelope.sender)}

    def validate_who(payload: dict[str, Any]) -> None:
        if not isinstance(payload.get("node"), str):
            raise refusal("answer", "回答が不正です。", "node を返してください。", "test.who")

    handlers.register(NOTE, validate=validate_note, apply=apply)
    handlers.register_query(ASK, validate=lambda payload: None, validate_answer=validate_who, answer=who)
    yield record
    handlers.unregister(NOTE)
    handlers.unregister_query(ASK)


@pytest.fixture
def mesh(db: None, tmp_path: Path) -> Iterator[TestFederation]:
    with TestFederation(tmp_path / "mesh", STANDARD_NODES) as fed:
        yield fed


def note(
    fed: TestFederation, sender: NodeRef, receiver: NodeRef, value: int, subject: str = "s1"
) -> OutboxMessage:
    with fed.acting_as(sender), transaction.atomic():
        return services.enqueue(
            message_type=NOTE, receiver=receiver, subject=subject, payload={"value": value}
        )


def test_every_node_lists_every_other_and_acting_as_nests(mesh: TestFederation) -> None:
    for ref in STANDARD_NODES:
        assert set(mesh.node(ref).peers) == set(STANDARD_NODES) - {ref}
    with mesh.acting_as(SASEBO):
        assert conf.local_node().ref == SASEBO
        with mesh.acting_as(NATIONAL):
            assert conf.local_node().ref == NATIONAL
        assert conf.local_node().ref == SASEBO


def test_pump_delivers_in_order_under_the_receivers_identity(mesh: TestFederation, seen: Seen) -> None:
    for value in (1, 2, 3):
        note(mesh, SASEBO, NAGASAKI, value)
    note(mesh, CHIYODA, TOKYO, 4)
    # Another sender's stream to the same receiver and subject has its own 更新順番号.
    note(mesh, NAGASAKI_CITY, NAGASAKI, 5)
    assert mesh.pump() == 5
    assert seen.rows == [
        ("prefecture:420000", "municipality:422029", "s1", 1, 1),
        ("prefecture:420000", "municipality:422029", "s1", 2, 2),
        ("prefecture:420000", "municipality:422029", "s1", 3, 3),
        ("prefecture:130001", "municipality:131016", "s1", 1, 4),
        ("prefecture:420000", "municipality:422011", "s1", 1, 5),
    ]
    assert set(OutboxMessage.objects.values_list("status", "receipt")) == {("delivered", "applied")}
    assert InboxMessage.objects.filter(receiver_kind="prefecture", receiver_code="420000").count() == 4
    assert mesh.pump() == 0


def test_a_message_a_handler_sends_leaves_in_the_next_round(mesh: TestFederation, seen: Seen) -> None:
    note(mesh, SASEBO, NAGASAKI, REPLY)
    assert mesh.pump() == 2
    assert [row[:2] for row in seen.rows] == [
        ("prefecture:420000", "municipality:422029"),
        ("municipality:422029", "prefecture:420000"),
    ]
    reply = OutboxMessage.objects.get(seq=1, sender_kind="prefecture")
    assert (reply.receiver_kind, reply.receiver_code, reply.status) == ("municipality", "422029", "delivered")


def test_each_node_delivers_and_monitors_only_its_own_queue(mesh: TestFederation, seen: Seen) -> None:
    note(mesh, SASEBO, NAGASAKI, 1)
    note(mesh, CHIYODA, TOKYO, 2)
    with mesh.acting_as(SASEBO):
        assert pending_count() == 1
        lines = {line.peer: line for line in network_status().peers}
        assert lines["prefecture:420000"].outbox_pending == 1
        assert lines["prefecture:130001"].outbox_pending == 0


def test_a_query_is_answered_in_process_by_the_asked_node(mesh: TestFederation, seen: Seen) -> None:
    with mesh.acting_as(NAGASAKI_CITY):
        answer = services.query(query_type=ASK, receiver=NATIONAL, payload={})
    assert answer == {"node": "national:00", "asker": "municipality:422011"}
    assert AuditEntry.objects.filter(action="node:query:send").count() == 1
    assert AuditEntry.objects.filter(action="node:query:answer").count() == 1


def test_closing_restores_the_real_transport(db: None, tmp_path: Path) -> None:
    with TestFederation(tmp_path / "small", [SASEBO, NAGASAKI]):
        assert queries._query_transport is not queries._tls_transport
    assert queries._query_transport is queries._tls_transport


def _hand_queued(mesh: TestFederation, envelope: Envelope, key: Ed25519PrivateKey) -> OutboxMessage:
    """An outbox row that enqueue() would never write, to provoke the receiver's refusals."""
    return OutboxMessage.objects.create(
        message_id=envelope.id,
        sender_kind=SASEBO.kind,
        sender_code=SASEBO.code,
        receiver_kind=NAGASAKI.kind,
        receiver_code=NAGASAKI.code,
        type=NOTE,
        subject_key=envelope.subject,
        seq=envelope.seq,
        created_at=envelope.created,
        token=sign_envelope(envelope, key),
        next_attempt_at=envelope.created,
    )


def test_misdirected_and_wrongly_signed_messages_are_still_refused(mesh: TestFederation, seen: Seen) -> None:
    misdirected = new_envelope(
        type=NOTE, sender=SASEBO, receiver=TOKYO, subject="a", seq=1, payload={"value": 1}
    )
    forged = new_envelope(
        type=NOTE, sender=SASEBO, receiver=NAGASAKI, subject="b", seq=1, payload={"value": 2}
    )
    first = _hand_queued(mesh, misdirected, mesh.node(SASEBO).signing_key)
    second = _hand_queued(mesh, forged, Ed25519PrivateKey.generate())
    assert mesh.pump() == 0
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.last_error.split(":")[0]) == ("poison", "misdirected")
    assert (second.status, second.last_error.split(":")[0]) == ("poison", "signature")
    assert seen.rows == []
    assert not InboxMessage.objects.exists()
