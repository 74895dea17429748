"""Run the EUC extractions still queued (when no django-tasks worker runs them); docs/euc.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.registry.euc.services import expire_results, queued_run_ids, run_extraction


class Command(BaseCommand):
    help = "キュー待ちのEUC抽出を実行し、期限切れの結果ファイルを削除する。"

    def handle(self, *args: Any, **options: Any) -> None:
        ids = queued_run_ids()
        for run_id in ids:
            run_extraction(run_id)
        expired = expire_results()
        self.stdout.write(f"実行 {len(ids)} 件、期限切れ {expired} 件")
