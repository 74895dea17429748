"""`jumin cs erase-certificates [--date YYYY-MM-DD]`: erase held 転出証明書情報 unused 30 days after the
転出予定年月日 (system.md F02 timer). Run daily on the CS host (also the housekeeping job
``cs.erase_unused_certificates``); ``--date`` replays the run as of another day.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jumin.accounts.command_args import as_of_day
from jumin.jukinet.cs.special_move_in import erase_unused


class Command(BaseCommand):
    help = "転出予定年月日から30日を経過した未使用の転出証明書情報を消去します（毎日実行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="as-of day (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        day = as_of_day(options["date"])
        erased = erase_unused(today=day)
        self.stdout.write(f"消去した転出証明書情報: {erased}件")
