"""`jumin cs send-waiting-continued-use`: send the 継続利用 card events left unsent for want of a peer.

A 特例転入 committed while the national node (N4) was not a configured peer leaves its 継続利用 card
event unsent (docs/jukinet.md Flow 7 step 4; the held row shows 継続利用 送信待ち). Once N4 is a peer,
this sends each such event once (a sent one is never sent again), audited as the system. Also the
「継続利用の送信待ちを送信」 button of the 転出証明書情報一覧.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.jukinet.cs.special_move_in import send_waiting_continued_use


class Command(BaseCommand):
    help = "全国センターが連携先でなく送信待ちの継続利用（特例転入）を、連携先になっていれば送信します。"

    def handle(self, *args: Any, **options: Any) -> None:
        done = send_waiting_continued_use()
        self.stdout.write(
            f"送信待ちの継続利用: {done.sent}件を送信しました。"
            f"全国センターが連携先でないため送信待ちのまま: {done.waiting}件"
        )
