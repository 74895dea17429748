"""`jumin cs fuhyo-notices --operator U --out FILE [--after ID]`: the 受信一覧 of 戸籍附票記載事項通知.

Writes the notices this CS received as the 本籍地 (docs/jukinet.md Flow 13) to a UTF-8 CSV for the
戸籍附票 system: one row per notice, oldest first, the columns ``notice_id``, ``received_at``,
``sender_code``, the items of ``jukinet.common.fuhyo_notice.FuhyoEntryNotice`` and the 処理済み state
(``processed_at``, ``processed_by``, ``processing_note``; empty while 未処理). ``--after`` takes the last
``notice_id`` already read, so a daily run exports only the new ones (``--after 0`` lists every notice with
its current state). The reading is audited.
"""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.jukinet.common.fuhyo_notice import KEYS
from jumin.jukinet.cs.fuhyo_notices import received_notices

#: 処理済み (since 2026-11-24): when, by whom and the note, empty while 未処理.
STATE_COLUMNS = ("processed_at", "processed_by", "processing_note")
COLUMNS = ("notice_id", "received_at", "sender_code", *KEYS, *STATE_COLUMNS)


class Command(BaseCommand):
    help = "Export the received 戸籍附票記載事項通知 to a CSV for the 戸籍附票 system."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="附票連携の利用者名")
        parser.add_argument("--out", required=True, type=Path, help="出力するCSVファイル")
        parser.add_argument("--after", type=int, default=0, help="前回までに読んだ最後の通知番号")
        parser.add_argument("--purpose", default="cs_fuhyo", help="利用目的（事務コード）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            listed = received_notices(
                actor=operator_account(options["operator"]),
                purpose=options["purpose"],
                after_id=options["after"],
            )
        except AccessRefused as error:
            raise CommandError(error.message) from None
        try:
            with options["out"].open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(COLUMNS)
                for notice in listed:
                    items = asdict(notice.items)
                    state = (notice.processed_at, notice.processed_by, notice.processing_note)
                    writer.writerow(
                        [
                            notice.notice_id,
                            notice.received_at,
                            notice.sender_code,
                            *(items[k] for k in KEYS),
                            *state,
                        ]
                    )
        except OSError:
            raise CommandError("CSVファイルに書き込めません。--out の場所を確認してください。") from None
        last = listed[-1].notice_id if listed else options["after"]
        self.stdout.write(f"戸籍附票記載事項通知: {len(listed)}件を出力しました（最後の通知番号 {last}）。")
