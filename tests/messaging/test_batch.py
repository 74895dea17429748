"""Batch delivery: POST /node/inbox/batch over mutual TLS, and the worker's use of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.test import override_settings

from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.audit.selectors import verify_chain
from jumin.domain.errors import DomainError
from jumin.messaging import node_app, services
from jumin.messaging.delivery import BATCH_PATH, deliver_due
from jumin.messaging.envelope import new_envelope, sign_envelope
from jumin.messaging.identity import Peer
from jumin.messaging.models import InboxMessage, OutboxMessage
from jumin.messaging.tls import PeerResponse, client_context, post
from tests.messaging.conftest import MUNICIPALITY, PREFECTURE, TEST_TYPE, Applied, Federation


def send(fed: Federation, value: int, subject: str = "s1") -> str:
    with transaction.atomic():
        row = services.enqueue(
            message_type=TEST_TYPE,
            receiver=PREFECTURE,
            subject=subject,
            payload={"value": value},
            node=fed.municipality.node,
        )
    return services.signed_token(row)


def post_batch(fed: Federation, body: bytes) -> PeerResponse:
    node = fed.municipality.node
    peer = node.peer(PREFECTURE)
    assert peer is not None
    return post(peer, BATCH_PATH, body, client_context(node.files), content_type="application/json")


def batch_body(tokens: list[str]) -> bytes:
    return json.dumps({"tokens": tokens}).encode("ascii")


def record_paths(fed: Federation) -> list[str]:
    """Wrap the prefecture's node app to note every path it is asked for."""
    assert fed.prefecture.app is not None
    inner, paths = fed.prefecture.app.inner, []

    def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        paths.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    fed.prefecture.app.inner = recording
    return paths


def test_one_batch_answers_each_message_in_order(federation: Federation, applied: Applied) -> None:
    first, second, _, fourth = (send(federation, value) for value in (1, 2, 3, 4))
    forged = sign_envelope(
        new_envelope(
            type=TEST_TYPE, sender=MUNICIPALITY, receiver=PREFECTURE, subject="x", seq=1, payload={"value": 9}
        ),
        Ed25519PrivateKey.generate(),
    )
    misdirected = sign_envelope(
        new_envelope(
            type=TEST_TYPE,
            sender=MUNICIPALITY,
            receiver=MUNICIPALITY,
            subject="y",
            seq=1,
            payload={"value": 8},
        ),
        federation.municipality.node.signing_key,
    )
    response = post_batch(federation, batch_body([first, second, first, forged, fourth, misdirected]))
    federation.prefecture.wait_idle()
    assert response.status == 200
    receipts = response.body["receipts"]
    assert [(r["status"], r.get("reason", "")) for r in receipts] == [
        ("applied", ""),
        ("applied", ""),
        ("duplicate", ""),
        ("refused", "signature"),
        ("stored", ""),
        ("refused", "misdirected"),
    ]
    assert receipts[4]["missing"] == [3]
    assert applied.seqs() == [1, 2]
    assert InboxMessage.objects.count() == 3


def test_the_worker_sends_due_messages_as_one_batch(federation: Federation, applied: Applied) -> None:
    paths = record_paths(federation)
    for value in (1, 2, 3):
        send(federation, value)
    send(federation, 4, subject="s2")
    report = deliver_due(federation.municipality.node)
    federation.prefecture.wait_idle()
    assert (report.delivered, report.poisoned) == (4, 0)
    assert paths == [BATCH_PATH]
    assert applied.seqs() == [1, 2, 3]
    assert set(OutboxMessage.objects.values_list("status", "receipt")) == {("delivered", "applied")}


@override_settings(JUMIN_MESSAGING_BATCH=2)
def test_a_backlog_leaves_batch_after_batch_in_one_round(federation: Federation, applied: Applied) -> None:
    paths = record_paths(federation)
    for value in (1, 2, 3, 4, 5):
        send(federation, value)
    report = deliver_due(federation.municipality.node)
    federation.prefecture.wait_idle()
    assert report.delivered == 5
    assert paths == [BATCH_PATH, BATCH_PATH, BATCH_PATH]
    assert applied.seqs() == [1, 2, 3, 4, 5]


