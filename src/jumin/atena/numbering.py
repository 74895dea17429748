"""統合宛名番号の付番 (system.md M5 §1): a serial and a check digit, issued once, never reused.

The number is the municipality's own (no national format): Jumin issues a 14-digit serial and the
modulus-11 check digit of the 宛名番号 (algorithms.md A.4), 15 digits in all, so it is never mistaken
for a 12-digit 個人番号 or an 11-digit 住民票コード. It stays inside the 宛名 system: it is never
written into the registry (system.md rule 8, standard 7.1.2.3-b is X).
"""

from __future__ import annotations

from django.utils import timezone

from jumin.atena.models import IntegratedNumber, IntegratedNumberCounter
from jumin.domain.checkdigits import atena_check_digit

SERIAL_LENGTH = 14
_COUNTER = "integrated"


def with_check_digit(serial: int) -> str:
    """The 統合宛名番号 of a serial: 14 digits and the check digit."""
    digits = str(serial).zfill(SERIAL_LENGTH)
    check = atena_check_digit(digits, field="integrated_number")
    assert check is not None  # the default policy gives every serial a digit
    return digits + check


def issue_number(*, event_id: str) -> IntegratedNumber:
    """Issue the next 統合宛名番号; call inside the caller's transaction (the counter row is locked)."""
    counter, _ = IntegratedNumberCounter.objects.select_for_update().get_or_create(name=_COUNTER)
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return IntegratedNumber.objects.create(
        number=with_check_digit(counter.last_serial), assigned_at=timezone.now(), first_event_id=event_id
    )
