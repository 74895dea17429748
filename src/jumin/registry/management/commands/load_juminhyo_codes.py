"""`jumin manage load_juminhyo_codes FILE`: fill the local 住民票コード pool (one code per line).

A stand-in for the CS supplying unused codes (standard 4.3.1-a) until 住基ネット lands (issue 8).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.registry.numbering import load_code_pool


class Command(BaseCommand):
    help = "Load unused 住民票コード into the pool (one 11-digit code per line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        codes = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        try:
            with transaction.atomic():
                added = load_code_pool(codes)
                record_event(
                    actor=None,
                    action=AuditAction.RESIDENT_CODE_POOL_LOAD,
                    subject_type="code_pool",
                    reason=f"{added} codes added",
                )
        except DomainError as error:
            # The line is not quoted: a code is an identifier of a person once assigned.
            raise CommandError(f"{error.reason}{error.remedy}") from None
        self.stdout.write(f"住民票コード: {added}件を追加しました（{len(codes) - added}件は登録済み）。")
