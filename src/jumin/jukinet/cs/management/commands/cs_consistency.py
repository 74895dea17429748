"""`jumin cs consistency --operator USERNAME [--to prefecture|national|both|fuhyo]`: 整合性確認.

F14 for the 本人確認情報 file; ``--to fuhyo``: the 附票 file with the prefecture (004 2-⑥).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.jukinet.cs.consistency import TARGETS, run_consistency


class Command(BaseCommand):
    help = (
        "Run the consistency check of the CS file with the prefecture and/or the national node, "
        "or (--to fuhyo) of the CS 附票 file with the prefecture."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="統合端末操作者の利用者名")
        parser.add_argument("--purpose", default="cs_operator", help="利用目的（事務コード）")
        parser.add_argument("--to", choices=TARGETS, default="both")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            runs = run_consistency(
                actor=operator_account(options["operator"]), purpose=options["purpose"], target=options["to"]
            )
        except AccessRefused as error:
            raise CommandError(error.message) from None
        failed = False
        for run in runs:
            counts = f"件数 {run.records} 分割 {run.chunks} 差異 {run.differences}"
            self.stdout.write(f"{run.target} ({run.get_file_display()}): {run.status} {counts} {run.error}")
            failed = failed or run.status != "done"
        if failed:
            raise CommandError("整合性確認に失敗した相手があります。")
