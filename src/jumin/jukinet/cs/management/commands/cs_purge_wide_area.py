"""`jumin cs purge-wide-area [--date YYYY-MM-DD]`: delete 広域交付 records past the retention period.

The node does it by itself daily (housekeeping); the command runs it now, or as of another day.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.command_args import as_of_day
from jumin.jukinet.cs.wide_area_retention import purge_expired_wide_area_issuances


class Command(BaseCommand):
    help = "保存期間（JUMIN_ISSUANCE_RETENTION_YEARS）を経過した広域交付の交付記録を削除します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="as-of day (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        day = as_of_day(options["date"])
        try:
            deleted = purge_expired_wide_area_issuances(today=day)
        except ValueError as error:  # the retention setting is not a whole number of years ≥ 1
            raise CommandError(str(error)) from None
        self.stdout.write(f"削除した広域交付の交付記録: {deleted}件")
