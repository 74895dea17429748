"""``manage.py import_grants FILE --operator USERNAME [--dry-run]``: grants by batch (standard 10.3-e).

The file is UTF-8 CSV with the header ``bulk_rights.GRANT_COLUMNS`` (docs/security.md). Every row
becomes a grant application for the IT head to decide; a wrong row refuses the whole file, naming its
row and column, and nothing is written. ``--dry-run`` only checks and lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.bulk_rights import GrantImportRefused, RowError, import_grants, preview_grant_import
from jumin.accounts.command_args import operator_account

PURPOSE = "権限一括登録"


def error_lines(errors: list[RowError]) -> str:
    """One line per error: row, column, reason and remedy (never the value)."""
    return "\n".join(f"{e.row}行目 {e.field}: {e.reason}（{e.remedy}）" for e in errors)


class Command(BaseCommand):
    help = "権限付与をCSVから一括で申請します（--dry-run で確認のみ）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSVファイル（UTF-8、見出し行つき）")
        parser.add_argument("--operator", required=True, help="権限付与を申請する所属長の利用者名")
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
                preview = preview_grant_import(actor=user, text=text, purpose=PURPOSE)
                if preview.errors:
                    raise CommandError(error_lines(preview.errors))
                self.stdout.write(f"確認のみ: {len(preview.rows)}件の付与申請を登録できます。")
                return
            ids = import_grants(actor=user, text=text, purpose=PURPOSE)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except GrantImportRefused as refused:
            raise CommandError(f"{refused.message}\n{error_lines(refused.errors)}") from None
        self.stdout.write(f"{len(ids)}件の付与申請を登録しました。情報主管課長の承認後に有効になります。")
