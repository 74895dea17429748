"""`jumin cs send-sending-addresses`: queue the waiting 送付先情報 (送信待ち) for the national node (N4)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.jukinet.cs.sending_addresses import send_pending_sending_addresses


class Command(BaseCommand):
    help = "送信待ちの送付先情報を個人番号カード管理システムへ送信します。"

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_pending_sending_addresses()
        self.stdout.write(f"送信待ちの送付先情報: {sent}件を送信しました。")
