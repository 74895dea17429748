"""`jumin manage import_population FILE --operator USERNAME`: bulk load from the import layout.

All or nothing; the operator is recorded as maker and reviewer of the 「移行」 change and in the audit log.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.domain.errors import DomainError
from jumin.registry.importer import import_population


class Command(BaseCommand):
    help = "Load residents from a JSON Lines file in the import layout (docs/import-layout.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--operator", required=True, help="the staff account carrying out the migration")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = get_user_model().objects.filter(username=options["operator"], is_active=True).first()
        if operator is None:
            raise CommandError(
                "操作者のアカウントが見つかりません。--operator に有効な職員IDを指定してください。"
            )
        started = time.perf_counter()
        try:
            result = import_population(options["file"], actor=operator)
        except DomainError as error:
            raise CommandError(f"{error.field}: {error.reason}{error.remedy}") from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"住民 {result.residents:,}人・世帯 {result.households:,}を登録しました"
            f"（{elapsed:.1f}秒、{result.residents / elapsed:,.0f}人/秒、異動番号 {result.change_id}）。"
        )
