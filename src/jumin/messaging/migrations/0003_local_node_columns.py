"""Name the local end of every row (outbox sender, inbox receiver); docs/network.md "Transactional outbox".

Before this migration a database held one node, so every outbox row was sent by it and every inbox row
was received by it. The backfill reads that node from the rows' own signed tokens (the outbox sender,
else the inbox receiver), else from ``node.json`` in ``JUMIN_NODE_DIR``; the ordering tables get the
same node, so 更新順番号 streams continue where they were.
"""

import base64
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import migrations, models


def _envelope(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _local_node(apps: Any) -> tuple[str, str] | None:
    outbox = apps.get_model("messaging", "OutboxMessage").objects.values_list("token", flat=True).first()
    if outbox:
        sender = _envelope(outbox)["sender"]
        return str(sender["kind"]), str(sender["code"])
    inbox = apps.get_model("messaging", "InboxMessage").objects.values_list("token", flat=True).first()
    if inbox:
        receiver = _envelope(inbox)["receiver"]
        return str(receiver["kind"]), str(receiver["code"])
    configured = getattr(settings, "JUMIN_NODE_DIR", None)
    node_json = (Path(configured) if configured else Path(settings.VAR_DIR) / "node") / "node.json"
    if node_json.exists():
        document = json.loads(node_json.read_text(encoding="utf-8"))
        return str(document["kind"]), str(document["code"])
    return None


def backfill(apps: Any, schema_editor: Any) -> None:
    local = _local_node(apps)
    if local is None:
        return  # no rows and no node yet: nothing to attribute
    kind, code = local
    for model in ("OutboxMessage", "OutboxSequence"):
        apps.get_model("messaging", model).objects.filter(sender_kind="").update(
            sender_kind=kind, sender_code=code
        )
    for model in ("InboxMessage", "InboxStream"):
        apps.get_model("messaging", model).objects.filter(receiver_kind="").update(
            receiver_kind=kind, receiver_code=code
        )


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0002_set_aside_retired"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="inboxmessage",
            name="messaging_inbox_stream_seq",
        ),
        migrations.RemoveConstraint(
            model_name="inboxstream",
            name="messaging_inbox_stream",
        ),
        migrations.RemoveConstraint(
            model_name="outboxmessage",
            name="messaging_outbox_stream_seq",
        ),
        migrations.RemoveConstraint(
            model_name="outboxsequence",
            name="messaging_outbox_sequence_stream",
        ),
        migrations.RemoveIndex(
            model_name="inboxmessage",
            name="messaging_inbox_queue",
        ),
        migrations.RemoveIndex(
            model_name="outboxmessage",
            name="messaging_outbox_queue",
        ),
        migrations.AddField(
            model_name="inboxmessage",
            name="receiver_code",
            field=models.CharField(default="", max_length=6, verbose_name="宛先コード"),
        ),
        migrations.AddField(
            model_name="inboxmessage",
            name="receiver_kind",
            field=models.CharField(default="", max_length=16, verbose_name="宛先種別"),
        ),
        migrations.AddField(
            model_name="inboxstream",
            name="receiver_code",
            field=models.CharField(default="", max_length=6),
        ),
        migrations.AddField(
            model_name="inboxstream",
            name="receiver_kind",
            field=models.CharField(default="", max_length=16),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="sender_code",
            field=models.CharField(default="", max_length=6, verbose_name="送信元コード"),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="sender_kind",
            field=models.CharField(default="", max_length=16, verbose_name="送信元種別"),
        ),
        migrations.AddField(
            model_name="outboxsequence",
            name="sender_code",
            field=models.CharField(default="", max_length=6),
        ),
        migrations.AddField(
            model_name="outboxsequence",
            name="sender_kind",
            field=models.CharField(default="", max_length=16),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="inboxmessage",
            index=models.Index(
                fields=["receiver_kind", "receiver_code", "sender_kind", "sender_code", "status"],
                name="messaging_inbox_queue2",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                fields=["sender_kind", "sender_code", "receiver_kind", "receiver_code", "status", "id"],
                name="messaging_outbox_queue2",
            ),
        ),
        migrations.AddConstraint(
            model_name="inboxmessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("seq__gt", 0)),
                fields=("receiver_kind", "receiver_code", "sender_kind", "sender_code", "subject_key", "seq"),
                name="messaging_inbox_stream_seq2",
            ),
        ),
        migrations.AddConstraint(
            model_name="inboxstream",
            constraint=models.UniqueConstraint(
                fields=("receiver_kind", "receiver_code", "sender_kind", "sender_code", "subject_key"),
                name="messaging_inbox_stream2",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.UniqueConstraint(
                fields=("sender_kind", "sender_code", "receiver_kind", "receiver_code", "subject_key", "seq"),
                name="messaging_outbox_stream_seq2",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboxsequence",
            constraint=models.UniqueConstraint(
                fields=("sender_kind", "sender_code", "receiver_kind", "receiver_code", "subject_key"),
                name="messaging_outbox_sequence_stream2",
            ),
        ),
    ]
