"""The result rows' reference to their entry is checked once per statement on PostgreSQL (P2).

A foreign key checks each row on its own at commit: a search listing 200 people ran 200 checks,
about a millisecond of its time. The rows are written in one INSERT per entry (``audit.services``),
and entries are never updated or deleted (0002, 0004), so one check of the statement's rows keeps
the same guarantee: a trigger over the inserted rows refuses any row whose entry does not exist, with
the foreign-key error code. SQLite keeps its foreign key (its check is per row in-process and cheap);
the model says ``db_constraint=False`` for both, so that no engine expects the constraint by name.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "audit_auditresultsubject"
ENTRY_TABLE = "audit_auditentry"

CHECK_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_result_entry_check() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM (SELECT DISTINCT entry_id FROM inserted_rows) AS listed
        WHERE NOT EXISTS (SELECT 1 FROM audit_auditentry AS entry WHERE entry.id = listed.entry_id)
    ) THEN
        RAISE EXCEPTION 'audit result rows name an audit entry that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

CHECK_TRIGGER = (
    f"CREATE TRIGGER audit_result_entry_exists AFTER INSERT ON {TABLE} "
    "REFERENCING NEW TABLE AS inserted_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_result_entry_check()"
)


def _foreign_keys(cursor) -> list[str]:  # type: ignore[no-untyped-def]
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [TABLE]
    )
    return [row[0] for row in cursor.fetchall()]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in _foreign_keys(cursor):
            cursor.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
        cursor.execute(CHECK_FUNCTION)
        cursor.execute(CHECK_TRIGGER)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS audit_result_entry_exists ON {TABLE}")
        cursor.execute("DROP FUNCTION IF EXISTS audit_result_entry_check()")
        cursor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT audit_auditresultsub_entry_id_8b98e0e9_fk_audit_aud "
            f"FOREIGN KEY (entry_id) REFERENCES {ENTRY_TABLE} (id) DEFERRABLE INITIALLY DEFERRED"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0009_search_write_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditresultsubject",
                    name="entry",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="result_subjects",
                        to="audit.auditentry",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
