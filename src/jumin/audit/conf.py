"""Audit settings with their defaults; each can be set in Django settings or the environment.

Read through these functions, never at import time, so tests can override settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def _int_setting(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    return default if value is None else int(value)


def checkpoint_every_entries() -> int:
    """N: a signed checkpoint after every N entries (controls.md C-50). Default 1000."""
    return max(1, _int_setting("JUMIN_AUDIT_CHECKPOINT_ENTRIES", 1000))


def checkpoint_every_minutes() -> int:
    """M: a signed checkpoint at the first append M minutes after the last one. Default 60."""
    return max(1, _int_setting("JUMIN_AUDIT_CHECKPOINT_MINUTES", 60))


def signing_key_path() -> Path:
    """The node's Ed25519 private key (PEM). Default ``var/keys/audit-ed25519.pem``."""
    value = getattr(settings, "JUMIN_AUDIT_SIGNING_KEY", None) or os.environ.get("JUMIN_AUDIT_SIGNING_KEY")
    if value:
        return Path(value)
    var_dir = Path(getattr(settings, "VAR_DIR", Path.cwd() / "var"))
    return var_dir / "keys" / "audit-ed25519.pem"


def demo_mode() -> bool:
    return bool(getattr(settings, "JUMIN_DEMO", False))


def mass_search_threshold() -> int:
    """A single search listing at least this many persons is a mass search (standard 10.2-d). Default 100."""
    return _int_setting("JUMIN_AUDIT_MASS_SEARCH_RESULTS", 100)


def searches_per_day_threshold() -> int:
    """A user running at least this many searches in one day is listed too. Default 200."""
    return _int_setting("JUMIN_AUDIT_MASS_SEARCH_PER_DAY", 200)


def office_hours() -> tuple[int, int]:
    """Opening and closing hour (local time); access outside them is after-hours. Default 8–19."""
    return _int_setting("JUMIN_AUDIT_OFFICE_OPENS", 8), _int_setting("JUMIN_AUDIT_OFFICE_CLOSES", 19)


def verify_workers() -> int:
    """Processes that verify the chain in parallel (P7). Default: the number of CPUs, at most 4."""
    return max(1, _int_setting("JUMIN_AUDIT_VERIFY_WORKERS", min(4, os.cpu_count() or 1)))


def parallel_minimum() -> int:
    """Below this many entries forking verifier processes costs more than it saves. Default 100,000."""
    return _int_setting("JUMIN_AUDIT_PARALLEL_MINIMUM", 100_000)


def credential_review_interval_days() -> int:
    """Days between reviews of staff credentials (C-21: "periodically"; no source figure, proposed 90).

    Range 1–366; outside it the default applies.
    """
    value = _int_setting("JUMIN_CREDENTIAL_REVIEW_DAYS", 90)
    return value if 1 <= value <= 366 else 90


def export_max_rows() -> int:
    """The most rows one CSV extraction of the audit log holds (standard 10.2-c). Default 100,000."""
    return max(1, _int_setting("JUMIN_AUDIT_EXPORT_MAX_ROWS", 100_000))
