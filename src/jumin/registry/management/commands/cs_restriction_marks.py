"""`jumin cs marks --operator USERNAME`: bring the CS's 抑止マーク in line with the registry (std 3.1-g).

Each set and lift already reaches the CS in its own transaction; this is for what that cannot cover:
restrictions set before the marks existed (run it once after upgrading, and after `jumin cs load`), a
person given a 住民票コード after the set, and a household's members who joined or left since a household
抑止 was set. Safe to run again: an unchanged state writes no mark.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.registry.restriction_feed import resync_cs_marks


class Command(BaseCommand):
    help = "Bring the CS restriction marks in line with the registry's issuance restrictions in force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="住民記録バッチ運用の利用者名")
        parser.add_argument("--purpose", default="registry_batch")

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            done = resync_cs_marks(actor=user, purpose=options["purpose"])
        except AccessRefused as error:
            raise CommandError(error.message) from None
        without = f"住民票コードのない対象者 {done.without_code}人"
        self.stdout.write(f"抑止マーク: 設定 {done.set}件、解除 {done.lifted}件（{without}）。")
