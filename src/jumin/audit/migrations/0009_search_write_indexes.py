"""The result rows' entry index goes: the unique (entry, position) index serves lookups by entry.

A search writes up to a thousand result rows (P2), each into every index of the table. The index is
dropped by name, not through ``AlterField``, which on SQLite would rebuild the table and drop its
append-only triggers (0004).
"""

import django.db.models.deletion
from django.db import migrations, models

from jumin.schema_indexes import create_column_index, drop_column_index

TABLE = "audit_auditresultsubject"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    drop_column_index(schema_editor, TABLE, "entry_id")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    create_column_index(schema_editor, TABLE, "entry_id", "audit_auditresultsubject_entry_id_8b98e0e9")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0008_retention_setting_append_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditresultsubject",
                    name="entry",
                    field=models.ForeignKey(
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
