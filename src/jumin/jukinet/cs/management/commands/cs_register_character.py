"""`jumin cs register-character --operator USERNAME --character U+20BB7 --code CODE`: 外字 as 統一文字.

Registers a 外字 the clerk has identified in J-LIS's 住基ネット統一文字 table, so that held notices
(CS未連携, reason ``jukinet.not_unified_character``) can be sent (docs/jukinet.md "住基ネット統一文字").
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.domain.errors import DomainError
from jumin.jukinet.cs.unified_characters import register


class Command(BaseCommand):
    help = "Register a 外字 (code points, e.g. U+20BB7 or 'U+8FBB U+E0100') as a 住基ネット統一文字."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="利用者名（マスタ編集権限）")
        parser.add_argument("--purpose", default="cs_operator", help="利用目的（事務コード）")
        parser.add_argument("--character", required=True, help="符号位置（例: U+20BB7）")
        parser.add_argument("--code", required=True, help="統一文字表で確認したコード")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            row = register(
                actor=operator_account(options["operator"]),
                purpose=options["purpose"],
                entry=options["character"],
                unified_code=options["code"],
            )
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.reason} {error.remedy}") from None
        self.stdout.write(f"統一文字として登録しました（登録番号 {row.pk}）。")
