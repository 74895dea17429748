"""Operators may retire a set-aside message (status 取下げ); docs/operations.md."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="inboxmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("held", "順番待ち"),
                    ("applied", "適用済み"),
                    ("poison", "隔離"),
                    ("retired", "取下げ"),
                ],
                default="held",
                max_length=16,
                verbose_name="状態",
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "送信待ち"),
                    ("delivered", "送達済み"),
                    ("poison", "隔離"),
                    ("retired", "取下げ"),
                ],
                default="pending",
                max_length=16,
                verbose_name="状態",
            ),
        ),
    ]
