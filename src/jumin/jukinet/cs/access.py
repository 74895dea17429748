"""Who may use the 統合端末 (M4) functions: a CS permission, on a biometric-only CS terminal (C-4).

Every CS service goes through ``require``: the permission check of ``authorize`` (audited refusal)
and, for a request, the terminal check (a clerk terminal never reaches the CS, audited as well). A
command run on the CS host itself (``jumin cs …``, no request and so no terminal id) is operated there
and is not a terminal session.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, TypeVar

from jumin.accounts.authorization import AccessRefused, authorize, has_permission, mask, visible_fields
from jumin.accounts.context import audit_context, current_terminal_id
from jumin.accounts.permissions import Permission
from jumin.accounts.services import biometric_only_terminal
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event

CS_TERMINAL_REQUIRED = "市町村CSの機能は、生体認証専用の統合端末からのみ利用できます。"


def require(
    *,
    actor: Any,
    permission: Permission,
    action: AuditAction,
    purpose: str,
    subject_type: str = "",
    subject_id: str = "",
) -> None:
    """Return if the actor may use this CS function here; otherwise audit and raise AccessRefused."""
    authorize(
        actor=actor,
        permission=permission,
        action=action,
        purpose=purpose,
        subject_type=subject_type,
        subject_id=subject_id,
    )
    if current_terminal_id() and not biometric_only_terminal():
        record_event(
            actor=actor,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            purpose=purpose,
            outcome=Outcome.REFUSED,
            outcome_reason="cs_terminal_required",
            **audit_context(),
        )
        raise AccessRefused(CS_TERMINAL_REQUIRED, reason_code="cs_terminal_required")


def visible_items(actor: Any) -> frozenset[Permission]:
    """The actor's field grants (C-10) as ``registry.selectors`` uses them: the 個人番号 also needs
    特定個人情報アクセス権限 (C-9), so FIELD_INDIVIDUAL_NUMBER_VIEW counts only beside it."""
    fields = visible_fields(actor)
    if Permission.FIELD_INDIVIDUAL_NUMBER_VIEW in fields and not has_permission(
        actor, Permission.INDIVIDUAL_NUMBER_ACCESS
    ):
        fields = fields - {Permission.FIELD_INDIVIDUAL_NUMBER_VIEW}
    return fields


def may_see_individual_number(actor: Any) -> bool:
    """C-9 and C-10: without both grants the 個人番号 is masked on every CS screen."""
    return Permission.FIELD_INDIVIDUAL_NUMBER_VIEW in visible_items(actor)


def shown_resident_code(code: str, visible: frozenset[Permission]) -> str:
    """The 住民票コード, or the mask without FIELD_JUMINHYO_CODE_VIEW (C-10); "" stays ""."""
    return mask(code, visible=Permission.FIELD_JUMINHYO_CODE_VIEW in visible) if code else ""


class _NamesAPerson(Protocol):
    @property
    def resident_code(self) -> str: ...


Answer = TypeVar("Answer", bound=_NamesAPerson)


def with_resident_code_as_seen(answer: Answer, actor: Any) -> Answer:
    """A service's answer (a frozen dataclass naming one person by ``resident_code``) as ``actor`` may
    see it: the code masked without FIELD_JUMINHYO_CODE_VIEW (C-10). For answers whose code other CS
    services still need (the card check's holder), so they mask where they leave the CS: the API."""
    shown = shown_resident_code(answer.resident_code, visible_items(actor))
    return dataclasses.replace(answer, resident_code=shown)  # type: ignore[type-var]
