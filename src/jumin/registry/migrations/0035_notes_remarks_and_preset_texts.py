"""統合記載欄 (standard 1.1.14-a/b): type-C remarks (備考) and the preset type-B texts per 異動事由.

The preset table starts with the fixed wordings the standard itself gives: 「特別養子縁組」 and
「特別養子縁組解消」 for an adoptee moving in or out (1.1.14-c) and 「同一住所への転居」 (4.1.2.1-b).
A municipality adds its own texts in Django admin.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_STANDARD_TEXTS = (
    ("国内転入", "特別養子縁組", "標準仕様書 1.1.14-c"),
    ("国内転入", "特別養子縁組解消", "標準仕様書 1.1.14-c"),
    ("国内転出", "特別養子縁組", "標準仕様書 1.1.14-c"),
    ("国内転出", "特別養子縁組解消", "標準仕様書 1.1.14-c"),
    ("転居", "同一住所への転居", "標準仕様書 4.1.2.1-b"),
)


def _seed_standard_texts(apps, schema_editor):
    preset = apps.get_model("registry", "PresetNote")
    for order, (reason, text, source) in enumerate(_STANDARD_TEXTS, start=1):
        preset.objects.get_or_create(
            reason=reason, text=text, defaults={"sort_order": order, "source": source}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0034_per_item_kana_confirmation_relationship_proof"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PresetNote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("reason", models.CharField(max_length=20, verbose_name="異動事由")),
                ("text", models.CharField(max_length=200, verbose_name="定型文")),
                ("sort_order", models.PositiveSmallIntegerField(default=0, verbose_name="表示順")),
                ("active", models.BooleanField(default=True, verbose_name="使用中")),
                ("source", models.CharField(blank=True, max_length=100, verbose_name="出典")),
            ],
            options={
                "verbose_name": "留意事項の定型文",
                "verbose_name_plural": "留意事項の定型文",
                "ordering": ["reason", "sort_order", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("reason", "text"), name="registry_preset_note_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="ResidentRemark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("text", models.CharField(blank=True, max_length=200, verbose_name="備考")),
                ("recorded_on", models.DateField(verbose_name="記載日")),
                ("reason", models.CharField(max_length=200, verbose_name="理由")),
                ("written_at", models.DateTimeField(verbose_name="記録日時")),
                ("written_by_name", models.CharField(max_length=150, verbose_name="記録者")),
                (
                    "resident",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="registry.resident"
                    ),
                ),
                (
                    "withdraws",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="withdrawal",
                        to="registry.residentremark",
                    ),
                ),
                (
                    "written_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "備考（統合記載欄C）",
                "verbose_name_plural": "備考（統合記載欄C）",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("withdraws__isnull", True), models.Q(("text", ""), _negated=True)),
                            models.Q(("text", ""), ("withdraws__isnull", False)),
                            _connector="OR",
                        ),
                        name="registry_remark_text_or_withdrawal",
                    )
                ],
            },
        ),
        migrations.RunPython(_seed_standard_texts, migrations.RunPython.noop),
    ]
