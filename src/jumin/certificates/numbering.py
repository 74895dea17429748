"""発行番号 serials (standard 5.5-a, algorithms.md §E): one serial per copy, gap-free within a scope and day.

Call inside the issuing transaction: the counter row stays locked until it commits, so two clerks never
get the same serial, and a refused or failed issuance rolls its serials back with everything else.
"""

from __future__ import annotations

from datetime import date

from jumin.accounts.context import current_terminal_id
from jumin.accounts.models import Terminal
from jumin.certificates import conf
from jumin.certificates.models import IssueCounter


def scope_key(day: date, *, terminal: str) -> str:
    """The counter a copy draws from: per municipality or terminal, per day (``issue_serial_scope``)."""
    if conf.serial_scope() == "terminal_day":
        return f"terminal:{terminal}:{day:%Y%m%d}"
    return f"municipality:{day:%Y%m%d}"


def next_serials(day: date, *, terminal: str, count: int) -> list[int]:
    """``count`` consecutive serials for ``day``; the counter stays locked until the transaction ends."""
    key = scope_key(day, terminal=terminal)
    IssueCounter.objects.get_or_create(scope=key)
    counter = IssueCounter.objects.select_for_update().get(scope=key)
    first = counter.last_serial + 1
    counter.last_serial += count
    counter.save(update_fields=["last_serial"])
    return list(range(first, first + count))


def issuing_terminal() -> tuple[str, str, str]:
    """(terminal id, terminal name for the 発行番号, place) of the current request; blank off a terminal."""
    terminal_id = current_terminal_id()
    if not terminal_id:
        return "", "", ""
    row = Terminal.objects.filter(terminal_id=terminal_id).values_list("name", "location").first()
    name, location = row if row else ("", "")
    return terminal_id, name, location
