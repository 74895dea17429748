"""`jumin cs members --operator U [--add CODE --name NAME] [--end CODE] [--send]`: members of a shared CS.

A CS shared by several municipalities (共同利用, docs/jukinet.md Flow 14) routes each received telegram to
one member. This command adds a member, ends a membership (its routed telegrams stay) and prints the
current members. Every change, and ``--send`` alone, sends the member list to the 都道府県サーバ and the
national node. Permission ``network:operate``; audited (``cs:member:change``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.command_args import operator_account
from jumin.domain.errors import DomainError
from jumin.jukinet.cs.shared_cs import change_members


class Command(BaseCommand):
    help = "Add or end the member municipalities of a shared CS (共同利用) and list them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--operator", required=True, help="連携運用の利用者名")
        parser.add_argument("--add", default="", help="追加する構成市町村の市町村コード（6桁）")
        parser.add_argument("--name", default="", help="追加する構成市町村の名称")
        parser.add_argument("--end", default="", help="構成団体を終了する市町村コード")
        parser.add_argument(
            "--send",
            action="store_true",
            help="変更がなくても構成市町村の一覧を都道府県サーバと全国サーバに送る",
        )
        parser.add_argument("--purpose", default="network_operate", help="利用目的（事務コード）")

    def handle(self, *args: Any, **options: Any) -> None:
        add = (options["add"].strip(), options["name"]) if options["add"] else None
        try:
            members = change_members(
                actor=operator_account(options["operator"]),
                purpose=options["purpose"],
                add=add,
                end=options["end"].strip(),
                send=options["send"],
            )
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.field}: {error.reason}（{error.remedy}）") from None
        if not members:
            self.stdout.write("構成市町村はありません（共同利用ではありません）。")
        for member in members:
            self.stdout.write(f"{member.municipality_code}  {member.name}")
