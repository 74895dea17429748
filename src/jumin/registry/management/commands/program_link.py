"""`jumin manage program_link`: one round of the file link with the program systems (standard 7.2.1-a).

The node's worker (``jumin serve``) runs it by itself every ``JUMIN_PROGRAM_LINK_INTERVAL_SECONDS``; the
command is for a node without it, or to run a round now. Prints counts and file names only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jumin.registry.program_link_export import run_program_link


class Command(BaseCommand):
    help = "各業務システムとのファイル連携を1回行います（受信ファイルの取込と住民データファイルの作成）。"

    def handle(self, *args: Any, **options: Any) -> None:
        run = run_program_link()
        for unit, files in run.received.items():
            for received in files:
                self.stdout.write(
                    f"{unit}: 受信ファイル {received.file_id} {received.state} 反映 {received.applied}件、"
                    f"変更なし {received.unchanged}件、不受理 {len(received.refused)}件"
                )
        for unit, name in run.written.items():
            self.stdout.write(f"{unit}: 住民データ {name}")
        if run.failed:
            raise CommandError(
                "連携に失敗した業務: " + "、".join(f"{u}（{e}）" for u, e in run.failed.items())
            )
