"""CLI commands that need only the pure domain (no Django, no database)."""

from __future__ import annotations

import argparse

from jumin.domain import checkdigits, wareki
from jumin.domain.errors import DomainError

CODE_KINDS = ("mynumber", "corporate", "lgcode", "atena", "juminhyo")


def _fail(error: DomainError) -> int:
    print(f"NG: {error.reason}{error.remedy}")
    return 1


def cmd_codes_check(args: argparse.Namespace) -> int:
    """`jumin codes check KIND VALUE`: exit 0 and OK when valid, exit 1 and the reason when not."""
    try:
        checkdigits.validate_code(args.kind, args.value)
    except DomainError as error:
        return _fail(error)
    print("OK")
    return 0


def cmd_codes_checkdigit(args: argparse.Namespace) -> int:
    """`jumin codes checkdigit KIND BASE`: print the check digit only."""
    try:
        print(checkdigits.check_digit_for(args.kind, args.base))
    except DomainError as error:
        return _fail(error)
    return 0


def cmd_wareki_to_seireki(args: argparse.Namespace) -> int:
    """`jumin wareki to-seireki TEXT`: ISO date, or the structured 不詳 value as JSON."""
    try:
        print(wareki.to_seireki_text(args.text))
    except DomainError as error:
        return _fail(error)
    return 0


def cmd_wareki_from_seireki(args: argparse.Namespace) -> int:
    """`jumin wareki from-seireki YYYY-MM-DD`: every valid 和暦 form, one per line."""
    try:
        for line in wareki.from_seireki_lines(args.date):
            print(line)
    except DomainError as error:
        return _fail(error)
    return 0
