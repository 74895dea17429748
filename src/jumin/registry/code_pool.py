"""The 住民票コード pool's alert level (standard 4.3.1-a: "alert when the pool falls below a
municipality-set level"; standard § Numbers: no figure given).

``JUMIN_CODE_POOL_ALERT_LEVEL`` (setting or environment; default 1,000 unused codes, 0 switches the alert
off) is the level. Below it the registry menu shows a banner for every clerk, and the node's daily
housekeeping logs a warning for the operators; the remedy is ``jumin cs fetch-codes``. The counts are
not personal data.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from django.conf import settings

from jumin.messaging import housekeeping
from jumin.registry.models import JuminhyoCodePool

logger = logging.getLogger("jumin.registry")

SETTING = "JUMIN_CODE_POOL_ALERT_LEVEL"
#: Proposed default: about a week of 転入 and 出生 in a city of 250,000 (the seeds' Sasebo).
DEFAULT_ALERT_LEVEL = 1000


def alert_level() -> int:
    """The municipality's alert level (≥ 0); a value that is not a whole number ≥ 0 is refused."""
    configured = getattr(settings, SETTING, None)
    if configured is None:
        configured = os.environ.get(SETTING, DEFAULT_ALERT_LEVEL)
    try:
        level = int(str(configured))
    except ValueError:
        level = -1
    if level < 0:
        raise ValueError(f"{SETTING} は0以上の整数（件数）で設定してください。")
    return level


@dataclass(frozen=True)
class PoolStatus:
    """How many unused codes the pool holds and whether that is below the alert level."""

    unused: int
    alert_level: int

    @property
    def low(self) -> bool:
        """Below the level (a level of 0 never alerts)."""
        return self.unused < self.alert_level

    def message(self) -> str:
        """The banner text (Japanese; the remedy included)."""
        return (
            f"未使用の住民票コードが残り{self.unused}件です（警告水準 {self.alert_level}件）。"
            "jumin cs fetch-codes でCSから住民票コードを取得してください。"
        )


def pool_status() -> PoolStatus:
    """The pool's count of unused codes (one indexed count) against the alert level."""
    unused = JuminhyoCodePool.objects.filter(taken_at__isnull=True).count()
    return PoolStatus(unused=unused, alert_level=alert_level())


def warn_if_low() -> PoolStatus:
    """The daily check: a warning in the node's log when the pool is below its level."""
    status = pool_status()
    if status.low:
        logger.warning(
            "住民票コードのプールが警告水準を下回っています: 残り%d件（水準%d件）",
            status.unused,
            status.alert_level,
        )
    return status


# Operators learn of a low pool even on a day no clerk opens the menu.
housekeeping.register("registry.code_pool_alert", warn_if_low, kind="municipality")
