"""Delivery over real sockets and mutual TLS on loopback, with the faults of issue 7 item 4."""

from __future__ import annotations

import http.client
import io
import json
import ssl
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from jumin.audit.models import AuditEntry
from jumin.messaging import services
from jumin.messaging.delivery import deliver_due, request_missing
from jumin.messaging.envelope import Envelope, NodeRef, new_envelope, sign_envelope
from jumin.messaging.identity import (
    LocalNode,
    Peer,
    add_peer,
    create_ca,
    init_node,
    load_certificate,
    load_node,
    peer_entry,
)
from jumin.messaging.models import InboxMessage, OutboxMessage, PeerLink
from jumin.messaging.node_app import make_app
from jumin.messaging.tls import PEER_CERTIFICATE_KEY, PeerUnreachable, client_context, post
from tests.messaging.conftest import MUNICIPALITY, PREFECTURE, TEST_TYPE, WAIT, Applied, Federation


def send(fed: Federation, value: int, subject: str = "s1") -> OutboxMessage:
    with transaction.atomic():
        return services.enqueue(
            message_type=TEST_TYPE,
            receiver=PREFECTURE,
            subject=subject,
            payload={"value": value},
            node=fed.municipality.node,
        )


def later(minutes: int) -> datetime:
    return timezone.now() + timedelta(minutes=minutes)


def statuses() -> list[str]:
    return list(OutboxMessage.objects.order_by("id").values_list("status", flat=True))


