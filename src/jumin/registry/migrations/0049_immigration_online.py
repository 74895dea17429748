"""The channel of 市町村通知 and received 法30条の50 notices (online through the 入管連携端末 M10, or a file);
a notice received online has no receiving clerk. Notices sent before this left as files."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _sent_as_files(apps: object, schema_editor: object) -> None:
    notice = apps.get_model("registry", "MunicipalityNotice")  # type: ignore[attr-defined]
    notice.objects.filter(sent_at__isnull=False).update(channel="file")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0048_e_application_certificate_serial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="municipalitynotice",
            name="channel",
            field=models.CharField(
                blank=True,
                choices=[("file", "ファイル・媒体"), ("online", "オンライン（入管連携端末）")],
                default="",
                max_length=10,
                verbose_name="送信経路",
            ),
        ),
        migrations.AddField(
            model_name="receivedimmigrationnotice",
            name="channel",
            field=models.CharField(
                choices=[("file", "ファイル・媒体"), ("online", "オンライン（入管連携端末）")],
                default="file",
                max_length=10,
                verbose_name="受信経路",
            ),
        ),
        migrations.AlterField(
            model_name="receivedimmigrationnotice",
            name="received_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(_sent_as_files, migrations.RunPython.noop),
    ]
