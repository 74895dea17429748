"""Settings of the 宛名 delivery, from Django settings or the environment, read when used (tests override).

``JUMIN_ATENA_DELIVERY``: ``near_realtime`` (default) applies the registry's events every
``JUMIN_ATENA_INTERVAL_MINUTES`` (1–10, default 5; standard 7.2.3-a: at least every 10 minutes);
``realtime`` applies them at every round of the task worker (immediate asynchronous, about a second).
The municipality chooses (7.2.3-a); ``jumin atena sync`` applies at once in either mode.
"""

from __future__ import annotations

import os
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAX_INTERVAL_MINUTES = 10  # standard 7.2.3-a (standard.md "Numbers in the standard")


class DeliveryMode(StrEnum):
    REALTIME = "realtime"
    NEAR_REALTIME = "near_realtime"


def _setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def delivery_mode() -> DeliveryMode:
    """The chosen mode; an unknown value is a configuration error, not a silent default."""
    value = _setting("JUMIN_ATENA_DELIVERY", DeliveryMode.NEAR_REALTIME)
    try:
        return DeliveryMode(value)
    except ValueError:
        raise ImproperlyConfigured("JUMIN_ATENA_DELIVERY must be realtime or near_realtime") from None


def interval_minutes() -> int:
    """Minutes between near-real-time rounds, 1 to 10."""
    value = int(_setting("JUMIN_ATENA_INTERVAL_MINUTES", "5"))
    if not 1 <= value <= MAX_INTERVAL_MINUTES:
        raise ImproperlyConfigured("JUMIN_ATENA_INTERVAL_MINUTES must be between 1 and 10 (standard 7.2.3-a)")
    return value


def interval_seconds() -> float:
    """Seconds between delivery rounds in the chosen mode (0: every round of the task worker)."""
    return 0.0 if delivery_mode() is DeliveryMode.REALTIME else interval_minutes() * 60.0
