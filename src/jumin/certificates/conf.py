"""Certificate settings with the spec's defaults; each can be set in the node's settings or environment."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from jumin.domain.certificates import DEFAULT_FEES, FeeTable, OverflowPrint
from jumin.domain.retention import SETTING_ISSUANCE_RETENTION
from jumin.domain.retention import issuance_retention_years as issuance_retention_years_of

SERIAL_SCOPES = ("municipality_day", "terminal_day")


def fee_table() -> FeeTable:
    """Yen per copy by certificate kind (``JUMIN_CERTIFICATE_FEES``; default 300 each)."""
    table: FeeTable = getattr(settings, "JUMIN_CERTIFICATE_FEES", DEFAULT_FEES)
    return table


def overflow_print() -> OverflowPrint:
    """``JUMIN_CERTIFICATE_OVERFLOW_PRINT``: an overflowing box prints up to the limit (default) or blank."""
    value = getattr(settings, "JUMIN_CERTIFICATE_OVERFLOW_PRINT", "") or OverflowPrint.TRUNCATE.value
    return OverflowPrint(value)


def serial_scope() -> str:
    """``issue_serial_scope`` (algorithms.md §E): one counter per municipality per day, or per terminal."""
    value = getattr(settings, "JUMIN_ISSUE_SERIAL_SCOPE", os.environ.get("JUMIN_ISSUE_SERIAL_SCOPE", ""))
    value = value or "municipality_day"
    if value not in SERIAL_SCOPES:
        raise ValueError("JUMIN_ISSUE_SERIAL_SCOPE must be municipality_day or terminal_day")
    return str(value)


def _var_keys() -> Path:
    return Path(settings.VAR_DIR) / "keys"


def signing_key_path() -> Path:
    """The municipality's certificate-signing private key (PEM, PKCS#8)."""
    configured = getattr(settings, "JUMIN_CERTIFICATE_SIGNING_KEY", None)
    return Path(configured) if configured else _var_keys() / "certificate-signing-key.pem"


def signing_cert_path() -> Path:
    """The X.509 certificate of that key (PEM); verification trusts exactly this certificate."""
    configured = getattr(settings, "JUMIN_CERTIFICATE_SIGNING_CERT", None)
    return Path(configured) if configured else _var_keys() / "certificate-signing-cert.pem"


def demo_mode() -> bool:
    return bool(getattr(settings, "JUMIN_DEMO", False))


def issuance_retention_years() -> int:
    """``JUMIN_ISSUANCE_RETENTION_YEARS``: years the 交付履歴 is kept (municipal; default 5, minimum 1)."""
    configured = getattr(settings, SETTING_ISSUANCE_RETENTION, os.environ.get(SETTING_ISSUANCE_RETENTION))
    return issuance_retention_years_of(configured)
