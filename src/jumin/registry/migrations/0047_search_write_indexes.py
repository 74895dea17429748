"""The search history's user index goes: the (user, created_at) index serves lookups by user.

Every search writes one history row (P2). Dropped by name rather than through ``AlterField``, which on
SQLite would copy the whole table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from jumin.schema_indexes import create_column_index, drop_column_index

TABLE = "registry_searchhistoryentry"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    drop_column_index(schema_editor, TABLE, "user_id")


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    create_column_index(schema_editor, TABLE, "user_id", "registry_searchhistoryentry_user_id_2c23d056")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0046_move_in_plans"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="searchhistoryentry",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
