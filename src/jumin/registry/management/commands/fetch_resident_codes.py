"""`jumin manage fetch_resident_codes --count N --operator USERNAME`: unused 住民票コード through the CS.

The CS asks the national node (QUERY_RESIDENT_CODES, std 4.3.1) and the codes go to the registry's
pool (``JuminhyoCodePool``), from which 本登録 takes one at random.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jumin.accounts.authorization import AccessRefused, authorize
from jumin.accounts.command_args import operator_account
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.jukinet.cs.relays import fetch_resident_codes
from jumin.registry.numbering import load_code_pool


class Command(BaseCommand):
    help = "Fetch unused 住民票コード from the national node through the CS into the registry's pool."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="1–1000")
        parser.add_argument("--operator", required=True, help="住民記録バッチ運用の利用者名")
        parser.add_argument("--purpose", default="registry_batch")

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator_account(options["operator"])
        try:
            authorize(
                actor=user,
                permission=Permission.RESIDENT_BATCH_RUN,
                action=AuditAction.RESIDENT_CODE_POOL_LOAD,
                purpose=options["purpose"],
                subject_type="code_pool",
            )
            codes = fetch_resident_codes(options["count"], actor=user, purpose=options["purpose"])
            with transaction.atomic():
                added = load_code_pool(codes)
                record_event(
                    actor=user,
                    action=AuditAction.RESIDENT_CODE_POOL_LOAD,
                    subject_type="code_pool",
                    purpose=options["purpose"],
                    reason=f"{added} codes added from the CS",
                )
        except AccessRefused as error:
            raise CommandError(error.message) from None
        except DomainError as error:
            raise CommandError(f"{error.reason}{error.remedy}") from None
        self.stdout.write(f"住民票コード: {added}件をプールに追加しました。")
