"""Audit test helpers: a throwaway signing key and the attacker who drops the append-only triggers."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection


@pytest.fixture(scope="session")
def signing_key_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys") / "audit-ed25519.pem"


@pytest.fixture(autouse=True)
def _audit_signing_key(settings, signing_key_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.JUMIN_AUDIT_SIGNING_KEY = str(signing_key_path)


def drop_append_only_guards() -> None:
    """Simulate an attacker with DDL rights on every audit table: the verifier must still notice."""
    with connection.cursor() as cursor:
        for name in ("entry", "result", "checkpoint", "listed"):
            if connection.vendor == "postgresql":
                table = {
                    "entry": "auditentry",
                    "result": "auditresultsubject",
                    "checkpoint": "auditcheckpoint",
                    "listed": "listedsubject",
                }
                cursor.execute(f"DROP TRIGGER IF EXISTS audit_{name}_no_update_delete ON audit_{table[name]}")
                cursor.execute(f"DROP TRIGGER IF EXISTS audit_{name}_no_truncate ON audit_{table[name]}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS audit_{name}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS audit_{name}_no_delete")
