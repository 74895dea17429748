"""``manage.py prefecture_purge``: the automatic deletions of the prefecture node (run daily).

150 years for history and removed persons (retention.purge_expired); one year at most for the
temporary 個人番号 of 国外転出者 (temporary_numbers.purge_temporary_numbers).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.jukinet.prefecture.retention import purge_expired
from jumin.jukinet.prefecture.temporary_numbers import purge_temporary_numbers


class Command(BaseCommand):
    help = "150年を経過した履歴・消除者と、1年を経過した個人番号一時保管を削除します（監査記録あり）。"

    def handle(self, *args: Any, **options: Any) -> None:
        result = purge_expired()
        numbers = purge_temporary_numbers()
        self.stdout.write(
            f"本人確認情報 履歴{result.identity_versions}件・消除者{result.identity_records}件、"
            f"附票 履歴{result.fuhyo_versions}件・削除者{result.fuhyo_records}件、"
            f"個人番号一時保管{numbers}件を削除しました。"
        )
