"""`manage.py export_jpki_authority --out CA.pem`: the 機構's JPKI CA certificate, for municipalities
to pin at setup (``manage.py pin_jpki_authority``). The certificate only; the key stays here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.jukinet.national.services import jpki


class Command(BaseCommand):
    help = "機構のJPKI認証局の証明書（PEM）を書き出します（市区町村が固定するため）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if out.exists():
            raise CommandError("出力先のファイルが既にあります。上書きしません。")
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(jpki.authority().public_bytes(Encoding.PEM))
        self.stdout.write(f"機構の認証局の証明書を書き出しました: {out}")
