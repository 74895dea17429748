"""`jumin manage daily_registry_batch --operator USERNAME [--date YYYY-MM-DD]`: the daily registry batch.

Schedule it once a day (standard 9.1-a) under an operations account holding the 「住民記録バッチ運用」
duty (standard 10.3-e); the account is the maker and reviewer of the status change it records
(docs/workflows/daily-batch.md). Running it twice on one day does nothing the second time.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import as_of_day, operator_account
from jumin.domain.errors import DomainError
from jumin.registry.batch import run_daily_batch

PURPOSE = "registry_batch"


class Command(BaseCommand):
    help = "転出予定日が到来した転出予定者を除票とし、転入通知未着の件数を記録する（1日1回）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="batch operations account (username)")
        parser.add_argument("--date", default=None, help="business day, YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = operator_account(options["operator"])
        day = as_of_day(options["date"])
        try:
            result = run_daily_batch(actor=operator, purpose=PURPOSE, today=day)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.reason}{error.remedy}") from None
        if result.already_ran:
            self.stdout.write(f"{result.run_date} の日次バッチは実行済みです（処理はしていません）。")
        self.stdout.write(
            f"{result.run_date}: 除票とした転出予定者 {result.removed_count}人、"
            f"転入通知未着 {result.overdue_count}人。"
        )
