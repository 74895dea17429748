"""The register of requesting bodies (提供先・移転先), their legal bases and their terminal operators.

An executive body of the prefecture (教育委員会, 選挙管理委員会 …) receives 提供 under 住基法30条の15第2項
and a 条例; a department of the governor receives 移転 under 第1項 (system.md D20). Each basis (事務)
lists the items it may receive; the 住民票コード only as a transitional measure (番号整備法22条7項).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.jukinet.prefecture.provision.items import clean_items
from jumin.jukinet.prefecture.provision.models import BodyOperator, LegalBasis, RequestingBody

BODY_KINDS = RequestingBody.Kind.choices
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
ACTION = AuditAction.PROVISION_BODY_MANAGE


def _event(actor: Any, purpose: str, subject_type: str, subject_id: str, reason: str = "") -> None:
    record_event(
        actor=actor,
        action=ACTION,
        purpose=purpose,
        subject_type=subject_type,
        subject_id=subject_id,
        outcome_reason=reason,
        **audit_context(),
    )


def register_body(
    *, actor: Any, code: str, name: str, kind: str, ordinance: str = "", purpose: str
) -> RequestingBody:
    """Register a requesting body; an executive body needs the 条例 that allows its 事務."""
    authorize(actor=actor, permission=Permission.PROVISION_BODY_MANAGE, action=ACTION, purpose=purpose)
    code, name, ordinance = code.strip(), name.strip(), ordinance.strip()
    if not _CODE.match(code):
        raise refusal(
            "code",
            "提供先コードの形式が不正です。",
            "英数字20文字以内で入力してください。",
            "provision.body_code",
        )
    if not name or len(name) > 100:
        raise refusal(
            "name",
            "提供先の名称が未入力か長すぎます。",
            "100文字以内で入力してください。",
            "provision.body_name",
        )
    if kind not in RequestingBody.Kind.values:
        raise refusal(
            "kind",
            "提供先の種別が不正です。",
            "他の執行機関か知事部局の他部署を選んでください。",
            "provision.body_kind",
        )
    if kind == RequestingBody.Kind.EXECUTIVE_BODY and not ordinance:
        raise refusal(
            "ordinance",
            "他の執行機関への提供には条例の根拠が必要です。",
            "根拠となる条例を入力してください。",
            "provision.ordinance_required",
        )
    if RequestingBody.objects.filter(code=code).exists():
        raise refusal(
            "code",
            "この提供先コードは登録済みです。",
            "別のコードを入力してください。",
            "provision.body_exists",
        )
    with transaction.atomic():
        body = RequestingBody.objects.create(code=code, name=name, kind=kind, ordinance=ordinance[:200])
        _event(actor, purpose, "requesting_body", str(body.pk), "register")
    return body


def add_basis(
    *, actor: Any, body_id: int, code: str, label: str, article: str, items: list[str], purpose: str
) -> LegalBasis:
    """Add a 事務 to a body with the items it may receive (at least one of the 8 items)."""
    authorize(actor=actor, permission=Permission.PROVISION_BODY_MANAGE, action=ACTION, purpose=purpose)
    body = RequestingBody.objects.filter(pk=body_id, is_active=True).first()
    if body is None:
        raise refusal(
            "body", "提供先が見つかりません。", "登録済みの提供先を選んでください。", "provision.body_unknown"
        )
    code, label, article = code.strip(), label.strip(), article.strip()
    allowed = clean_items(items)
    if not _CODE.match(code) or not label or not article:
        raise refusal(
            "basis",
            "事務のコード・名称・根拠条文のいずれかが不正です。",
            "コードは英数字20文字以内、名称と根拠条文は必ず入力してください。",
            "provision.basis_fields",
        )
    if not allowed:
        raise refusal(
            "items",
            "提供する項目が選ばれていません。",
            "8項目から1つ以上選んでください。",
            "provision.items_empty",
        )
    if LegalBasis.objects.filter(body=body, code=code).exists():
        raise refusal(
            "code",
            "この事務コードは登録済みです。",
            "別のコードを入力してください。",
            "provision.basis_exists",
        )
    with transaction.atomic():
        basis = LegalBasis.objects.create(
            body=body, code=code, label=label[:200], article=article[:100], allowed_items=allowed
        )
        _event(actor, purpose, "legal_basis", str(basis.pk), "add")
    return basis


def assign_operator(*, actor: Any, username: str, body_id: int, purpose: str) -> BodyOperator:
    """Make a staff account an operator of one requesting body (replacing an earlier assignment)."""
    authorize(actor=actor, permission=Permission.PROVISION_BODY_MANAGE, action=ACTION, purpose=purpose)
    user = User.objects.filter(username=username.strip(), is_active=True).first()
    body = RequestingBody.objects.filter(pk=body_id, is_active=True).first()
    if user is None or body is None:
        raise refusal(
            "operator",
            "職員アカウントまたは提供先が見つかりません。",
            "有効なアカウント名と登録済みの提供先を指定してください。",
            "provision.operator_unknown",
        )
    with transaction.atomic():
        operator, _ = BodyOperator.objects.update_or_create(user=user, defaults={"body": body})
        _event(actor, purpose, "body_operator", str(operator.pk), "assign")
    return operator


def body_of(actor: Any) -> RequestingBody | None:
    """The active requesting body the operator belongs to, or None."""
    link = BodyOperator.objects.select_related("body").filter(user_id=actor.pk, body__is_active=True).first()
    return link.body if link is not None else None


def bases_for(actor: Any) -> list[LegalBasis]:
    """The active bases the operator may choose (those of their own body)."""
    body = body_of(actor)
    if body is None:
        return []
    return list(LegalBasis.objects.filter(body=body, is_active=True).select_related("body"))


def all_bases() -> list[LegalBasis]:
    """Every active basis of an active body (the 代表端末 runs lists for any body)."""
    return list(
        LegalBasis.objects.filter(is_active=True, body__is_active=True)
        .select_related("body")
        .order_by("body__code", "code")
    )


def list_bodies(*, actor: Any, purpose: str) -> list[RequestingBody]:
    """Every requesting body with its bases, for the register screen (audited view)."""
    action = AuditAction.PROVISION_BODY_VIEW
    authorize(actor=actor, permission=Permission.PROVISION_BODY_MANAGE, action=action, purpose=purpose)
    bodies = list(RequestingBody.objects.prefetch_related("bases", "operators"))
    record_event(actor=actor, action=action, purpose=purpose, result_count=len(bodies), **audit_context())
    return bodies
