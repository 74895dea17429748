"""`jumin cs import-move-in-notices --operator USERNAME`: the daily import of received 転入通知.

Schedule it once a day beside ``daily_registry_batch`` under the same operations account (the
「住民記録バッチ運用」 duty, standard 10.3-e). Every 転入通知 the CS received (after a 特例転入 or an
ordinary 転入 elsewhere) becomes a 転出確定 draft that a clerk commits (docs/workflows/move-in-notice.md);
a notice it cannot take in stays waiting and is printed with its number and reason (no personal data).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.registry.workflows.special_moves import import_move_in_notices_scheduled

PURPOSE = "registry_batch"


class Command(BaseCommand):
    help = "市町村CSが受信した転入通知を転出確定の仮登録として取り込みます（1日1回）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="batch operations account (username)")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = operator_account(options["operator"])
        try:
            result = import_move_in_notices_scheduled(actor=operator, purpose=PURPOSE)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"転出確定の仮登録: {len(result.drafts)}件、取り込めなかった転入通知: {len(result.left)}件"
        )
        for notice_id, reason in result.left:
            self.stdout.write(f"  転入通知 {notice_id}: {reason}")
        if result.duplicates:
            self.stdout.write(f"重複した転入通知（取り込みません）: {len(result.duplicates)}件")
        for notice_id, reason in result.duplicates:
            self.stdout.write(f"  転入通知 {notice_id}: {reason}")
