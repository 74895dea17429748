"""``jumin manage purge_messages``: delete finished node messages older than the retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.messaging.conf import RetentionTooShortError
from jumin.messaging.retention import purge_messages


class Command(BaseCommand):
    help = (
        "保存期間（JUMIN_MESSAGE_RETENTION_DAYS、既定7年）を過ぎた送達済み・適用済みメッセージを削除します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="件数だけを表示し、削除しません。")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = purge_messages(dry_run=options["dry_run"])
        except RetentionTooShortError as error:
            raise CommandError(str(error)) from None
        verb = "削除対象" if report.dry_run else "削除"
        cutoff = f"{report.cutoff:%Y-%m-%d %H:%M}"
        self.stdout.write(f"{cutoff} より前: 送信 {report.outbox:,}件、受信 {report.inbox:,}件を{verb}")
        self.stdout.write(f"PURGED OUTBOX {report.outbox} INBOX {report.inbox}")
