"""``manage.py prefecture_forward``: send accepted updates still waiting for the national node, in order.

Both stores: 本人確認情報 to the 全国サーバ and 附票本人確認情報 to the 附票全国サーバ.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.jukinet.prefecture.fuhyo import forward_pending_fuhyo
from jumin.jukinet.prefecture.updates import forward_pending


class Command(BaseCommand):
    help = (
        "全国サーバへの未送信の本人確認情報・附票本人確認情報を順に送信します"
        "（全国サーバが連携先に登録済みの場合）。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{forward_pending()}件を全国サーバへの送信待ちに登録しました。")
        self.stdout.write(f"附票 {forward_pending_fuhyo()}件を附票全国サーバへの送信待ちに登録しました。")