@override_settings(JUMIN_MESSAGING_BATCH=2, JUMIN_MESSAGING_ROUND_BATCHES=1)
def test_a_round_sends_at_most_its_batches(federation: Federation, applied: Applied) -> None:
    paths = record_paths(federation)
    for value in (1, 2, 3):
        send(federation, value)
    assert deliver_due(federation.municipality.node).delivered == 2
    federation.prefecture.wait_idle()
    assert paths == [BATCH_PATH]
    assert applied.seqs() == [1, 2]
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count() == 1


@override_settings(JUMIN_MESSAGING_BATCH=2)
def test_a_message_not_delivered_ends_the_peers_turn(federation: Federation, applied: Applied) -> None:
    send(federation, 1)
    misdirected = new_envelope(
        type=TEST_TYPE, sender=MUNICIPALITY, receiver=MUNICIPALITY, subject="s3", seq=1, payload={"value": 3}
    )
    OutboxMessage.objects.create(
        message_id=misdirected.id,
        sender_kind=MUNICIPALITY.kind,
        sender_code=MUNICIPALITY.code,
        receiver_kind=PREFECTURE.kind,
        receiver_code=PREFECTURE.code,
        type=TEST_TYPE,
        subject_key="s3",
        seq=1,
        created_at=misdirected.created,
        token=sign_envelope(misdirected, federation.municipality.node.signing_key),
        next_attempt_at=misdirected.created,
    )
    send(federation, 2)
    paths = record_paths(federation)
    report = deliver_due(federation.municipality.node)
    federation.prefecture.wait_idle()
    assert (report.delivered, report.poisoned) == (1, 1)
    assert paths == [BATCH_PATH]
    assert applied.seqs() == [1]


def test_mixed_receipts_in_one_batch_settle_each_row(federation: Federation, applied: Applied) -> None:
    early = send(federation, 1)
    # The receiver already has the first one (e.g. the sender was killed before it saw the receipt).
    assert (
        services.receive(federation.prefecture.node, MUNICIPALITY, early.encode("ascii")).status == "applied"
    )
    send(federation, 2)
    send(federation, -1, subject="s2")  # its handler refuses: set aside by the receiver, stored
    misdirected = new_envelope(
        type=TEST_TYPE, sender=MUNICIPALITY, receiver=MUNICIPALITY, subject="s3", seq=1, payload={"value": 3}
    )
    OutboxMessage.objects.create(
        message_id=misdirected.id,
        sender_kind=MUNICIPALITY.kind,
        sender_code=MUNICIPALITY.code,
        receiver_kind=PREFECTURE.kind,
        receiver_code=PREFECTURE.code,
        type=TEST_TYPE,
        subject_key="s3",
        seq=1,
        created_at=misdirected.created,
        token=sign_envelope(misdirected, federation.municipality.node.signing_key),
        next_attempt_at=misdirected.created,
    )
    paths = record_paths(federation)
    report = deliver_due(federation.municipality.node)
    federation.prefecture.wait_idle()
    assert paths == [BATCH_PATH]
    assert (report.delivered, report.poisoned) == (3, 1)
    rows = OutboxMessage.objects.order_by("id").values_list("status", "receipt", "last_error")
    assert [(status, receipt, error.split(":")[0]) for status, receipt, error in rows] == [
        ("delivered", "duplicate", ""),
        ("delivered", "applied", ""),
        ("delivered", "stored", ""),
        ("poison", "", "misdirected"),
    ]
    assert applied.seqs() == [1, 2]


