"""`jumin certificates verify FILE`: check a certificate PDF's signature and its 発行番号 (issue 6 item 5).

Exit 0 and ``OK`` with the 発行番号 when the file is valid; exit 1 and ``NG`` with the reason otherwise
(a changed or appended file, another key, a number not in the 交付履歴, a voided copy).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any


def verify_file(path: Path) -> int:
    """Verify one file against this node's key and 交付履歴; print the verdict; return the exit code."""
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"NG ファイルを読めません（{error.strerror}）。", file=sys.stderr)
        return 1
    from jumin.certificates.services import verify_certificate

    result = verify_certificate(data=data)
    if result.valid:
        print("OK " + " / ".join(result.copy_numbers))
        return 0
    print(f"NG {result.reason}")
    return 1


def _cmd_verify(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    import django

    django.setup()
    return verify_file(Path(args.file))


def add_parsers(sub: Any) -> None:
    """Add the `certificates` command group to the `jumin` command tree."""
    group = sub.add_parser("certificates", help="証明書（住民票の写し等）").add_subparsers(
        dest="action", required=True
    )
    verify = group.add_parser(
        "verify", help="check a certificate PDF: exit 0 and OK, or exit 1 and NG with the reason"
    )
    verify.add_argument("file", metavar="FILE", help="the PDF to verify")
    verify.set_defaults(func=_cmd_verify)
