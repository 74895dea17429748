"""``manage.py purge_provision_records``: delete provision-log rows older than 7 years (audited)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.jukinet.prefecture.provision.retention import purge_expired


class Command(BaseCommand):
    help = "提供・移転の記録のうち7年を経過したものを削除します（監査ログに記録）。"

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired()
        self.stdout.write(f"7年を経過した提供・移転の記録を{deleted}件削除しました。")
