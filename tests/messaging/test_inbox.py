"""Outbox and inbox without the network: 更新順番号, de-duplication, ordering, replay and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings

from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.messaging import services
from jumin.messaging.envelope import NodeRef, Reason, new_envelope, sign_envelope
from jumin.messaging.models import InboxMessage, OutboxMessage
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
    return row.token


def receive(fed: Federation, token: str | bytes, peer: NodeRef | None = MUNICIPALITY) -> services.Receipt:
    data = token.encode("ascii") if isinstance(token, str) else token
    return services.receive(fed.prefecture.node, peer, data)


def audit_count(action: str, outcome: str = "done") -> int:
    return AuditEntry.objects.filter(action=action, outcome=outcome).count()


def test_sequence_numbers_count_per_receiver_and_subject(federation: Federation) -> None:
    for subject in ("s1", "s1", "s2", "s1"):
        send(federation, 1, subject)
    rows = OutboxMessage.objects.order_by("id").values_list("subject_key", "seq")
    assert list(rows) == [("s1", 1), ("s1", 2), ("s2", 1), ("s1", 3)]
    assert audit_count("node:message:enqueue") == 4


def test_the_outbox_row_rolls_back_with_the_callers_change(federation: Federation) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            services.enqueue(
                message_type=TEST_TYPE,
                receiver=PREFECTURE,
                subject="s1",
                payload={"value": 1},
                node=federation.municipality.node,
            )
            raise RuntimeError("synthetic failure of the caller's change")

    with pytest.raises(RuntimeError, match="synthetic"):
        change_that_fails()
    assert not OutboxMessage.objects.exists()
    send(federation, 2)
    assert OutboxMessage.objects.get().seq == 1  # the rolled-back number is not burnt


def test_enqueue_refuses_outside_a_transaction(federation: Federation) -> None:
    node = federation.municipality.node
    # pytest-django wraps every test in a transaction; pretend there is none to reach the guard.
    connection = transaction.get_connection()
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="transaction"):
            services.enqueue(
                message_type=TEST_TYPE, receiver=PREFECTURE, subject="s1", payload={"value": 1}, node=node
            )
    finally:
        connection.in_atomic_block = True
    assert not OutboxMessage.objects.exists()


def test_enqueue_refuses_an_unknown_receiver_type_and_a_bad_payload(federation: Federation) -> None:
    node = federation.municipality.node
    national = NodeRef("national", "00")
    with transaction.atomic():
        with pytest.raises(DomainError) as unknown:
            services.enqueue(
                message_type=TEST_TYPE, receiver=national, subject="s1", payload={"value": 1}, node=node
            )
        assert unknown.value.code == "messaging.unknown_receiver"
        with pytest.raises(DomainError):
            services.enqueue(
                message_type=TEST_TYPE, receiver=PREFECTURE, subject="s1", payload={"v": 1}, node=node
            )
        with pytest.raises(DomainError):
            services.enqueue(message_type="no.such", receiver=PREFECTURE, subject="s1", payload={}, node=node)
    assert not OutboxMessage.objects.exists()


def test_messages_in_order_are_applied_once_each(federation: Federation, applied: Applied) -> None:
    tokens = [send(federation, value) for value in (10, 20, 30)]
    assert [receive(federation, token).status for token in tokens] == ["applied"] * 3
    assert applied.seqs() == [1, 2, 3]
    assert [row[3] for row in applied.rows] == [10, 20, 30]
    assert audit_count("node:message:apply") == 3
    assert audit_count("node:message:receive") == 3


def test_a_duplicate_is_acknowledged_and_not_applied_again(federation: Federation, applied: Applied) -> None:
    token = send(federation, 10)
    assert receive(federation, token).status == "applied"
    again = receive(federation, token)
    assert (again.status, again.http_status) == ("duplicate", 200)
    assert applied.seqs() == [1]
    assert InboxMessage.objects.count() == 1


def test_reordered_messages_wait_for_the_gap_and_apply_in_order(
    federation: Federation, applied: Applied
) -> None:
    first, second, third = (send(federation, value) for value in (1, 2, 3))
    held = receive(federation, third)
    assert (held.status, held.missing, held.http_status) == ("stored", (1, 2), 202)
    assert applied.rows == []
    assert receive(federation, first).status == "applied"
    assert applied.seqs() == [1]
    assert receive(federation, second).status == "applied"
    assert applied.seqs() == [1, 2, 3]
    assert not InboxMessage.objects.filter(status="held").exists()


def test_subjects_are_ordered_independently(federation: Federation, applied: Applied) -> None:
    a1, a2, b1 = send(federation, 1, "s1"), send(federation, 2, "s1"), send(federation, 3, "s2")
    assert receive(federation, a2).status == "stored"
    assert receive(federation, b1).status == "applied"
    assert receive(federation, a1).status == "applied"
    assert applied.seqs("s1") == [1, 2]
    assert applied.seqs("s2") == [1]


def test_a_replayed_sequence_number_under_a_new_id_is_refused_and_audited(
    federation: Federation, applied: Applied
) -> None:
    receive(federation, send(federation, 1))
    forged = new_envelope(
        type=TEST_TYPE, sender=MUNICIPALITY, receiver=PREFECTURE, subject="s1", seq=1, payload={"value": 9}
    )
    receipt = receive(federation, sign_envelope(forged, federation.municipality.node.signing_key))
    assert (receipt.status, receipt.reason, receipt.http_status) == ("refused", Reason.REPLAY, 409)
    assert applied.seqs() == [1]
    entry = AuditEntry.objects.get(action="node:message:refuse")
    assert (entry.outcome, entry.outcome_reason, entry.subject_id) == ("refused", "replay", forged.id)


def test_the_same_id_with_other_content_is_refused(federation: Federation, applied: Applied) -> None:
    node = federation.municipality.node
    original = new_envelope(
        type=TEST_TYPE, sender=MUNICIPALITY, receiver=PREFECTURE, subject="s1", seq=1, payload={"value": 1}
    )
    receive(federation, sign_envelope(original, node.signing_key))
    changed = new_envelope(
        type=TEST_TYPE, sender=MUNICIPALITY, receiver=PREFECTURE, subject="s1", seq=2, payload={"value": 2}
    )
    changed = type(changed)(**{**changed.__dict__, "id": original.id})
    assert receive(federation, sign_envelope(changed, node.signing_key)).reason == Reason.REPLAY
    assert applied.seqs() == [1]


def test_a_wrongly_signed_message_is_refused_and_audited(federation: Federation, applied: Applied) -> None:
    header, payload, signature = send(federation, 1).split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    receipt = receive(federation, tampered)
    assert (receipt.reason, receipt.http_status) == (Reason.SIGNATURE, 401)
    assert applied.rows == []
    assert not InboxMessage.objects.exists()
    assert AuditEntry.objects.get(action="node:message:refuse").outcome_reason == "signature"


def test_a_truncated_message_is_refused(federation: Federation, applied: Applied) -> None:
    token = send(federation, 1)
    assert receive(federation, token[: len(token) // 2]).status == "refused"
    assert receive(federation, token[:-3]).reason == Reason.SIGNATURE
    assert applied.rows == []


def test_a_message_from_a_node_not_configured_is_refused(federation: Federation, applied: Applied) -> None:
    token = send(federation, 1)
    assert receive(federation, token, peer=NodeRef("municipality", "422011")).reason == Reason.UNKNOWN_PEER
    assert receive(federation, token, peer=None).reason == Reason.UNKNOWN_PEER
    assert applied.rows == []
    assert audit_count("node:message:refuse", "refused") == 2


def test_a_message_for_another_node_is_refused_as_misdirected(federation: Federation) -> None:
    node = federation.municipality.node
    other = new_envelope(
        type=TEST_TYPE,
        sender=MUNICIPALITY,
        receiver=NodeRef("national", "00"),
        subject="s1",
        seq=1,
        payload={"value": 1},
    )
    receipt = receive(federation, sign_envelope(other, node.signing_key))
    assert (receipt.reason, receipt.http_status) == (Reason.MISDIRECTED, 421)


def test_a_payload_its_type_refuses_and_an_unknown_type_are_refused_as_schema(federation: Federation) -> None:
    key = federation.municipality.node.signing_key
    bad = new_envelope(
        type=TEST_TYPE, sender=MUNICIPALITY, receiver=PREFECTURE, subject="s1", seq=1, payload={"value": "x"}
    )
    unknown = new_envelope(
        type="no.such", sender=MUNICIPALITY, receiver=PREFECTURE, subject="s1", seq=1, payload={}
    )
    assert receive(federation, sign_envelope(bad, key)).reason == Reason.SCHEMA
    assert receive(federation, sign_envelope(unknown, key)).reason == Reason.SCHEMA


def test_a_message_from_the_future_is_refused(federation: Federation) -> None:
    later = datetime.now(UTC) + timedelta(days=1)
    envelope = new_envelope(
        type=TEST_TYPE,
        sender=MUNICIPALITY,
        receiver=PREFECTURE,
        subject="s1",
        seq=1,
        payload={"value": 1},
        created=later,
    )
    assert (
        receive(federation, sign_envelope(envelope, federation.municipality.node.signing_key)).reason
        == Reason.REPLAY
    )


@override_settings(JUMIN_MESSAGING_HOLD_WINDOW=2)
def test_a_message_too_far_ahead_is_refused_for_now(federation: Federation) -> None:
    key = federation.municipality.node.signing_key
    ahead = new_envelope(
        type=TEST_TYPE, sender=MUNICIPALITY, receiver=PREFECTURE, subject="s1", seq=3, payload={"value": 1}
    )
    receipt = receive(federation, sign_envelope(ahead, key))
    assert (receipt.reason, receipt.http_status) == (Reason.ORDERING, 409)
    assert Reason.ORDERING in Reason.RETRYABLE


def test_a_handler_that_refuses_sets_the_message_aside_and_holds_the_rest(
    federation: Federation, applied: Applied, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = send(federation, -1), send(federation, 5)
    assert receive(federation, first).status == "stored"
    assert receive(federation, second).status == "stored"
    assert applied.rows == []
    assert InboxMessage.objects.get(seq=1).status == "poison"
    assert InboxMessage.objects.get(seq=2).status == "held"
    entry = AuditEntry.objects.get(action="node:message:quarantine")
    assert (entry.outcome, entry.outcome_reason) == ("refused", "handler_refused")
    assert any("ALERT" in record.message for record in caplog.records)


def test_a_passing_handler_failure_is_retried_later(federation: Federation, applied: Applied) -> None:
    applied.fail_transient.add(7)
    token = send(federation, 7)
    assert receive(federation, token).status == "stored"
    row = InboxMessage.objects.get()
    assert (row.status, row.attempts) == ("held", 1)
    assert services.retry_held(node=federation.prefecture.node) == 1
    assert applied.seqs() == [1]
    assert InboxMessage.objects.get().status == "applied"


@pytest.mark.django_db
def test_the_reads_of_unapplied_rows_seek_an_index_instead_of_reading_the_whole_inbox() -> None:
    # Each delivery round reads the held rows of every sender, and each received batch the unapplied
    # rows of its subjects: both must stay small reads however many applied rows the inbox holds.
    if connection.vendor == "postgresql":
        assert any(
            index.name == "messaging_inbox_status"
            and list(index.fields) == ["receiver_kind", "receiver_code", "status"]
            for index in InboxMessage._meta.indexes
        )
        return
    local = {"receiver_kind": "prefecture", "receiver_code": "420000"}
    held = InboxMessage.objects.filter(**local, status=InboxMessage.Status.HELD)
    unapplied = InboxMessage.objects.filter(
        **local,
        sender_kind="municipality",
        sender_code="422029",
        subject_key__in=["s1", "s2"],
        status__in=services.UNAPPLIED_STATUSES,
    )
    for queryset, seek in ((held, "status=?"), (unapplied, "sender_code=? AND status=?")):
        sql, params = queryset.values_list("subject_key", "seq").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(step[-1]) for step in cursor.fetchall())
        assert seek in plan, plan
