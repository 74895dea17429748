"""Seal every stored TOTP secret with AES-256-GCM (docs/security.md, "TOTP secrets at rest").

1. Widen the column to 255 characters (a sealed value is ``s1:<key id>:<base64url>``).
2. Encrypt each plaintext secret in place with raw SQL, so the step does not depend on the model
   field's Python behaviour; values already sealed are left alone (the step can run twice).
3. Switch the field to ``EncryptedSecretField`` (same column type: no schema change).

Backwards, the secrets are decrypted again into the wider column. No secret is printed or logged.
"""

from django.db import migrations, models

import jumin.crypto.fields

PURPOSE = "accounts.totp_secret"


def _rows(schema_editor, table):  # type: ignore[no-untyped-def]
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            # Identifiers come from the model, quoted; no value is interpolated.
            f"SELECT id, {quote('totp_secret')} FROM {quote(table)} WHERE {quote('totp_secret')} <> ''"  # noqa: S608
        )
        return list(cursor.fetchall())


def _write(schema_editor, table, pk, value):  # type: ignore[no-untyped-def]
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        sql = f"UPDATE {quote(table)} SET {quote('totp_secret')} = %s WHERE id = %s"  # noqa: S608
        cursor.execute(sql, [value, pk])


def seal_plaintext_secrets(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Encrypt every TOTP secret that is still plaintext; returns nothing, prints nothing."""
    from jumin.crypto.sealed import is_sealed, seal_secret

    table = apps.get_model("accounts", "User")._meta.db_table
    for pk, value in _rows(schema_editor, table):
        if not is_sealed(value):
            _write(schema_editor, table, pk, seal_secret(value, purpose=PURPOSE))


def open_sealed_secrets(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Backwards: decrypt the sealed secrets into plaintext again."""
    from jumin.crypto.sealed import is_sealed, open_secret

    table = apps.get_model("accounts", "User")._meta.db_table
    for pk, value in _rows(schema_editor, table):
        if is_sealed(value):
            _write(schema_editor, table, pk, str(open_secret(value, purpose=PURPOSE)))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_security_foundation")]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="totp_secret",
            field=models.CharField(blank=True, max_length=255, verbose_name="TOTP秘密鍵"),
        ),
        migrations.RunPython(seal_plaintext_secrets, open_sealed_secrets),
        migrations.AlterField(
            model_name="user",
            name="totp_secret",
            field=jumin.crypto.fields.EncryptedSecretField(
                blank=True, max_length=255, purpose=PURPOSE, verbose_name="TOTP秘密鍵"
            ),
        ),
    ]
