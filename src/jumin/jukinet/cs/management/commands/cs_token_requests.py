"""`jumin cs token-requests --operator U [--send 住民票コード] [--grace-minutes N]`: 符号取得要求.

``--send`` sends one 符号取得要求 for a current person of this CS (docs/jukinet.md Flow 15). Every run
then lists the requests sent more than ``--grace-minutes`` (default 60) ago and never answered: the
check std 7.1.2.2-a asks for. The list shows the 要求番号 and 送信日時, never the person; it is audited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.domain.errors import DomainError
from jumin.jukinet.cs.token_requests import send_by_operator, unanswered_for_operator


class Command(BaseCommand):
    help = "Send a 符号取得要求 and list the requests never answered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="統合端末操作者の利用者名")
        parser.add_argument("--send", default="", help="符号取得要求を送る方の住民票コード")
        parser.add_argument("--grace-minutes", type=int, default=60, help="未回答とみなすまでの分数")
        parser.add_argument("--purpose", default="cs_operator", help="利用目的（事務コード）")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = operator_account(options["operator"])
        purpose = options["purpose"]
        try:
            if options["send"]:
                sent = send_by_operator(options["send"].strip(), actor=actor, purpose=purpose)
                self.stdout.write(f"符号取得要求を送信しました（要求番号 {sent.request_id}）。")
            grace = timedelta(minutes=max(0, options["grace_minutes"]))
            rows = unanswered_for_operator(actor=actor, purpose=purpose, grace=grace)
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.reason}（{error.remedy}）") from None
        self.stdout.write(f"未回答の符号取得要求: {len(rows)}件")
        for row in rows:
            self.stdout.write(
                f"  {row.request_id}  送信 {row.sent_at:%Y-%m-%d %H:%M}  {row.municipality_code}"
            )
