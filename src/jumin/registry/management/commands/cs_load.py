"""`jumin cs load --operator USERNAME [--no-notify]`: 初期ロード of the CS file from the registry.

Every new or changed record is notified to the prefecture (or waits as 送信待ち); ``--no-notify``
queues nothing, for a first load when the prefecture receives its initial file by its own load.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.registry.cs_link import load_all


class Command(BaseCommand):
    help = "Build the CS identity file from the current registry (initial load)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="住民記録バッチ運用の利用者名")
        parser.add_argument("--purpose", default="registry_batch")
        parser.add_argument(
            "--no-notify",
            dest="notify",
            action="store_false",
            help="都道府県への通知を作らない（初期ロード）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            taken, unlinked = load_all(actor=user, purpose=options["purpose"], notify=options["notify"])
        except AccessRefused as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"CS本人確認情報: {taken}件を登録しました（CS未連携 {unlinked}件）。")
