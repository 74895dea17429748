"""The logged 「画面ハードコピー」 (standard 10.7-a, 10.2-a): a print of the current screen, audited.

The entry names the screen (its URL name), the clerk, the terminal and the time, never what the
screen showed: the seeds allow a hard copy of 本人確認情報 only as far as the work needs, so each one
is traceable, and the log itself holds no personal data.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from jumin.accounts.context import audit_context
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.web.screen_help import help_for


def record_screen_hardcopy(*, actor: Any, screen: str) -> None:
    """Audit one screen hard copy; only a known screen name is accepted, so nothing else is logged."""
    if help_for(screen) is None:
        raise DomainError(
            field="screen",
            reason="画面名が正しくありません。",
            remedy="印刷する画面の「画面ハードコピー」ボタンから操作してください。",
            code="web.unknown_screen",
        )
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.SCREEN_HARDCOPY_PRINT,
            subject_type="screen",
            subject_id=screen,
            **audit_context(),
        )
