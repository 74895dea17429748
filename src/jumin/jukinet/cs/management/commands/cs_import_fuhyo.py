"""`jumin cs import-fuhyo FILE --operator USERNAME`: hand a CSV of 附票 updates to the CS (Flow 9).

The layout is in docs/jukinet.md (Flow 9, CSV): UTF-8, a header row naming exactly the 20 columns of
``FuhyoNotice``, one update per row in the order they happened. The file is all or nothing: every bad
row is reported by line and nothing is stored or sent; fix the rows and import the whole file again.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.domain.errors import DomainError
from jumin.jukinet.common.fuhyo import FUHYO_FIELDS
from jumin.jukinet.cs.fuhyo import FuhyoBatchRefused, accept_fuhyo_updates

_INTS = {"name_gaiji_count", "address_gaiji_count", "last_address_gaiji_count"}
_BOOLS = {"true": True, "1": True, "false": False, "0": False}


def _typed(row: dict[str, str]) -> dict[str, Any]:
    """CSV text → payload values; a value that does not convert stays text for the item check to name."""
    payload: dict[str, Any] = dict(row)
    for name in _INTS:
        if payload.get(name, "").strip().isdigit():
            payload[name] = int(payload[name])
    flag = str(payload.get("gaiji_flag", "")).strip().lower()
    if flag in _BOOLS:
        payload["gaiji_flag"] = _BOOLS[flag]
    return payload


def read_fuhyo_csv(path: Path) -> list[dict[str, Any]]:
    """The rows of a 附票 update CSV as payloads; CommandError for a missing file or a wrong header."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            if sorted(header) != sorted(FUHYO_FIELDS):
                raise CommandError(
                    "見出し行の列名が附票本人確認情報の定義と一致しません。"
                    "docs/jukinet.md（Flow 9 のCSV）の20列を1行目に書いてください。"
                )
            return [_typed(row) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error):
        raise CommandError("CSVファイルを読めません。UTF-8 のCSVファイルを指定してください。") from None


class Command(BaseCommand):
    help = "Hand a CSV of 附票本人確認情報 updates to the CS, which sends them to the prefecture."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="附票本人確認情報の更新CSV (UTF-8)")
        parser.add_argument("--operator", required=True, help="附票連携の利用者名")
        parser.add_argument("--purpose", default="cs_fuhyo", help="利用目的（事務コード）")

    def handle(self, *args: Any, **options: Any) -> None:
        payloads = read_fuhyo_csv(options["file"])
        try:
            accepted = accept_fuhyo_updates(
                actor=operator_account(options["operator"]), purpose=options["purpose"], payloads=payloads
            )
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except FuhyoBatchRefused as refused:
            for row in refused.errors:
                # Line 1 is the header; no item value is printed (they are personal data).
                why = row.error
                self.stderr.write(f"{row.row + 1}行目 {why.field}: {why.reason}（{why.remedy}）")
            raise CommandError(
                f"誤りのある行が{len(refused.errors)}件あります。1件も送信していません。"
                "誤りを直して、ファイル全体を取り込み直してください。"
            ) from None
        except DomainError as error:
            raise CommandError(f"{error.field}: {error.reason}（{error.remedy}）") from None
        self.stdout.write(f"附票本人確認情報: {accepted.accepted}件を都道府県サーバへ送信しました。")
