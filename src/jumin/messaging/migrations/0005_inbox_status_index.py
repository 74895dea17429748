"""An index for the held rows of every sender: each delivery round reads them (docs/network.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0004_tokens_sealed"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="inboxmessage",
            index=models.Index(
                fields=["receiver_kind", "receiver_code", "status"], name="messaging_inbox_status"
            ),
        ),
    ]
