"""`jumin cs …`: operator commands of the 市町村CS (docs/jukinet.md), run on the CS host itself.

Each forwards to a Django management command of the node:

* ``jumin cs send-pending``: queue the waiting 本人確認情報 notices (送信待ち);
* ``jumin cs consistency --operator U [--to prefecture|national|both|fuhyo]``: 整合性確認;
* ``jumin cs issue-card --operator U --resident-code C [--pin NNNN] [--signing-password P |
  --no-signing-certificate] --out FILE``: 交付 of a card;
* ``jumin cs load --operator U [--no-notify]``: 初期ロード of the CS file from the registry;
* ``jumin cs compare-registry --operator U``: the registry ↔ CS comparison (reads only);
* ``jumin cs card-sync --operator U [--repair]``: national card changes into the registry; card status
  compared with the CS (std 7.1.1.3-a);
* ``jumin cs marks --operator U``: bring the CS's 抑止マーク in line with the registry's restrictions;
* ``jumin cs fetch-codes --operator U --count N``: unused 住民票コード into the registry's pool;
* ``jumin cs send-sending-addresses``: queue the waiting 送付先情報 for N4;
* ``jumin cs purge-sending-addresses [--date D]``: delete 送付先情報 1 business day after linkage;
* ``jumin cs purge-wide-area [--date D]``: delete 広域交付 records past ``JUMIN_ISSUANCE_RETENTION_YEARS``;
* ``jumin cs erase-certificates [--date D]``: erase held 転出証明書情報 unused 30 days after the planned date;
* ``jumin cs send-waiting-certificates``: send the 転出証明書情報 left unsent for want of a peer;
* ``jumin cs send-waiting-continued-use``: send the 特例転入's 継続利用 left unsent for want of N4;
* ``jumin cs import-fuhyo FILE --operator U``: send a CSV of 附票本人確認情報 updates (all or nothing);
* ``jumin cs import-move-in-notices --operator U``: received 転入通知 into 転出確定 drafts (daily);
* ``jumin cs fuhyo-notices --operator U --out FILE [--after ID]``: received 戸籍附票記載事項通知 as CSV.
* ``jumin cs members --operator U [--add CODE --name NAME] [--end CODE] [--send]``: members of a shared CS.
* ``jumin cs register-character --operator U --character U+XXXX --code CODE``: register a 外字 as
  住基ネット統一文字.
* ``jumin cs token-requests --operator U [--send CODE] [--grace-minutes N]``: send a 符号取得要求; list
  the requests never answered.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

COMMANDS = {
    "send-pending": "cs_send_pending",
    "consistency": "cs_consistency",
    "issue-card": "cs_issue_card",
    "load": "cs_load",
    "compare-registry": "cs_compare_registry",
    "card-sync": "cs_card_sync",
    "marks": "cs_restriction_marks",
    "fetch-codes": "fetch_resident_codes",
    "send-sending-addresses": "cs_send_sending_addresses",
    "purge-sending-addresses": "cs_purge_sending_addresses",
    "purge-wide-area": "cs_purge_wide_area",
    "erase-certificates": "cs_erase_certificates",
    "send-waiting-certificates": "cs_send_waiting_certificates",
    "send-waiting-continued-use": "cs_send_waiting_continued_use",
    "import-fuhyo": "cs_import_fuhyo",
    "import-move-in-notices": "import_move_in_notices",
    "fuhyo-notices": "cs_fuhyo_notices",
    "token-requests": "cs_token_requests",
    "members": "cs_members",
    "register-character": "cs_register_character",
}


def run_management_command(name: str, rest: list[str]) -> int:
    """Run one of the node's management commands; a CommandError is printed, exit status 1."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    import django
    from django.core.management import call_command
    from django.core.management.base import CommandError

    django.setup()
    try:
        call_command(name, *rest)
    except CommandError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _run(args: argparse.Namespace) -> int:
    return run_management_command(COMMANDS[args.action], args.rest)


def add_parsers(sub: Any) -> None:
    """Add ``jumin cs ACTION [options]`` (the options are those of the management command)."""
    cs = sub.add_parser(
        "cs", help="市町村CS: 送信待ちの送信、整合性確認、カード交付、初期ロード、住民票コード取得"
    )
    cs.add_argument("action", choices=sorted(COMMANDS))
    cs.add_argument("rest", nargs=argparse.REMAINDER, help="options of the command (see --help of each)")
    cs.set_defaults(func=_run)
