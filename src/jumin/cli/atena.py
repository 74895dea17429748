"""`jumin atena sync --operator U`: apply the registry's events to the 団体内統合宛名 system now
(docs/atena.md); forwards to the node's management command ``atena_sync``."""

from __future__ import annotations

import argparse
from typing import Any

from jumin.cli.cs import run_management_command

COMMANDS = {"sync": "atena_sync"}


def _run(args: argparse.Namespace) -> int:
    return run_management_command(COMMANDS[args.action], args.rest)


def add_parsers(sub: Any) -> None:
    """Add ``jumin atena ACTION [options]``."""
    atena = sub.add_parser("atena", help="団体内統合宛名: 住民記録の登録イベントを今すぐ連携")
    atena.add_argument("action", choices=sorted(COMMANDS))
    atena.add_argument("rest", nargs=argparse.REMAINDER, help="options of the command (see --help of each)")
    atena.set_defaults(func=_run)
