"""`jumin certificates verify FILE` (issue 6 item 5), `samples` (doc pages) and `purge-history`.

Exit 0 and ``OK`` with the 発行番号 when the file is valid; exit 1 and ``NG`` with the reason otherwise
(a changed or appended file, another key, a number not in the 交付履歴, a voided copy).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
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


def _cmd_samples(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    import django

    django.setup()
    from jumin.certificates.samples import write_samples

    for path in write_samples(Path(args.out)):
        print(path)
    return 0


def _cmd_purge_history(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jumin.settings.base")
    import django

    django.setup()
    from jumin.certificates.retention import purge_expired_history

    try:
        day = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        print("NG --date は YYYY-MM-DD で指定してください。", file=sys.stderr)
        return 1
    try:
        report = purge_expired_history(today=day, dry_run=args.dry_run)
    except ValueError as error:  # the retention setting is not a whole number of years ≥ 1
        print(f"NG {error}", file=sys.stderr)
        return 1
    verb = "削除対象" if report.dry_run else "削除しました"
    counts = f"{report.issuances}件（{report.copies}通）"
    print(f"交付日が{report.cutoff.isoformat()}より前の交付履歴: {counts}{verb}。")
    print(f"本人通知が未作成のため残したもの: {report.kept_for_notices}件")
    return 0


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
    samples = group.add_parser("samples", help="render one sample page of each kind (synthetic data) as PNG")
    samples.add_argument(
        "--out", default="docs/certificates", help="output folder (default docs/certificates)"
    )
    samples.set_defaults(func=_cmd_samples)
    purge = group.add_parser(
        "purge-history",
        help="delete 交付履歴 past JUMIN_ISSUANCE_RETENTION_YEARS (the node also does it daily by itself)",
    )
    purge.add_argument("--date", help="as-of day (YYYY-MM-DD); default today")
    purge.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    purge.set_defaults(func=_cmd_purge_history)