def test_a_peer_without_the_batch_endpoint_gets_one_message_at_a_time(
    federation: Federation, applied: Applied, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(node_app, "BATCH_PATH", "/node/no-batch")  # an older receiver: 404
    paths = record_paths(federation)
    for value in (1, 2):
        send(federation, value)
    assert deliver_due(federation.municipality.node).delivered == 2
    federation.prefecture.wait_idle()
    assert paths == [BATCH_PATH, "/node/inbox", "/node/inbox"]
    assert applied.seqs() == [1, 2]


def test_a_batch_that_fails_falls_back_to_one_transaction_per_message(
    federation: Federation, applied: Applied, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = [send(federation, value) for value in (1, 2, 3)]
    real = services._BatchReceiver.write

    def failing_write(self: services._BatchReceiver) -> None:
        real(self)  # the rows and entries are written, then the commit's last step fails
        raise RuntimeError("synthetic database failure")

    monkeypatch.setattr(services._BatchReceiver, "write", failing_write)
    receipts = services.receive_batch(
        federation.prefecture.node, MUNICIPALITY, [t.encode("ascii") for t in tokens]
    )
    # The batch was rolled back, then applied again one by one: never "duplicate".
    assert [receipt.status for receipt in receipts] == ["applied", "applied", "applied"]
    # The handlers' first runs were rolled back with the batch (only Python saw them).
    assert applied.seqs() == [1, 2, 3, 1, 2, 3]
    assert InboxMessage.objects.filter(status="applied").count() == 3
    assert AuditEntry.objects.filter(action="node:message:apply").count() == 3


@override_settings(JUMIN_MESSAGING_BATCH=2)
def test_a_bad_or_oversized_batch_is_refused_as_schema(federation: Federation, applied: Applied) -> None:
    tokens = [send(federation, value) for value in (1, 2, 3)]
    for body in (b"not json", batch_body([]), json.dumps({"tokens": [1]}).encode(), batch_body(tokens)):
        response = post_batch(federation, body)
        assert (response.status, response.body["reason"]) == (400, "schema")
    federation.prefecture.wait_idle()
    assert applied.rows == []


@pytest.mark.parametrize("mode", ["batch", "single"])
def test_a_batch_answers_exactly_as_one_message_at_a_time(
    federation: Federation, applied: Applied, mode: str
) -> None:
    """Reordering, duplicates, handler failures and earlier gaps inside one batch: the set-based batch
    path gives the receipts, state and audit entries of ``receive`` called message by message."""
    a1, a2 = send(federation, 11, "s1"), send(federation, 12, "s1")
    b1, b2 = send(federation, -1, "s2"), send(federation, 22, "s2")  # b1's handler refuses for ever
    c1, c2 = send(federation, 31, "s3"), send(federation, 32, "s3")
    d1, d2 = send(federation, 41, "s4"), send(federation, 42, "s4")  # d1's handler fails once
    applied.fail_transient.add(41)
    node = federation.prefecture.node
    assert services.receive(node, MUNICIPALITY, c2.encode("ascii")).status == "stored"  # a gap, earlier
    tokens = [t.encode("ascii") for t in (a2, a1, a1, b1, b2, c1, d1, d2)]
    if mode == "batch":
        receipts = services.receive_batch(node, MUNICIPALITY, tokens)
    else:
        receipts = [services.receive(node, MUNICIPALITY, token) for token in tokens]
    assert [(r.status, r.missing) for r in receipts] == [
        ("stored", (1,)),
        ("applied", ()),
        ("duplicate", ()),
        ("stored", ()),
        ("stored", ()),
        ("applied", ()),
        ("stored", ()),
        ("applied", ()),
    ]
    assert [applied.seqs(subject) for subject in ("s1", "s2", "s3", "s4")] == [[1, 2], [], [1, 2], [1, 2]]
    statuses = InboxMessage.objects.order_by("subject_key", "seq").values_list(
        "subject_key", "seq", "status", "attempts"
    )
    assert list(statuses) == [
        ("s1", 1, "applied", 0),
        ("s1", 2, "applied", 0),
        ("s2", 1, "poison", 1),
        ("s2", 2, "held", 0),
        ("s3", 1, "applied", 0),
        ("s3", 2, "applied", 0),
        ("s4", 1, "applied", 1),
        ("s4", 2, "applied", 0),
    ]
    ids = {token: str(row.message_id) for token, row in zip(
        (a1, a2, b1, b2, c1, c2, d1, d2), OutboxMessage.objects.order_by("id"), strict=True
    )}  # fmt: skip

    def actions(token: str) -> list[str]:
        entries = AuditEntry.objects.filter(subject_id=ids[token]).order_by("seq")
        return [
            action for action in entries.values_list("action", flat=True) if action != "node:message:enqueue"
        ]

    receive, apply = "node:message:receive", "node:message:apply"
    assert actions(a1) == actions(a2) == actions(c1) == actions(d2) == [receive, apply]
    assert actions(b1) == [receive, "node:message:quarantine"]
    assert actions(b2) == [receive]
    assert actions(c2) == [receive, apply]
    assert actions(d1) == [receive, apply]
    assert verify_chain().intact


def test_a_batch_from_an_unlisted_node_is_refused_as_a_link_and_every_message_is_audited(
    federation: Federation, applied: Applied, tmp_path: Path
) -> None:
    outsider = federation.outsider(tmp_path)
    tokens = [
        sign_envelope(
            new_envelope(
                type=TEST_TYPE,
                sender=outsider.ref,
                receiver=PREFECTURE,
                subject="s1",
                seq=seq,
                payload={"value": seq},
            ),
            outsider.node.signing_key,
        )
        for seq in (1, 2, 3)
    ]
    response = post(
        Peer(ref=PREFECTURE, url=federation.prefecture.url),
        BATCH_PATH,
        batch_body(tokens),
        client_context(outsider.node.files),
        content_type="application/json",
    )
    assert (response.status, response.body["reason"]) == (403, "unknown_peer")
    assert applied.rows == []
    refusals = AuditEntry.objects.filter(action="node:message:refuse", outcome_reason="unknown_peer")
    assert refusals.count() == 3


def test_enqueue_many_numbers_each_stream_and_audits_each_message(
    federation: Federation, applied: Applied
) -> None:
    send(federation, 1)  # s1 seq 1 already taken
    outgoing = [
        services.Outgoing(TEST_TYPE, PREFECTURE, subject, {"value": value})
        for subject, value in (("s1", 2), ("s2", 1), ("s1", 3))
    ]
    with transaction.atomic():
        rows = services.enqueue_many(outgoing, node=federation.municipality.node)
    assert [(row.subject_key, row.seq) for row in rows] == [("s1", 2), ("s2", 1), ("s1", 3)]
    assert AuditEntry.objects.filter(action=AuditAction.NODE_MESSAGE_ENQUEUE).count() == 4
    deliver_due(federation.municipality.node)
    federation.prefecture.wait_idle()
    assert applied.seqs("s1") == [1, 2, 3]
    assert applied.seqs("s2") == [1]


def test_enqueue_many_refuses_the_whole_list_for_one_bad_payload(federation: Federation) -> None:
    outgoing = [
        services.Outgoing(TEST_TYPE, PREFECTURE, "s1", {"value": 1}),
        services.Outgoing(TEST_TYPE, PREFECTURE, "s1", {"value": "one"}),
    ]
    with pytest.raises(DomainError), transaction.atomic():
        services.enqueue_many(outgoing, node=federation.municipality.node)
    assert not OutboxMessage.objects.exists()
    with transaction.atomic():
        assert services.enqueue_many(outgoing[:1], node=federation.municipality.node)[0].seq == 1


def test_enqueue_many_numbers_more_streams_than_one_statement_takes(federation: Federation) -> None:
    # 160 streams (more than one numbering statement's 150), three of them already numbered.
    for subject in ("p0", "p75", "p159"):
        send(federation, 1, subject)
    outgoing = [services.Outgoing(TEST_TYPE, PREFECTURE, f"p{n}", {"value": n}) for n in range(160)]
    outgoing.append(services.Outgoing(TEST_TYPE, PREFECTURE, "p159", {"value": 999}))
    with transaction.atomic():
        rows = services.enqueue_many(outgoing, node=federation.municipality.node)
    seqs = {(row.subject_key, row.seq) for row in rows}
    assert len(rows) == 161
    assert {("p0", 2), ("p75", 2), ("p159", 2), ("p159", 3), ("p1", 1), ("p158", 1)} <= seqs
    assert all(seq == 1 for subject, seq in seqs if subject not in ("p0", "p75", "p159"))
    with transaction.atomic():
        assert services.enqueue_many(outgoing[1:2], node=federation.municipality.node)[0].seq == 2
