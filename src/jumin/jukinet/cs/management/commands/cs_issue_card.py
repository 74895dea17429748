"""`jumin cs issue-card --operator U --resident-code C [--pin NNNN] [--signing-password P |
--no-signing-certificate] --out FILE`: 交付 of a simulated card.

Without ``--pin`` (or ``--signing-password``) the PIN (the 署名用パスワード) is asked for on the terminal
(not echoed, not in the process list); an empty 署名用パスワード, or ``--no-signing-certificate``, declines
the 署名用電子証明書. When the 機構 issues none (15歳未満, 生年月日不詳) the command says why.
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
from jumin.jukinet.cs.cards import issue_card_file


class Command(BaseCommand):
    help = "Issue a simulated 個人番号カード (jumin-card/2) and register its keys with the national node."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="統合端末操作者の利用者名")
        parser.add_argument("--purpose", default="cs_operator", help="利用目的（事務コード）")
        parser.add_argument("--resident-code", required=True)
        parser.add_argument("--pin", default=None, help="暗証番号（4桁）。省略すると入力を求めます")
        parser.add_argument(
            "--signing-password",
            default=None,
            help="署名用パスワード（英大文字・数字6〜16文字）。省略すると入力を求めます",
        )
        parser.add_argument(
            "--no-signing-certificate", action="store_true", help="署名用電子証明書を発行しない（本人の希望）"
        )
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if out.exists():
            raise CommandError("出力先のファイルが既にあります。上書きしません。")
        pin = options["pin"] or getpass.getpass("暗証番号（4桁）: ")
        signing_password = "" if options["no_signing_certificate"] else options["signing_password"]
        if signing_password is None:
            signing_password = getpass.getpass(
                "署名用パスワード（英大文字・数字6〜16文字、空欄で発行しない）: "
            )
        try:
            issued = issue_card_file(
                actor=operator_account(options["operator"]),
                purpose=options["purpose"],
                resident_code=options["resident_code"],
                pin=pin,
                signing_password=signing_password,
            )
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.reason}{error.remedy}") from None
        card = issued.card
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(card, handle, ensure_ascii=False, indent=2)
        self.stdout.write(
            f"カードを交付しました: シリアル番号 {card['card_serial']}（有効期限 {card['valid_until']}）"
        )
        if issued.signing_note:
            self.stdout.write(issued.signing_note)
