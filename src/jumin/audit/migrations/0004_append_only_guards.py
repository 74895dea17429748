"""Append-only guards for the result-list and checkpoint tables, and again for the entries (C-50).

On SQLite, migration 0003 rebuilt ``audit_auditentry`` (dropping the unique index on entry_hash),
which drops its triggers with the old table; they are created again here. Statements are
idempotent so the migration also runs where 0003 did not rebuild the table (PostgreSQL).
"""

from django.db import migrations

TABLES = ("audit_auditentry", "audit_auditresultsubject", "audit_auditcheckpoint")
SHORT = {
    "audit_auditentry": "entry",
    "audit_auditresultsubject": "result",
    "audit_auditcheckpoint": "checkpoint",
}


def _sqlite_forward() -> list[str]:
    statements = []
    for table in TABLES:
        name = SHORT[table]
        for event in ("update", "delete"):
            statements.append(f"DROP TRIGGER IF EXISTS audit_{name}_no_{event};")
            statements.append(
                f"""CREATE TRIGGER audit_{name}_no_{event} BEFORE {event.upper()} ON {table}
                   BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"""
            )
    return statements


def _sqlite_backward() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS audit_{SHORT[t]}_no_{e};"
        for t in TABLES
        if t != "audit_auditentry"
        for e in ("update", "delete")
    ]


def _postgres_forward() -> list[str]:
    statements = [
        """CREATE OR REPLACE FUNCTION audit_entry_refuse_change() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;"""
    ]
    for table in TABLES:
        name = SHORT[table]
        statements += [
            f"DROP TRIGGER IF EXISTS audit_{name}_no_update_delete ON {table};",
            f"DROP TRIGGER IF EXISTS audit_{name}_no_truncate ON {table};",
            f"""CREATE TRIGGER audit_{name}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
               FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();""",
            f"""CREATE TRIGGER audit_{name}_no_truncate BEFORE TRUNCATE ON {table}
               FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change();""",
        ]
    return statements


def _postgres_backward() -> list[str]:
    statements = []
    for table in TABLES:
        if table == "audit_auditentry":
            continue
        name = SHORT[table]
        statements += [
            f"DROP TRIGGER IF EXISTS audit_{name}_no_update_delete ON {table};",
            f"DROP TRIGGER IF EXISTS audit_{name}_no_truncate ON {table};",
        ]
    return statements


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in _postgres_forward() if postgres else _sqlite_forward():
        schema_editor.execute(statement)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in _postgres_backward() if postgres else _sqlite_backward():
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_checkpoints_results")]
    operations = [migrations.RunPython(forward, backward)]
