"""Seal the stored tokens at rest (docs/network.md "Tokens at rest").

1. Switch ``token`` of the outbox and the inbox to ``SealedTokenField`` (still a text column).
2. Encrypt each plaintext token in place with raw SQL, in batches, so the step does not depend on the
   model field's Python behaviour; values already sealed are left alone (the step can run twice).

Backwards, the tokens are decrypted again. No token is printed or logged.
"""

from typing import Any

from django.db import migrations

import jumin.messaging.models

COLUMNS = (
    ("OutboxMessage", "messaging.outbox.token"),
    ("InboxMessage", "messaging.inbox.token"),
)
BATCH = 500


def _convert(apps: Any, schema_editor: Any, *, seal: bool) -> None:
    from jumin.crypto.sealed import is_sealed, open_secret, seal_secret

    quote = schema_editor.quote_name
    for model_name, purpose in COLUMNS:
        table = quote(apps.get_model("messaging", model_name)._meta.db_table)
        last = 0
        while True:
            with schema_editor.connection.cursor() as cursor:
                # Identifiers come from the model, quoted; values are parameters.
                cursor.execute(
                    f"SELECT id, token FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                    [last, BATCH],
                )
                rows = list(cursor.fetchall())
                for pk, value in rows:
                    if seal and not is_sealed(value):
                        new = seal_secret(value, purpose=purpose)
                    elif not seal and is_sealed(value):
                        new = str(open_secret(value, purpose=purpose))
                    else:
                        continue
                    cursor.execute(f"UPDATE {table} SET token = %s WHERE id = %s", [new, pk])  # noqa: S608
            if len(rows) < BATCH:
                break
            last = rows[-1][0]


def seal_tokens(apps: Any, schema_editor: Any) -> None:
    _convert(apps, schema_editor, seal=True)


def open_tokens(apps: Any, schema_editor: Any) -> None:
    _convert(apps, schema_editor, seal=False)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_local_node_columns"),
    ]

    operations = [
        migrations.AlterField(
            model_name="inboxmessage",
            name="token",
            field=jumin.messaging.models.SealedTokenField(
                purpose="messaging.inbox.token", verbose_name="署名済みメッセージ（JWS、暗号化）"
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="token",
            field=jumin.messaging.models.SealedTokenField(
                purpose="messaging.outbox.token", verbose_name="署名済みメッセージ（JWS、暗号化）"
            ),
        ),
        migrations.RunPython(seal_tokens, open_tokens),
    ]
