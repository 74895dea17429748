"""The per-person index of search results moves off the request path (P2; models.ListedSubject).

The rows already listed are copied into ``ListedSubject`` (sorted by person, before its index is
built) and the head is set to the last entry; both tables get the append-only guards of 0004, and
the head may only move forward.
"""

import django.db.models.deletion
from django.db import migrations, models


def _copy_listed(apps, schema_editor):  # type: ignore[no-untyped-def]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_listedsubject (subject_id, entry_id) "
            "SELECT subject_id, entry_id FROM audit_auditresultsubject ORDER BY subject_id, entry_id"
        )
        cursor.execute("SELECT COALESCE(MAX(entry_id), 0) FROM audit_auditresultsubject")
        through = int(cursor.fetchone()[0])
        cursor.execute("INSERT INTO audit_listedindexhead (id, indexed_through) VALUES (1, %s)", [through])


_SQLITE_GUARDS = [
    """CREATE TRIGGER audit_listed_no_update BEFORE UPDATE ON audit_listedsubject
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
    """CREATE TRIGGER audit_listed_no_delete BEFORE DELETE ON audit_listedsubject
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
    """CREATE TRIGGER audit_listed_head_no_delete BEFORE DELETE ON audit_listedindexhead
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;""",
    """CREATE TRIGGER audit_listed_head_forward BEFORE UPDATE ON audit_listedindexhead
       WHEN NEW.indexed_through < OLD.indexed_through OR NEW.id <> OLD.id
       BEGIN SELECT RAISE(ABORT, 'the listed index only moves forward'); END;""",
]

_SQLITE_UNGUARDS = [
    "DROP TRIGGER IF EXISTS audit_listed_no_update;",
    "DROP TRIGGER IF EXISTS audit_listed_no_delete;",
    "DROP TRIGGER IF EXISTS audit_listed_head_no_delete;",
    "DROP TRIGGER IF EXISTS audit_listed_head_forward;",
]

_POSTGRES_GUARDS = [
    """CREATE TRIGGER audit_listed_no_update_delete BEFORE UPDATE OR DELETE ON audit_listedsubject
       FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change();""",
    """CREATE TRIGGER audit_listed_no_truncate BEFORE TRUNCATE ON audit_listedsubject
       FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change();""",
    """CREATE OR REPLACE FUNCTION audit_listed_head_refuse_rewind() RETURNS trigger AS $$
       BEGIN
         IF TG_OP <> 'UPDATE' OR NEW.indexed_through < OLD.indexed_through OR NEW.id <> OLD.id THEN
           RAISE EXCEPTION 'the listed index only moves forward';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_listed_head_forward BEFORE UPDATE OR DELETE ON audit_listedindexhead
       FOR EACH ROW EXECUTE FUNCTION audit_listed_head_refuse_rewind();""",
    """CREATE TRIGGER audit_listed_head_no_truncate BEFORE TRUNCATE ON audit_listedindexhead
       FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change();""",
]

_POSTGRES_UNGUARDS = [
    "DROP TRIGGER IF EXISTS audit_listed_no_update_delete ON audit_listedsubject;",
    "DROP TRIGGER IF EXISTS audit_listed_no_truncate ON audit_listedsubject;",
    "DROP TRIGGER IF EXISTS audit_listed_head_forward ON audit_listedindexhead;",
    "DROP TRIGGER IF EXISTS audit_listed_head_no_truncate ON audit_listedindexhead;",
    "DROP FUNCTION IF EXISTS audit_listed_head_refuse_rewind();",
]


def _guard(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in _POSTGRES_GUARDS if postgres else _SQLITE_GUARDS:
        schema_editor.execute(statement)


def _unguard(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in _POSTGRES_UNGUARDS if postgres else _SQLITE_UNGUARDS:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_head_previous_hash"),
    ]

    operations = [
        migrations.CreateModel(
            name="ListedIndexHead",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("indexed_through", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="ListedSubject",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("subject_id", models.CharField(max_length=64, verbose_name="対象ID")),
                (
                    "entry",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="audit.auditentry",
                    ),
                ),
            ],
            options={
                "verbose_name": "該当者索引",
                "verbose_name_plural": "該当者索引",
            },
        ),
        migrations.RemoveIndex(
            model_name="auditresultsubject",
            name="audit_result_subject_idx",
        ),
        migrations.RunPython(_copy_listed, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="listedsubject",
            index=models.Index(fields=["subject_id", "entry"], name="audit_listed_subject_idx"),
        ),
        migrations.RunPython(_guard, _unguard),
    ]
