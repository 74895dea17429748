"""``jumin manage national_print_file --date D --out FILE --operator U --approval N --medium M``.

Writes N4's 個人番号通知書 / 交付申請書 print file (CSV, layout in docs/jukinet-national.md) of the
送付先情報 accepted on that day and not printed yet. The operator needs 個人番号カード管理事務 and an
approved media output (所属長, then 情報主管課長) naming the registered medium; the output is
recorded with the file's SHA-256, count and medium (controls.md C-19, C-26–C-28, C-30).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.errors import RuleRefused
from jumin.jukinet.national.services.sending_addresses import print_file

PURPOSE = "national_card"  # 個人番号カード管理事務: the duty the operator prints under


class Command(BaseCommand):
    help = "指定日に受理した送付先情報から個人番号通知書・交付申請書の印刷ファイルを作成します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="day the records were accepted (YYYY-MM-DD)")
        parser.add_argument("--out", required=True, help="output file (created; must not exist)")
        parser.add_argument("--operator", required=True, help="username of the operator")
        parser.add_argument("--approval", required=True, type=int, help="approved media-output request id")
        parser.add_argument("--medium", required=True, help="registered medium id the approval names")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError("--date は YYYY-MM-DD で指定してください。") from None
        out = Path(options["out"])
        if out.exists():
            raise CommandError("出力先のファイルが既にあります。")
        actor = get_user_model().objects.filter(username=options["operator"], is_active=True).first()
        if actor is None:
            raise CommandError("操作者が見つかりません。")
        try:
            text, count = print_file(
                day,
                actor=actor,
                approval_id=options["approval"],
                medium_id=options["medium"],
                purpose=PURPOSE,
            )
        except (AccessRefused, RuleRefused) as refused:
            raise CommandError(str(refused)) from None
        # The file holds 個人番号: created readable by the owner only.
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        self.stdout.write(f"印刷ファイルを作成しました: {count}件")
