"""附票の検索: the 清音化 reading key of each 附票 and an index on the birth date (fuhyo_search)."""

from typing import Any

from django.db import migrations, models

from jumin.jukinet.common.keys import kana_key


def fill_kana_keys(apps: Any, schema_editor: Any) -> None:
    """The key of every 附票 already held, from its stored reading (the same function as new updates)."""
    record = apps.get_model("jukinet_prefecture", "FuhyoRecord")
    rows = record.objects.using(schema_editor.connection.alias).only("pk", "items")
    batch = []
    for row in rows.iterator(chunk_size=2000):
        row.kana_key = kana_key(str(row.items.get("name_kana", "")))[:200]
        batch.append(row)
        if len(batch) == 2000:
            record.objects.using(schema_editor.connection.alias).bulk_update(batch, ["kana_key"])
            batch = []
    if batch:
        record.objects.using(schema_editor.connection.alias).bulk_update(batch, ["kana_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("jukinet_prefecture", "0002_fuhyo_forward_to_national"),
    ]

    operations = [
        migrations.AddField(
            model_name="fuhyorecord",
            name="kana_key",
            field=models.CharField(
                blank=True, db_index=True, default="", max_length=200, verbose_name="清音化かな検索キー"
            ),
        ),
        migrations.AlterField(
            model_name="fuhyorecord",
            name="birth_date",
            field=models.CharField(db_index=True, max_length=8, verbose_name="生年月日"),
        ),
        migrations.RunPython(fill_kana_keys, migrations.RunPython.noop),
    ]
