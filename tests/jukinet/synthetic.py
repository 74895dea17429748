"""Synthetic 住基ネット values shared by the CS, prefecture and national tests (no real person)."""

from __future__ import annotations

import itertools
import secrets
from typing import Any

from jumin.domain.checkdigits import check_digit_for, mynumber_check_digit
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE, IdentityNotice

_serial = itertools.count(1)


def resident_code() -> str:
    """A fresh well-formed synthetic 住民票コード (the federation's check-digit rule)."""
    base = f"9{secrets.randbelow(10**6):06d}{next(_serial):03d}"[:10]
    return base + check_digit_for("juminhyo", base, juminhyo_rule=RESIDENT_CODE_RULE)


def individual_number() -> str:
    """A random, well-formed synthetic 個人番号."""
    base = f"{secrets.randbelow(10**11):011d}"
    return base + mynumber_check_digit(base)


def identity_notice(**items: Any) -> dict[str, Any]:
    """A valid IDENTITY_UPDATE payload: ``items`` replace the defaults (a fresh code and number each time)."""
    payload = IdentityNotice(
        resident_code=resident_code(),
        name="試験　太郎",
        name_gaiji_count=0,
        name_kana="シケン　タロウ",
        name_kana_seion="シケン タロウ",
        birth_date="19800102",
        sex="male",
        municipality_code="422029",
        aza_code="",
        address="長崎県試験市本町一丁目1番地",
        address_gaiji_count=0,
        individual_number=individual_number(),
        change_reason="国内転入",
        change_date="2026-01-05",
        former_surname="",
        former_surname_gaiji_count=0,
        former_surname_kana="",
        gaiji_flag=False,
        operator_id="clerk01",
        terminal_id="T001",
        timestamp="2026-01-05T01:02:03Z",
        update_seq=1,
        removed=False,
    ).as_payload()
    payload.update(items)
    return payload
