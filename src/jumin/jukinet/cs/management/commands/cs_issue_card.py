"""`jumin cs issue-card --operator U --resident-code C [--pin NNNN] --out FILE`: 交付 of a simulated card.

Without ``--pin`` the PIN is asked for on the terminal (not echoed, not in the process list).
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.domain.errors import DomainError
from jumin.jukinet.cs.cards import issue_card


class Command(BaseCommand):
    help = "Issue a simulated 個人番号カード (jumin-card/2) and register its keys with the national node."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="統合端末操作者の利用者名")
        parser.add_argument("--purpose", default="cs_operator", help="利用目的（事務コード）")
        parser.add_argument("--resident-code", required=True)
        parser.add_argument("--pin", default=None, help="暗証番号（4桁）。省略すると入力を求めます")
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if out.exists():
            raise CommandError("出力先のファイルが既にあります。上書きしません。")
        pin = options["pin"] or getpass.getpass("暗証番号（4桁）: ")
        try:
            card = issue_card(
                actor=operator_account(options["operator"]),
                purpose=options["purpose"],
                resident_code=options["resident_code"],
                pin=pin,
            )
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.reason}{error.remedy}") from None
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(card, handle, ensure_ascii=False, indent=2)
        self.stdout.write(
            f"カードを交付しました: シリアル番号 {card['card_serial']}（有効期限 {card['valid_until']}）"
        )
