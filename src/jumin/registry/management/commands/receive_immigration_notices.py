"""`manage.py receive_immigration_notices FILE --operator USERNAME`: a 法30条の50 notice file received
from the agency's terminal (M10), stored and imported automatically where the standard allows (4.5.6-a/b).

Run it under the batch operations account (the 「住民記録バッチ運用」 duty) whenever the terminal delivers a
file. Each importable notice becomes a draft a clerk commits after reading its 確認票; the others stay on the
未取込 list (docs/workflows/immigration-notices.md). Prints counts and notice numbers with reason codes only
(no personal data).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.domain.errors import DomainError
from jumin.registry.workflows.immigration_receipts import receive_immigration_notices

PURPOSE = "registry_batch"


class Command(BaseCommand):
    help = "出入国在留管理庁長官通知（法30条の50）のファイルを受信し、取り込める通知を仮登録します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the notice file (UTF-8 CSV, docs/workflows/immigration-notices.md)")
        parser.add_argument("--operator", required=True, help="batch operations account (username)")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = operator_account(options["operator"])
        try:
            content = Path(options["file"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                f"通知ファイルを読めません（UTF-8のCSVを指定してください）: {type(error).__name__}"
            ) from None
        try:
            report = receive_immigration_notices(
                actor=operator, purpose=PURPOSE, content=content, scheduled=True
            )
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.reason}（{error.code}）{error.remedy}") from None
        self.stdout.write(
            f"保存: {report.received}件、自動仮登録: {len(report.imported)}件、"
            f"未取込: {len(report.pending)}件、対象外（特別永住者）: {len(report.skipped)}件、"
            f"保存しなかった行: {len(report.not_stored)}件"
        )
        for notice_id, code in report.pending:
            self.stdout.write(f"  未取込 {notice_id}: {code}")
        for row in report.not_stored:
            self.stdout.write(f"  {row.line}行目 {row.notice_id}: {row.code}")
