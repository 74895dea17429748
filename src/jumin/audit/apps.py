from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks


def _signing_key_check(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Outside demo mode the node refuses to start without its audit signing key (controls.md C-50)."""
    from jumin.audit import signing

    if signing.key_available():
        return []
    return [
        checks.Error(
            "監査ログ署名鍵がありません。"
            "JUMIN_AUDIT_SIGNING_KEY に Ed25519 の秘密鍵 (PEM) を置いてください。",
            id="jumin.audit.E001",
        )
    ]


class AuditConfig(AppConfig):
    name = "jumin.audit"
    label = "audit"
    verbose_name = "監査ログ"

    def ready(self) -> None:
        checks.register(_signing_key_check, checks.Tags.security)
