"""`jumin manage rebuild_search_keys [--atena-number N]`: rewrite the derived search keys.

Needed after a change of the kana folding rules (``KANA_KEY_VERSION``), of the variant-kanji map or
its supplementary table (``variant_key_version()``), or after the migration that added the issue 5
columns (docs/search.md "Search keys"). Keys are derived data: stored records are never touched.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.kana import KANA_KEY_VERSION, variant_key_version
from jumin.registry.search_keys import rebuild_all


class Command(BaseCommand):
    help = "Rebuild the resident search keys of every committed person, or of one 宛名番号."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--atena-number", default=None, help="only this person (宛名番号)")

    def handle(self, *args: Any, **options: Any) -> None:
        atena_number: str | None = options["atena_number"]
        people, rows = rebuild_all(atena_number)
        if atena_number is not None and people == 0:
            # The number is not echoed: it identifies a person.
            raise CommandError(
                "指定の宛名番号の住民（本登録済み）が見つかりません。宛名番号を確認してください。"
            )
        record_event(
            actor=None,
            action=AuditAction.RESIDENT_SEARCH_KEYS_REBUILD,
            subject_type="resident" if atena_number else "search_keys",
            subject_id=atena_number or "",
            reason=(
                f"{people} residents, {rows} key rows; "
                f"kana {KANA_KEY_VERSION}, variant {variant_key_version()}"
            ),
        )
        self.stdout.write(f"検索キーを再作成しました: {people}人、{rows}行。")
