"""`jumin cs send-waiting-certificates`: send the 転出証明書情報 left unsent for want of a peer.

A 特例転出's 転出証明書情報 whose 転入予定地 was not a configured peer at the 転出 commit stays unsent
(docs/jukinet.md Flow 7 step 1). Once the peer is configured, this sends each such one that is the
person's newest and whose person is still 転出予定 here, once (a sent one is never sent again),
audited as the system. Also the 「送信待ちを送信」
button of the 転出証明書情報一覧.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.jukinet.cs.special_move_out import send_waiting_certificates


class Command(BaseCommand):
    help = "連携先がなく送信待ちの転出証明書情報を、転入予定地が連携先になったものについて送信します。"

    def handle(self, *args: Any, **options: Any) -> None:
        done = send_waiting_certificates()
        self.stdout.write(
            f"送信待ちの転出証明書情報: {done.sent}件を送信しました。"
            f"転入予定地が連携先でないため送信待ちのまま: {done.waiting}件、"
            f"統一文字で表せない文字があるため送信保留: {done.held}件、"
            f"転出予定でない・新しい転出証明書情報があるため送信しないもの: {done.not_due}件"
        )
