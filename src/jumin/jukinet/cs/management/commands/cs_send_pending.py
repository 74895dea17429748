"""`jumin cs send-pending`: queue the waiting 本人確認情報 notices (送信待ち) for the prefecture."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.jukinet.cs.services import send_pending_notices


class Command(BaseCommand):
    help = "Queue the CS's waiting identity notices for the prefecture, in order."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_pending_notices()
        self.stdout.write(f"送信待ちの本人確認情報: {sent}件を送信しました。")
