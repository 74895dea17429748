"""`manage.py lapse_grants`: the yearly batch run on 1 April (controls.md C-14). Safe to run daily."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jumin.accounts.grants import lapse_grants


class Command(BaseCommand):
    help = "前年度の権限をすべて失効させ、権限管理簿に記録します（C-14）。"

    def handle(self, *args: Any, **options: Any) -> None:
        ended = lapse_grants()
        self.stdout.write(f"失効した権限: {ended} 件")
