"""Tokens sealed at rest in the outbox and the inbox (docs/network.md "Tokens at rest")."""

from __future__ import annotations

from django.db import connection, transaction

from jumin.messaging import services
from jumin.messaging.delivery import deliver_due
from jumin.messaging.envelope import decode_verified, token_digest
from jumin.messaging.models import InboxMessage, OutboxMessage
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
