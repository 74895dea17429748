"""``manage.py export_grants --operator USERNAME [--output FILE]``: grants in force or scheduled as CSV.

The format is the one ``import_grants`` reads (standard 10.3-e); the export is audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.bulk_rights import export_grants
from jumin.accounts.command_args import operator_account

PURPOSE = "権限一括登録"


class Command(BaseCommand):
    help = "有効または予定の権限付与をCSVで書き出します（import_grants と同じ形式）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="権限管理簿を閲覧できる利用者名")
        parser.add_argument("--output", help="書き出すファイル（省略時は標準出力）")

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            text = export_grants(actor=user, purpose=PURPOSE)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
