"""The retention settings are append-only in the database too, as the audit entries are (C-50).

The model already refuses ``save`` of an existing row and ``delete``; a queryset ``update()`` or
``delete()`` and raw SQL bypass the model, so triggers refuse them (the same function and
message as migration 0004's guards on PostgreSQL).
"""

from django.db import migrations

TABLE = "audit_auditretentionsetting"
NAME = "retention"

SQLITE_FORWARD = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_{NAME}_no_{event} BEFORE {event.upper()} ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"""
    for event in ("update", "delete")
]
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS audit_{NAME}_no_{event};" for event in ("update", "delete")]

POSTGRES_FORWARD = [
    f"DROP TRIGGER IF EXISTS audit_{NAME}_no_update_delete ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_{NAME}_no_truncate ON {TABLE};",
    f"""CREATE TRIGGER audit_{NAME}_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();""",
    f"""CREATE TRIGGER audit_{NAME}_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change();""",
]
POSTGRES_BACKWARD = [
    f"DROP TRIGGER IF EXISTS audit_{NAME}_no_update_delete ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_{NAME}_no_truncate ON {TABLE};",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES_FORWARD if postgres else SQLITE_FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES_BACKWARD if postgres else SQLITE_BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_retention_setting")]
    operations = [migrations.RunPython(forward, backward)]
