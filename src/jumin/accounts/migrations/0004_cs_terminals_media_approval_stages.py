"""CS terminals (C-4), two-stage media approval with post-use checks (C-28), and the registers made
append-only by the database itself (C-12, C-15, C-27): triggers refuse UPDATE and DELETE on SQLite and
PostgreSQL (and TRUNCATE on PostgreSQL), as the audit log's do (audit migrations 0002 and 0004).

On SQLite a later migration that rebuilds one of these tables drops its triggers with the old table:
such a migration must run ``append_only_statements`` again (tests/accounts/test_registers.py fails
if a trigger is missing).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Tables whose rows are only ever inserted, with the short name used in trigger names.
APPEND_ONLY_TABLES = {
    "accounts_grantregisterentry": "grant_register",
    "accounts_hrevent": "hr_event",
    "accounts_mediaoutputrecord": "media_output",
    "accounts_approvaldecision": "approval_decision",
}
MESSAGE = "accounts register is append-only"


def append_only_statements(vendor: str) -> list[str]:
    """The idempotent statements that make every table in APPEND_ONLY_TABLES append-only."""
    statements: list[str] = []
    if vendor == "postgresql":
        statements.append(
            "CREATE OR REPLACE FUNCTION accounts_register_refuse_change() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;"
        )
        for table, name in APPEND_ONLY_TABLES.items():
            statements += [
                f"DROP TRIGGER IF EXISTS accounts_{name}_no_update_delete ON {table};",
                f"DROP TRIGGER IF EXISTS accounts_{name}_no_truncate ON {table};",
                f"CREATE TRIGGER accounts_{name}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION accounts_register_refuse_change();",
                f"CREATE TRIGGER accounts_{name}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION accounts_register_refuse_change();",
            ]
        return statements
    for table, name in APPEND_ONLY_TABLES.items():
        for event in ("update", "delete"):
            statements += [
                f"DROP TRIGGER IF EXISTS accounts_{name}_no_{event};",
                f"CREATE TRIGGER accounts_{name}_no_{event} BEFORE {event.upper()} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
            ]
    return statements


def drop_statements(vendor: str) -> list[str]:
    """Backwards: remove the triggers (and the PostgreSQL function)."""
    if vendor == "postgresql":
        statements = [
            f"DROP TRIGGER IF EXISTS accounts_{name}_no_{kind} ON {table};"
            for table, name in APPEND_ONLY_TABLES.items()
            for kind in ("update_delete", "truncate")
        ]
        return [*statements, "DROP FUNCTION IF EXISTS accounts_register_refuse_change();"]
    return [
        f"DROP TRIGGER IF EXISTS accounts_{name}_no_{event};"
        for name in APPEND_ONLY_TABLES.values()
        for event in ("update", "delete")
    ]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    for statement in append_only_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    for statement in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_totp_secret_sealed"),
    ]

    operations = [
        migrations.AddField(
            model_name="terminal",
            name="biometric_only",
            field=models.BooleanField(default=False, verbose_name="CS端末（生体認証のみ）"),
        ),
        migrations.CreateModel(
            name="MediaUseCheck",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="作成日時")),
                ("checked_at", models.DateTimeField(blank=True, null=True, verbose_name="点検日時")),
                ("erased", models.BooleanField(default=False, verbose_name="消去確認")),
                ("note", models.CharField(blank=True, max_length=400, verbose_name="所見")),
                (
                    "checked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "output",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="use_check",
                        to="accounts.mediaoutputrecord",
                    ),
                ),
            ],
            options={
                "verbose_name": "媒体使用後点検",
                "verbose_name_plural": "媒体使用後点検",
            },
        ),
        migrations.CreateModel(
            name="ApprovalDecision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("stage", models.PositiveSmallIntegerField(verbose_name="段階")),
                ("role", models.CharField(max_length=40, verbose_name="承認者の役割")),
                ("approved", models.BooleanField(verbose_name="承認")),
                ("reason", models.CharField(blank=True, max_length=400, verbose_name="理由")),
                ("decided_at", models.DateTimeField(auto_now_add=True, verbose_name="決裁日時")),
                (
                    "approval",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="decisions",
                        to="accounts.approvalrequest",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "出力承認の決裁",
                "verbose_name_plural": "出力承認の決裁",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("approval", "stage"), name="accounts_one_decision_per_stage"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
