"""`jumin atena sync --operator USERNAME`: apply the registry's events to the 宛名 system now.

The task worker does this by itself in the chosen mode (docs/atena.md); this is for an operator who
wants it at once, e.g. after a bulk import. Safe to run again: an applied event is never applied twice.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.atena.services import sync_now


class Command(BaseCommand):
    help = "Apply the registry's outbox events to the 団体内統合宛名 system now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="連携運用事務の利用者名")
        parser.add_argument("--purpose", default="network_operate")

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            applied = sync_now(actor=user, purpose=options["purpose"])
        except AccessRefused as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"宛名連携: {applied}件を適用しました。")
