"""宛名番号 / 世帯番号 issuance (standard 1.1.13-a) and the 住民票コード pool (standard 4.3.1-a)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone

from jumin import fixed_sql
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
    return issue_numbers(counter, 1)[0]


def issue_numbers(counter: str, count: int) -> list[str]:
    """The next ``count`` numbers of a counter, in order, as ``issue_number`` would give them one by one.

    One row lock and one update for all of them (performance.md P3: a household's people). No
    savepoint: an error here ends the caller's transaction anyway.
    """
    return issue_numbers_of({counter: count})[counter]


def issue_numbers_of(counts: Mapping[str, int]) -> dict[str, list[str]]:
    """``issue_numbers`` of several counters at once (a 転入's 世帯番号 and 宛名番号): their rows are
    locked in one statement and updated in one (performance.md P3).

    The rows are locked 世帯番号 first, the order of the workflows that issue both one by one
    (``services._household_for``, then the people), so concurrent issuers never deadlock.
    """
    numbers: dict[str, list[str]] = {counter: [] for counter in counts}
    wanted = sorted((counter for counter, count in counts.items() if count), reverse=True)
    if not wanted:
        return numbers
    length = int(str(settings.JUMIN_POLICIES["atena_serial_length"]))
    policy = _policy()
    with transaction.atomic(savepoint=False):
        locked = NumberCounter.objects.select_for_update().filter(name__in=wanted).order_by("-name")
        # The same text for every 転入 (fixed_sql, P3).
        found = fixed_sql.instances(("numbering.counters", len(wanted)), wanted, lambda: locked)
        rows = {row.name: row for row in found}
        if len(rows) < len(wanted):  # a counter's first use: created (a concurrent creator wins), locked
            created = [NumberCounter(name=counter) for counter in wanted if counter not in rows]
            NumberCounter.objects.bulk_create(created, ignore_conflicts=True)
            rows = {row.name: row for row in locked.all()}
        for counter in wanted:
            row = rows[counter]
            for _ in range(counts[counter]):
                serial = next_issuable_serial(str(row.last_serial + 1).zfill(length), policy=policy)
                digit = atena_check_digit(serial, policy=policy)
                if digit is None:  # next_issuable_serial never returns such a serial; guard the invariant
                    raise RuntimeError("numbering produced a serial that must not be issued")
                row.last_serial = int(serial)
                numbers[counter].append(serial + digit)
        _store_serials([rows[counter] for counter in wanted])
    return numbers


def _store_serials(rows: list[NumberCounter]) -> None:
    """UPDATE the counters' last serials in one statement, as ``bulk_update`` writes it (a CASE on the
    name), its text compiled once per number of counters (fixed_sql, P3)."""
    names = [row.name for row in rows]
    fixed_sql.run(
        ("numbering.store_serials", len(rows)),
        [*(value for row in rows for value in (row.name, row.last_serial)), *names],
        fixed_sql.updating(
            lambda: NumberCounter.objects.filter(name__in=names),
            last_serial=Case(*(When(name=row.name, then=Value(row.last_serial)) for row in rows)),
        ),
    )


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
    """Take one unused code at random from the pool (standard 4.3.1-a: random assignment)."""
    return take_juminhyo_codes(1)[0]


def take_juminhyo_codes(count: int) -> list[str]:
    """Take ``count`` unused codes, each at random from the pool (standard 4.3.1-a: random assignment).

    For each code a random 11-digit point is drawn and the first unused code at or after it is taken
    (wrapping around), which is one index probe however large the pool is. The codes are marked taken
    in one UPDATE at the end (performance.md P3), so later probes skip those already chosen.
    """
    chosen: list[str] = []
    # Built once: only the codes already chosen change from one probe to the next (P3).
    pool = (
        JuminhyoCodePool.objects.select_for_update(skip_locked=True)
        .filter(taken_at__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    with transaction.atomic(savepoint=False):  # an empty pool ends the caller's transaction anyway
        for _ in range(count):
            start = f"{secrets.randbelow(10**11):011d}"
            code = _first_code(pool, chosen, start) or _unused(pool, chosen).first()
            if code is None:
                raise DomainError(
                    field="juminhyo_code",
                    reason="未使用の住民票コードがありません。",
                    remedy="CSから住民票コードを取得してプールに登録してください。",
                    code="registry.code_pool_empty",
                )
            chosen.append(code)
        taken_at = timezone.now()
        fixed_sql.run(
            ("numbering.take", len(chosen)),
            [fixed_sql.db_value(JuminhyoCodePool, "taken_at", taken_at), *chosen],
            fixed_sql.updating(lambda: JuminhyoCodePool.objects.filter(code__in=chosen), taken_at=taken_at),
        )
    return chosen


def _unused(pool: QuerySet[JuminhyoCodePool, str], chosen: list[str]) -> QuerySet[JuminhyoCodePool, str]:
    return pool.exclude(code__in=chosen) if chosen else pool


def _first_code(pool: QuerySet[JuminhyoCodePool, str], chosen: list[str], start: str) -> str | None:
    """The first unused code at or after ``start``, not among ``chosen``: the probe's text is the same
    for the same number of codes chosen, so it is compiled once (fixed_sql, P3)."""
    rows = fixed_sql.read(
        ("numbering.probe", len(chosen)),
        [*chosen, start],
        fixed_sql.reading(lambda: _unused(pool, chosen).filter(code__gte=start)[:1]),
    )
    return str(rows[0][0]) if rows else None
