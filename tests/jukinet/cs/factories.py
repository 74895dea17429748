"""Synthetic CS data for the tests: valid 住民票コード, 個人番号 and update requests."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from django.utils import timezone

from jumin.domain.checkdigits import JuminhyoCodeRule, check_digit_for, mynumber_check_digit
from jumin.jukinet.cs.models import ConsistencyDifference, ConsistencyRun, DifferenceKind
from jumin.jukinet.cs.updates import CsUpdateRequest

_serial = itertools.count(1)


def resident_code(n: int) -> str:
    """The n-th valid synthetic 住民票コード (federation rule), ascending with n."""
    base = f"{3000000000 + n * 7:010d}"
    return base + check_digit_for("juminhyo", base, juminhyo_rule=JuminhyoCodeRule.M11W27_CANDIDATE)


def individual_number(n: int) -> str:
    """A valid synthetic 個人番号."""
    base = f"{50000000000 + n:011d}"
    return base + mynumber_check_digit(base)


def update(**overrides: Any) -> CsUpdateRequest:
    """A 国内転入 update of a synthetic person; tests state only what matters to them."""
    n = next(_serial)
    values: dict[str, Any] = {
        "request_number": f"req-{n}",
        "resident_code": resident_code(n),
        "name": "試験\u3000太郎",
        "name_kana": "シケン\u3000タロウ",
        "birth_date": "19800401",
        "sex": "male",
        "municipality_code": "422029",
        "aza_code": "001000",
        "postal_code": "8570044",
        "address": "長崎県佐世保市相生町1番1号",
        "individual_number": individual_number(n),
        "became_resident_date": timezone.localdate().isoformat(),
        "address_set_date": timezone.localdate().isoformat(),
        "notification_date": timezone.localdate().isoformat(),
        "previous_municipality_code": "",
        "previous_address": "東京都日野市神明1丁目1番1号",
        "relationship": "世帯主",
        "change_reason": "国内転入",
        "change_date": timezone.localdate().isoformat(),
        "change_reason_detail": "国内転入",
        "former_resident_code": "",
        "code_in_use_date": "",
        "former_surname": "",
        "former_surname_kana": "",
        "removed": False,
        "prospective": False,
        "operator_id": "clerk01",
        "terminal_id": "T-TEST-01",
    }
    values.update(overrides)
    return CsUpdateRequest(**values)


def then(request: CsUpdateRequest, **changes: Any) -> CsUpdateRequest:
    """A later update of the same person."""
    return replace(request, request_number=f"req-{next(_serial)}", **changes)


def differing(resident_code: str, *, municipality_code: str = "422029") -> ConsistencyRun:
    """A finished 整合性確認 run against the prefecture that found this one person's record different."""
    run = ConsistencyRun.objects.create(
        run_id="00000000-0000-0000-0000-0000000000cc",
        target="prefecture:420000",
        municipality_code=municipality_code,
        started_at=timezone.now(),
        differences=1,
        status="done",
    )
    ConsistencyDifference.objects.create(run=run, resident_code=resident_code, kind=DifferenceKind.DIFFERENT)
    return run
