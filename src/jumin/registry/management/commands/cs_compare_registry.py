"""`jumin cs compare-registry --operator USERNAME`: compare the registry with the CS's 本人確認情報.

Reads only (standard 7.1.1.2-a; controls.md C-68). Prints the counts, then one line per difference
(宛名番号, 住民票コード, kind, detail; at most ``cs_comparison.SHOWN``). Exit status 0 either way; run it
regularly, e.g. weekly from cron, and after restoring either side from a backup.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.registry.cs_comparison import compare_with_cs


class Command(BaseCommand):
    help = "Compare every current registry record with the CS identity file (reads only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="住民記録バッチ運用の利用者名")
        parser.add_argument("--purpose", default="registry_batch")

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            result = compare_with_cs(actor=user, purpose=options["purpose"])
        except AccessRefused as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"照合 {result.compared}人: 一致 {result.matching}人、相違 {result.difference_count}件"
            f"（住民票コードなし {result.without_code}人）。"
        )
        for difference in result.differences:
            self.stdout.write(
                "\t".join(
                    (
                        difference.atena_number or "-",
                        difference.resident_code,
                        difference.kind,
                        difference.detail,
                    )
                )
            )
