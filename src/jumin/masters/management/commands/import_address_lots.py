"""``manage.py import_address_lots FILE --operator USERNAME``: lots and 方書 (standard 1.3.2-a, 1.3.4-a).

The file is UTF-8 CSV with the header ``masters.lots.CSV_COLUMNS`` (docs/operations.md).
A bad row refuses the whole file, naming its line; nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.domain.errors import DomainError
from jumin.masters.lots import import_csv


class Command(BaseCommand):
    help = "番地（住居表示・区画整理・地番）と方書のマスタをCSVから登録します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSVファイル（UTF-8、見出し行つき）")
        parser.add_argument("--operator", required=True, help="マスタ管理事務の利用者名")
        parser.add_argument("--purpose", default="masters_import")

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            text = Path(options["file"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                "CSVファイルを読めません。パスとUTF-8の文字コードを確認してください。"
            ) from error
        try:
            summary = import_csv(actor=user, purpose=options["purpose"], text=text)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.reason}（{error.remedy}）") from None
        self.stdout.write(
            f"番地 {summary.lots}件、方書 {summary.katagaki}件を登録しました"
            f"（登録済みの番地 {summary.lots_reused}件）。"
        )
