"""`jumin cs purge-sending-addresses [--date YYYY-MM-DD]`: delete 送付先情報 1 business day after linkage.

Run daily on the CS host (system.md F15 step 6). ``--date`` replays the batch as of another day.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jumin.accounts.command_args import as_of_day
from jumin.jukinet.cs.sending_addresses import purge_sending_addresses


class Command(BaseCommand):
    help = "連携後1開庁日を経過した送付先情報を削除します（毎日実行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="as-of day (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        day = as_of_day(options["date"])
        deleted = purge_sending_addresses(today=day)
        self.stdout.write(f"削除した送付先情報: {deleted}件")
