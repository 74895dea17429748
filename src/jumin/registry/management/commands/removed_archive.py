"""`jumin manage removed_archive --operator USERNAME [--date YYYY-MM-DD] [--dry-run] [--purge]`.

Without ``--purge``: move the 除票 removed more than ``JUMIN_REMOVED_ARCHIVE_YEARS`` (default 5) years
ago to the 除票データベース (standard 9.3-a; at least once a year, outside the busy season). With
``--purge``: delete the archived 除票 past 150 years (standard 1.1.5-e). ``--dry-run`` counts what a
run would do and changes nothing (the list itself is on the screen and the API: no personal data on
the console). Runs under an account holding 「住民記録バッチ運用」; each person is
moved or purged in a transaction of their own, so a run killed half-way is simply run again
(docs/workflows/removed-archive.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import as_of_day, operator_account
from jumin.registry import removed_archive, removed_archive_purge

PURPOSE = "registry_batch"


class Command(BaseCommand):
    help = "5年を経過した除票を除票データベースへ移す（--purge: 消除から150年を経過した除票を削除）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="batch operations account (username)")
        parser.add_argument("--date", default=None, help="business day, YYYY-MM-DD (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="list only, change nothing")
        parser.add_argument("--purge", action="store_true", help="purge archived 除票 past 150 years")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = operator_account(options["operator"])
        day = as_of_day(options["date"])
        try:
            if options["purge"]:
                self._purge(operator, day, dry_run=options["dry_run"])
            else:
                self._move(operator, day, dry_run=options["dry_run"])
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except ValueError as error:  # a bad JUMIN_REMOVED_ARCHIVE_YEARS
            raise CommandError(str(error)) from None

    def _move(self, operator: Any, day: Any, *, dry_run: bool) -> None:
        if dry_run:
            listed = removed_archive.list_archive_candidates(actor=operator, purpose=PURPOSE, today=day)
            self.stdout.write(f"除票データベースへ移す除票: {len(listed)}人（試行のため移していません）。")
            return
        result = removed_archive.run_archive_move(actor=operator, purpose=PURPOSE, today=day)
        self.stdout.write(
            f"{result.removed_before} より前に消除された除票を除票データベースへ移しました: "
            f"{result.moved_count}人（編集中のため次回に回した方 {result.left_locked}人）。"
        )

    def _purge(self, operator: Any, day: Any, *, dry_run: bool) -> None:
        if dry_run:
            listed = removed_archive_purge.list_purge_candidates(actor=operator, purpose=PURPOSE, today=day)
            self.stdout.write(
                f"保存期間（150年）を過ぎた除票: {len(listed)}人（試行のため削除していません）。"
            )
            return
        result = removed_archive_purge.run_purge(actor=operator, purpose=PURPOSE, today=day)
        self.stdout.write(
            f"{result.run_date}: 保存期間を過ぎた除票を削除しました: "
            f"{result.purged_count}人、{result.row_count}行。"
        )
