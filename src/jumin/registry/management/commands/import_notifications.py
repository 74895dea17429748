"""`jumin manage import_notifications FILE --operator USERNAME --purpose DUTY`: 届出 CSV → drafts (10.8-a).

Each 届出 of the file becomes a 仮登録 that another clerk reviews and commits; refused rows are printed
with their row number, column and reason (never a value: the file holds personal data).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.domain.errors import DomainError
from jumin.registry.notification_imports import import_notification_csv


class Command(BaseCommand):
    help = "転入・転居・転出・世帯変更の届出CSVファイル（docs/workflows/import.md）を届出ごとに仮登録します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--operator", required=True, help="the clerk account entering the drafts")
        parser.add_argument("--purpose", default="resident_counter", help="the operator's duty (業務)")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = operator_account(options["operator"])
        try:
            content = Path(options["file"]).read_bytes()
        except OSError:
            raise CommandError("ファイルを読めません。パスと権限を確認してください。") from None
        try:
            result = import_notification_csv(actor=operator, purpose=options["purpose"], content=content)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.reason}{error.remedy}") from None
        self.stdout.write(
            f"{result.rows}行を読み込み、仮登録 {len(result.drafts)}件、誤り {len(result.errors)}件。"
        )
        for item in result.drafts:
            rows = "、".join(str(r) for r in item.rows)
            self.stdout.write(f"  届出番号 {item.group}（{rows}行目）: 異動番号 {item.draft.change_id}")
        for refused in result.errors:
            self.stdout.write(f"  {refused.row}行目 {refused.column}: {refused.reason}{refused.remedy}")
        if result.errors:
            raise CommandError("誤りのある届出は仮登録していません。修正して取り込み直してください。")
