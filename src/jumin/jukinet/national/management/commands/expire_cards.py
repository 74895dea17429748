"""``jumin manage expire_cards``: mark 個人番号カード past their expiry as 有効期限切れ."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.jukinet.national.services.cards import expire_cards


class Command(BaseCommand):
    help = "有効期限を過ぎた運用中・一時停止中の個人番号カードを有効期限切れにします（毎日実行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        count = expire_cards()
        self.stdout.write(f"有効期限切れにしたカード: {count:,}枚")
        self.stdout.write(f"EXPIRED {count}")
