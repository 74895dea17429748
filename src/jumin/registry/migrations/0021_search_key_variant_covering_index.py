# Issue 5 (docs/search.md "Indexes"): the kanji name shapes get a covering index like the kana ones
# (variant_key, birth day, then what every search filters on and returns), and the single-column indexes
# of full_key and variant_key go: each is the first column of a covering index (on PostgreSQL with the
# pattern operator class, which also answers equality).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0020_search_key_covering_kana_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="residentsearchkey",
            name="full_key",
            field=models.CharField(max_length=200, verbose_name="フリガナ検索キー（氏名）"),
        ),
        migrations.AlterField(
            model_name="residentsearchkey",
            name="variant_key",
            field=models.CharField(max_length=200, verbose_name="異体字検索キー（氏名）"),
        ),
        migrations.AddIndex(
            model_name="residentsearchkey",
            index=models.Index(
                fields=["variant_key", "birth_sort_date", "status", "is_current_address", "resident"],
                name="registry_skey_variant_idx",
                opclasses=["varchar_pattern_ops", "date_ops", "varchar_ops", "bool_ops", "int8_ops"],
            ),
        ),
    ]
