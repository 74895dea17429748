"""`manage.py pin_jpki_authority --file CA.pem`: pin the 機構's JPKI CA certificate at this municipality.

Run once at setup with the file the 機構 hands over (``manage.py export_jpki_authority`` on the national
node). The same certificate again is accepted; another one is refused (registry.jpki_trust).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.domain.errors import DomainError
from jumin.registry.jpki_trust import pin_authority


class Command(BaseCommand):
    help = "機構のJPKI認証局の証明書をこの市区町村に固定します（セットアップ時）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", required=True, type=Path, help="機構から受け取った CA 証明書（PEM）")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError("指定したファイルがありません。")
        try:
            certificate = pin_authority(path.read_bytes())
        except DomainError as error:
            raise CommandError(f"{error.reason}{error.remedy}") from None
        self.stdout.write(f"機構の認証局の証明書を固定しました: {certificate.subject.rfc4514_string()}")
