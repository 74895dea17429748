"""宛名番号 / 世帯番号 issuance (standard 1.1.13-a) and the 住民票コード pool (standard 4.3.1-a)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jumin.domain.checkdigits import (
    JuminhyoCodeRule,
    M11Remainder1Policy,
    atena_check_digit,
    next_issuable_serial,
    validate_juminhyo_code,
)
from jumin.domain.errors import DomainError
from jumin.registry.models import JuminhyoCodePool, NumberCounter

ATENA = "atena"
HOUSEHOLD = "household"


def _policy() -> M11Remainder1Policy:
    return M11Remainder1Policy(str(settings.JUMIN_POLICIES["m11_remainder1"]))


def issue_number(counter: str) -> str:
    """The next 宛名番号 or 世帯番号: serial plus M11 check digit, skipping r=1 under `skip` (A.4).

    Runs in the caller's transaction; the counter row lock serialises concurrent issuers.
    """
    length = int(str(settings.JUMIN_POLICIES["atena_serial_length"]))
    policy = _policy()
    with transaction.atomic():
        row, _ = NumberCounter.objects.select_for_update().get_or_create(name=counter)
        serial = next_issuable_serial(str(row.last_serial + 1).zfill(length), policy=policy)
        digit = atena_check_digit(serial, policy=policy)
        if digit is None:  # next_issuable_serial never returns such a serial; guard the invariant
            raise RuntimeError("numbering produced a serial that must not be issued")
        row.last_serial = int(serial)
        row.save(update_fields=["last_serial"])
    return serial + digit


def load_code_pool(codes: list[str]) -> int:
    """Add unused 住民票コード to the pool and return how many were new.

    A local pool loaded by command until the CS supplies codes (issue 8). Known codes are skipped.
    """
    rule = JuminhyoCodeRule(str(settings.JUMIN_POLICIES["juminhyo_code_rule"]))
    valid = [validate_juminhyo_code(code, rule=rule) for code in codes]
    with transaction.atomic():
        before = JuminhyoCodePool.objects.count()
        JuminhyoCodePool.objects.bulk_create(
            [JuminhyoCodePool(code=code) for code in valid], ignore_conflicts=True, batch_size=5000
        )
        return JuminhyoCodePool.objects.count() - before


def take_juminhyo_code() -> str:
    """Take one unused code at random from the pool (standard 4.3.1-a: random assignment).

    A random 11-digit point is drawn and the first unused code at or after it is taken (wrapping
    around), which is one index probe however large the pool is.
    """
    start = f"{secrets.randbelow(10**11):011d}"
    with transaction.atomic():
        unused = (
            JuminhyoCodePool.objects.select_for_update(skip_locked=True)
            .filter(taken_at__isnull=True)
            .order_by("code")
        )
        code = unused.filter(code__gte=start).first() or unused.first()
        if code is None:
            raise DomainError(
                field="juminhyo_code",
                reason="未使用の住民票コードがありません。",
                remedy="CSから住民票コードを取得してプールに登録してください。",
                code="registry.code_pool_empty",
            )
        code.taken_at = timezone.now()
        code.save(update_fields=["taken_at"])
    return code.code
