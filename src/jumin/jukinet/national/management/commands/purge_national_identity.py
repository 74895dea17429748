"""``jumin manage purge_national_identity``: delete 機構保存本人確認情報 and 機構保存附票本人確認情報
past their 150 years, in one transaction."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from jumin.jukinet.national.services.fuhyo import purge_expired_fuhyo
from jumin.jukinet.national.services.identity import purge_expired_identity


class Command(BaseCommand):
    help = (
        "保存期間（150年）を過ぎた機構保存本人確認情報の履歴と消除者、附票本人確認情報の履歴と削除者を"
        "削除します（件数だけを記録）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="件数だけを表示し、削除しません。")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            result = purge_expired_identity(dry_run=options["dry_run"])
            fuhyo = purge_expired_fuhyo(dry_run=options["dry_run"])
        verb = "削除対象" if options["dry_run"] else "削除"
        self.stdout.write(
            f"{result.cutoff:%Y-%m-%d} より前に保存期間が始まったもの: "
            f"履歴 {result.history_rows:,}件、消除者 {result.removed_records:,}人を{verb}"
        )
        self.stdout.write(f"PURGED HISTORY {result.history_rows} REMOVED {result.removed_records}")
        self.stdout.write(f"附票: 履歴 {fuhyo.history_rows:,}件、削除者 {fuhyo.deleted_records:,}人を{verb}")
        self.stdout.write(f"PURGED FUHYO HISTORY {fuhyo.history_rows} DELETED {fuhyo.deleted_records}")