def actions(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def queue_by_hand(envelope: Envelope, node: LocalNode) -> None:
    """An outbox row that enqueue() would never write (to provoke the receiver's refusals)."""
    OutboxMessage.objects.create(
        message_id=envelope.id,
        sender_kind=node.ref.kind,
        sender_code=node.ref.code,
        receiver_kind="prefecture",
        receiver_code="420000",
        type=TEST_TYPE,
        subject_key=envelope.subject,
        seq=envelope.seq,
        created_at=envelope.created,
        token=sign_envelope(envelope, node.signing_key),
        next_attempt_at=envelope.created,
    )


def test_messages_travel_over_mutual_tls_and_are_applied_in_order(
    federation: Federation, applied: Applied
) -> None:
    for value in (1, 2, 3):
        send(federation, value)
    report = deliver_due(federation.municipality.node)
    assert (report.delivered, report.poisoned, report.unreachable) == (3, 0, [])
    assert applied.seqs() == [1, 2, 3]
    assert statuses() == ["delivered"] * 3
    assert OutboxMessage.objects.filter(receipt="applied").count() == 3
    assert len(actions("node:message:deliver")) == 3
    assert PeerLink.objects.get(kind="prefecture").last_success_at is not None
    # A second round has nothing left to send.
    assert deliver_due(federation.municipality.node).delivered == 0


def test_a_peer_down_for_a_while_gets_everything_in_order_when_it_returns(
    federation: Federation, applied: Applied
) -> None:
    federation.prefecture.stop()
    for value, subject in ((1, "s1"), (2, "s2"), (3, "s1"), (4, "s1"), (5, "s2")):
        send(federation, value, subject)
    node = federation.municipality.node
    report = deliver_due(node)
    assert report.unreachable == [str(PREFECTURE)]
    assert statuses() == ["pending"] * 5
    link = PeerLink.objects.get(kind="prefecture")
    assert link.consecutive_failures == 1
    assert link.next_attempt_at is not None
    assert link.next_attempt_at > timezone.now()
    # Still down, and the backoff grows; the outage is audited once, not once per attempt.
    deliver_due(node, now=later(10))
    assert PeerLink.objects.get(kind="prefecture").consecutive_failures == 2
    assert [e.outcome for e in actions("node:link:down")] == ["refused"]
    # Within the backoff no attempt is made at all.
    assert deliver_due(node).unreachable == []

    federation.prefecture.start()
    report = deliver_due(node, now=later(60))
    assert report.delivered == 5
    assert applied.seqs("s1") == [1, 2, 3]
    assert applied.seqs("s2") == [1, 2]
    assert [value for *_, value in applied.rows] == [1, 2, 3, 4, 5]
    assert len(actions("node:link:up")) == 1
    assert PeerLink.objects.get(kind="prefecture").consecutive_failures == 0


def test_a_lost_message_is_asked_for_again_and_the_subject_catches_up(
    federation: Federation, applied: Applied
) -> None:
    rows = [send(federation, value) for value in (1, 2, 3)]
    # Messages 1 and 2 were "sent" but lost on the way; only 3 arrives.
    OutboxMessage.objects.filter(pk__in=[rows[0].pk, rows[1].pk]).update(status="delivered")
    prefecture = Peer(ref=PREFECTURE, url=federation.prefecture.url)
    response = post(
        prefecture, "/node/inbox", rows[2].token.encode(), client_context(federation.municipality.node.files)
    )
    assert (response.status, response.body["status"], response.body["missing"]) == (202, "stored", [1, 2])
    assert applied.rows == []

    assert request_missing(federation.prefecture.node) == 1
    federation.municipality.wait_idle()
    # 1 and 2 are queued again; 3 was posted by hand above, so the outbox still has it pending too.
    assert statuses() == ["pending", "pending", "pending"]
    assert deliver_due(federation.municipality.node).delivered == 3
    assert applied.seqs() == [1, 2, 3]
    assert list(OutboxMessage.objects.order_by("id").values_list("receipt", flat=True)) == [
        "applied",
        "applied",
        "duplicate",
    ]
    assert len(actions("node:message:resend")) == 2  # asked for (prefecture), queued again (municipality)
    # Nothing is missing any more, so nothing is asked for again.
    assert request_missing(federation.prefecture.node, now=later(60)) == 0


def test_a_permanent_refusal_sets_the_message_aside_and_both_sides_audit_it(
    federation: Federation, applied: Applied, caplog: pytest.LogCaptureFixture
) -> None:
    node = federation.municipality.node
    wrong = new_envelope(
        type=TEST_TYPE,
        sender=MUNICIPALITY,
        receiver=NodeRef("national", "00"),
        subject="s1",
        seq=1,
        payload={"value": 1},
    )
    queue_by_hand(wrong, node)
    report = deliver_due(node)
    assert report.poisoned == 1
    row = OutboxMessage.objects.get()
    assert row.status == "poison"
    assert row.last_error.startswith("misdirected")
    receiver_side = actions("node:message:refuse")
    sender_side = actions("node:message:quarantine")
    assert [(e.outcome, e.outcome_reason) for e in receiver_side] == [("refused", "misdirected")]
    assert [(e.outcome, e.outcome_reason) for e in sender_side] == [("refused", "misdirected")]
    assert applied.rows == []
    assert any("ALERT" in record.message for record in caplog.records)


@override_settings(JUMIN_MESSAGING_HOLD_WINDOW=2, JUMIN_MESSAGING_MAX_ATTEMPTS=2)
def test_a_retryable_refusal_backs_off_then_sets_aside_after_the_last_attempt(federation: Federation) -> None:
    node = federation.municipality.node
    ahead = new_envelope(
        type=TEST_TYPE, sender=MUNICIPALITY, receiver=PREFECTURE, subject="s9", seq=5, payload={"value": 1}
    )
    queue_by_hand(ahead, node)
    assert deliver_due(node).retried == 1
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now()
    assert deliver_due(node).retried == 0  # not due yet
    assert deliver_due(node, now=later(60)).poisoned == 1
    assert OutboxMessage.objects.get().status == "poison"


def test_a_client_certificate_from_another_ca_is_refused_in_the_handshake_and_audited(
    federation: Federation, applied: Applied, tmp_path: Path
) -> None:
    rogue_ca = create_ca(tmp_path / "rogue-ca")
    rogue = init_node(tmp_path / "rogue", MUNICIPALITY, ca_dir=rogue_ca)  # claims to be 佐世保市
    context = ssl.create_default_context(cafile=str(federation.ca / "ca-cert.pem"))
    context.load_cert_chain(str(rogue.tls_cert), str(rogue.tls_key))
    send(federation, 1)
    token = OutboxMessage.objects.get().token.encode()
    with pytest.raises(PeerUnreachable):
        post(Peer(ref=PREFECTURE, url=federation.prefecture.url), "/node/inbox", token, context)
    assert federation.prefecture.handshake_refused.wait(WAIT)
    assert applied.rows == []
    assert not InboxMessage.objects.exists()
    entry = AuditEntry.objects.get(action="node:connection:refuse")
    assert (entry.outcome, entry.subject_id) == ("refused", "127.0.0.1")


def test_a_federation_node_missing_from_the_peer_list_is_refused_and_audited(
    federation: Federation, applied: Applied, tmp_path: Path
) -> None:
    outsider = federation.outsider(tmp_path)
    forged = new_envelope(
        type=TEST_TYPE, sender=outsider.ref, receiver=PREFECTURE, subject="s1", seq=1, payload={"value": 1}
    )
    token = sign_envelope(forged, outsider.node.signing_key).encode()
    response = post(
        Peer(ref=PREFECTURE, url=federation.prefecture.url),
        "/node/inbox",
        token,
        client_context(outsider.node.files),
    )
    assert (response.status, response.body["status"], response.body["reason"]) == (
        403,
        "refused",
        "unknown_peer",
    )
    assert applied.rows == []
    assert AuditEntry.objects.get(action="node:message:refuse").outcome_reason == "unknown_peer"


def test_a_configured_peer_cannot_send_in_another_nodes_name(
    federation: Federation, applied: Applied, tmp_path: Path
) -> None:
    outsider = federation.outsider(tmp_path)
    add_peer(federation.prefecture.directory, peer_entry(outsider.node, "https://127.0.0.1:1"))
    # Signed with the municipality's key, but sent over the outsider's TLS connection.
    send(federation, 1)
    token = OutboxMessage.objects.get().token.encode()
    response = post(
        Peer(ref=PREFECTURE, url=federation.prefecture.url),
        "/node/inbox",
        token,
        client_context(outsider.node.files),
    )
    assert response.body["status"] == "refused"
    assert response.body["reason"] in ("signature", "unknown_peer")
    assert applied.rows == []


def test_a_server_that_is_another_node_is_not_sent_anything(
    federation: Federation, applied: Applied, tmp_path: Path
) -> None:
    outsider = federation.outsider(tmp_path)
    outsider.start()
    try:
        entry = peer_entry(
            federation.prefecture.node, outsider.url
        )  # the prefecture's keys, the outsider's address
        add_peer(federation.municipality.directory, entry)
        send(federation, 1)
        report = deliver_due(load_node(federation.municipality.directory))
        assert report.unreachable == [str(PREFECTURE)]
        assert PeerLink.objects.get(kind="prefecture").last_error == "identity_mismatch"
        assert statuses() == ["pending"]
        assert not InboxMessage.objects.exists()
    finally:
        outsider.wait_idle()
        outsider.stop()


def test_a_body_shorter_than_announced_is_refused_with_a_reason(
    federation: Federation, applied: Applied
) -> None:
    # The connection dropped mid-body: the node app gets fewer bytes than Content-Length announced.
    send(federation, 1)
    token = OutboxMessage.objects.get().token.encode()
    certificate = load_certificate(federation.municipality.node.files.tls_cert)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/node/inbox",
        "CONTENT_LENGTH": str(len(token) + 100),
        "wsgi.input": io.BytesIO(token),
        PEER_CERTIFICATE_KEY: certificate.public_bytes(serialization.Encoding.DER),
    }
    answers: list[str] = []
    app = make_app(federation.prefecture.node, manage_connections=False)
    body = json.loads(b"".join(app(environ, lambda status, headers: answers.append(status))))
    assert answers == ["400 Bad Request"]
    assert (body["status"], body["reason"]) == ("refused", "schema")
    assert applied.rows == []
    entry = AuditEntry.objects.get(action="node:message:refuse")
    assert (entry.outcome_reason, entry.reason.startswith("from municipality:422029")) == ("schema", True)


def test_the_health_check_names_the_node(federation: Federation) -> None:
    context = client_context(federation.municipality.node.files)
    connection = http.client.HTTPSConnection(
        "127.0.0.1", federation.prefecture.port, context=context, timeout=WAIT
    )
    try:
        connection.request("GET", "/node/health")
        body = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    assert body == {"node": "prefecture:420000", "status": "ok"}
