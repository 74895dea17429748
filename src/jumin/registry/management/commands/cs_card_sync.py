"""`jumin cs card-sync --operator USERNAME [--repair]`: 個人番号カード status with the CS (std 7.1.1.3-a).

Records in the registry every card status change the national card system sent through the CS
(有効期限切れ …), then prints the persons whose status still differs from the CS's (宛名番号, kind,
registry status, CS status). ``--repair`` first sends the CS the registry's latest event of each person
the CS misses or differs on. Run it daily, and after restoring either side from a backup.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.registry import card_sync


class Command(BaseCommand):
    help = "Take national card status changes from the CS and compare card status with it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="住民記録バッチ運用の利用者名")
        parser.add_argument("--purpose", default="registry_batch")
        parser.add_argument(
            "--repair", action="store_true", help="相違する人の最新のカード記録をCSへ再送する"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        purpose = options["purpose"]
        try:
            taken = card_sync.take_national_changes(actor=user, purpose=purpose)
            self.stdout.write(f"機構からの通知: 反映 {taken.recorded}件、反映不可 {taken.refused}件。")
            if options["repair"]:
                self.stdout.write(f"CSへ再送: {card_sync.repair_cs(actor=user, purpose=purpose)}件。")
            differences = card_sync.compare_with_cs(actor=user, purpose=purpose)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"カード状況の相違: {len(differences)}件。")
        for difference in differences:
            self.stdout.write(
                "\t".join(
                    (
                        difference.atena_number,
                        difference.kind,
                        difference.registry_status,
                        difference.cs_status,
                    )
                )
            )
