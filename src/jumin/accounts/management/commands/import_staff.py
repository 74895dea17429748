"""``manage.py import_staff FILE --operator USERNAME [--dry-run]``: accounts by batch (standard 10.3-e).

The file is UTF-8 CSV with the header ``bulk_staff.STAFF_COLUMNS`` (docs/security.md). Accounts are
created without a password (single sign-on, or a reset by the administrator); a wrong row refuses the
whole file, naming its row and column, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.bulk_staff import StaffImportRefused, import_staff, preview_staff_import
from jumin.accounts.command_args import operator_account
from jumin.accounts.management.commands.import_grants import error_lines

PURPOSE = "職員一括登録"


class Command(BaseCommand):
    help = "職員とアカウント（と部署の所属）をCSVから一括で登録します（--dry-run で確認のみ）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSVファイル（UTF-8、見出し行つき）")
        parser.add_argument("--operator", required=True, help="端末機担当者の利用者名")
        parser.add_argument("--dry-run", action="store_true", help="確認だけ行い、登録しない")

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            text = Path(options["file"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                "CSVファイルを読めません。パスとUTF-8の文字コードを確認してください。"
            ) from error
        try:
            if options["dry_run"]:
                preview = preview_staff_import(actor=user, text=text, purpose=PURPOSE)
                if preview.errors:
                    raise CommandError(error_lines(preview.errors))
                self.stdout.write(f"確認のみ: {len(preview.rows)}件のアカウントを登録できます。")
                return
            ids = import_staff(actor=user, text=text, purpose=PURPOSE)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except StaffImportRefused as refused:
            raise CommandError(f"{refused.message}\n{error_lines(refused.errors)}") from None
        self.stdout.write(
            f"{len(ids)}件のアカウントを登録しました。パスワードは設定されていません"
            "（シングルサインオン、または職員管理画面でパスワードを再発行してください）。"
        )
