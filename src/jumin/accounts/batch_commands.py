"""The import and export commands of the batch files (standard 10.3-e): ``import_grants``,
``import_staff``, ``export_grants``, ``export_staff`` differ only in their services and texts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.bulk_rights import BatchRefused, RowError
from jumin.accounts.command_args import operator_account


def error_lines(errors: list[RowError]) -> str:
    """One line per error: row, column, reason and remedy (never the value)."""
    return "\n".join(f"{e.row}行目 {e.field}: {e.reason}（{e.remedy}）" for e in errors)


class BatchImportCommand(BaseCommand):
    """``FILE --operator USERNAME [--dry-run]``: check, then write every row or none."""

    purpose: ClassVar[str]
    operator_help: ClassVar[str]
    checked: ClassVar[str]  # "{count}" is the number of rows that would be written
    done: ClassVar[str]  # "{count}" is the number of rows written

    @staticmethod
    def preview(*, actor: Any, text: str, purpose: str) -> Any:
        """The dry run of the service (returns an object with ``rows`` and ``errors``)."""
        raise NotImplementedError

    @staticmethod
    def commit(*, actor: Any, text: str, purpose: str) -> list[int]:
        """The import of the service (raises ``BatchRefused``)."""
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSVファイル（UTF-8、見出し行つき）")
        parser.add_argument("--operator", required=True, help=self.operator_help)
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
                preview = self.preview(actor=user, text=text, purpose=self.purpose)
                if preview.errors:
                    raise CommandError(error_lines(preview.errors))
                self.stdout.write(self.checked.format(count=len(preview.rows)))
                return
            ids = self.commit(actor=user, text=text, purpose=self.purpose)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except BatchRefused as refused:
            raise CommandError(f"{refused.message}\n{error_lines(refused.errors)}") from None
        self.stdout.write(self.done.format(count=len(ids)))


class BatchExportCommand(BaseCommand):
    """``--operator USERNAME [--output FILE]``: the file in the import format (audited)."""

    purpose: ClassVar[str]
    operator_help: ClassVar[str]
    export: ClassVar[Callable[..., str]]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help=self.operator_help)
        parser.add_argument("--output", help="書き出すファイル（省略時は標準出力）")

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            text = type(self).export(actor=user, purpose=self.purpose)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
