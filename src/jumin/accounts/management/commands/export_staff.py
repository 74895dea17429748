"""``manage.py export_staff --operator USERNAME [--output FILE]``: active accounts and their units as CSV.

The format is the one ``import_staff`` reads (one row per current unit); the export is audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.bulk_staff import export_staff
from jumin.accounts.command_args import operator_account

PURPOSE = "職員一括登録"


class Command(BaseCommand):
    help = "有効なアカウントと部署の所属をCSVで書き出します（import_staff と同じ形式）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="端末機担当者の利用者名")
        parser.add_argument("--output", help="書き出すファイル（省略時は標準出力）")

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            text = export_staff(actor=user, purpose=PURPOSE)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
