"""Tokens sealed at rest in the outbox and the inbox (docs/network.md "Tokens at rest")."""

from __future__ import annotations

from django.db import connection, transaction

from jumin.messaging import services
from jumin.messaging.delivery import deliver_due
from jumin.messaging.envelope import decode_verified, token_digest
from jumin.messaging.models import InboxMessage, InboxStream, OutboxMessage
from tests.messaging.conftest import PREFECTURE, TEST_TYPE, Applied, Federation

VALUE = 987654321  # stands for a 個人番号 in a business payload


def raw_token(model: type[OutboxMessage] | type[InboxMessage], pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def enqueue(fed: Federation, value: int = VALUE) -> tuple[OutboxMessage, str]:
    with transaction.atomic():
        row = services.enqueue(
            message_type=TEST_TYPE,
            receiver=PREFECTURE,
            subject="s1",
            payload={"value": value},
            node=fed.municipality.node,
        )
    return row, str(row.token)


def test_tokens_are_sealed_in_both_tables_and_delivered_byte_for_byte(
    federation: Federation, applied: Applied
) -> None:
    row, signed = enqueue(federation)
    payload_part = signed.split(".")[1]
    stored = raw_token(OutboxMessage, row.pk)
    assert stored.startswith("s1:")
    assert payload_part not in stored
    assert str(VALUE) not in stored
    # Read back through the model: the exact signed text.
    assert services.signed_token(OutboxMessage.objects.get(pk=row.pk)) == signed
    assert "987654321" not in repr(OutboxMessage.objects.get(pk=row.pk).token)

    assert deliver_due(federation.municipality.node).delivered == 1
    assert [value for *_, value in applied.rows] == [VALUE]
    inbox = InboxMessage.objects.get()
    # The receiver got exactly the signed bytes: same digest, same text once unsealed.
    assert inbox.token_digest == token_digest(signed)
    assert services.signed_token(inbox) == signed
    stored_inbox = raw_token(InboxMessage, inbox.pk)
    assert stored_inbox.startswith("s1:")
    assert payload_part not in stored_inbox


def test_a_token_stored_before_sealing_is_still_read_and_delivered(
    federation: Federation, applied: Applied
) -> None:
    row, signed = enqueue(federation, 5)
    with connection.cursor() as cursor:  # as a row written before migration 0004
        cursor.execute(
            f"UPDATE {OutboxMessage._meta.db_table} SET token = %s WHERE id = %s",  # noqa: S608
            [signed, row.pk],
        )
    legacy = OutboxMessage.objects.get(pk=row.pk)
    assert services.signed_token(legacy) == signed
    assert decode_verified(services.signed_token(legacy)).payload == {"value": 5}
    assert deliver_due(federation.municipality.node).delivered == 1
    assert [value for *_, value in applied.rows] == [5]
    # Delivery updates the row without rewriting the token: it stays readable.
    assert services.signed_token(OutboxMessage.objects.get(pk=row.pk)) == signed


def corrupt(model: type[OutboxMessage] | type[InboxMessage], pk: int) -> None:
    """Make a stored token unreadable, as when the data key that sealed it is gone."""
    stored = raw_token(model, pk)
    broken = stored[:-8] + ("A" * 8 if not stored.endswith("A" * 8) else "B" * 8)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET token = %s WHERE id = %s", [broken, pk])  # noqa: S608


def test_an_unreadable_outbox_token_is_set_aside_and_the_next_message_still_leaves(
    federation: Federation, applied: Applied
) -> None:
    lost, _ = enqueue(federation, value=1)
    with transaction.atomic():
        services.enqueue(
            message_type=TEST_TYPE,
            receiver=PREFECTURE,
            subject="s2",
            payload={"value": 2},
            node=federation.municipality.node,
        )
    corrupt(OutboxMessage, lost.pk)

    report = deliver_due(federation.municipality.node)

    assert report.delivered == 1
    assert [value for *_, value in applied.rows] == [2]
    lost.refresh_from_db()
    assert lost.status == OutboxMessage.Status.POISON
    assert lost.last_error.startswith("unsealable")


def test_an_unreadable_held_inbox_token_counts_as_a_failed_run_instead_of_failing_every_round(
    federation: Federation, applied: Applied
) -> None:
    _, signed = enqueue(federation)
    receipt = services.receive(
        federation.prefecture.node, federation.municipality.node.ref, signed.encode("ascii")
    )
    assert receipt.status == "applied"
    # Put the message back in line, held, with a token whose data key is gone; the retry round meets it.
    inbox = InboxMessage.objects.get()
    InboxMessage.objects.filter(pk=inbox.pk).update(status=InboxMessage.Status.HELD, applied_at=None)
    InboxStream.objects.update(last_applied_seq=0)
    corrupt(InboxMessage, inbox.pk)

    services.retry_held(node=federation.prefecture.node)  # must not raise

    inbox.refresh_from_db()
    assert inbox.status == InboxMessage.Status.HELD
    assert inbox.attempts == 1
    assert inbox.last_error == "SealedSecretError"
