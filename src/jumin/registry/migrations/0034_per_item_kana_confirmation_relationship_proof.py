"""フリガナ確認 per kana item (standard 1.1.18-a) and the 続柄を証する書類 (1.1.11-c).

The one flag per person becomes the 氏名's; the 旧氏 and 通称 flags start as that flag on every row
(the confirmation recorded so far covered the person's readings as a whole). No 続柄 proof was recorded
before: existing rows hold none.
"""

from django.db import migrations, models
from django.db.models import F


def _spread_kana_confirmation(apps, schema_editor):
    snapshot = apps.get_model("registry", "ResidentSnapshot")
    snapshot.objects.update(
        former_surname_kana_confirmed=F("kana_confirmed"), alias_kana_confirmed=F("kana_confirmed")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0033_removed_record_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="residentsnapshot",
            name="alias_kana_confirmed",
            field=models.BooleanField(default=False, verbose_name="通称フリガナ確認"),
        ),
        migrations.AddField(
            model_name="residentsnapshot",
            name="former_surname_kana_confirmed",
            field=models.BooleanField(default=False, verbose_name="旧氏フリガナ確認"),
        ),
        migrations.AddField(
            model_name="residentsnapshot",
            name="relationship_proof",
            field=models.JSONField(blank=True, default=None, null=True, verbose_name="続柄を証する書類"),
        ),
        migrations.AlterField(
            model_name="residentsnapshot",
            name="kana_confirmed",
            field=models.BooleanField(default=False, verbose_name="氏名フリガナ確認"),
        ),
        migrations.RunPython(_spread_kana_confirmation, migrations.RunPython.noop),
    ]
