"""The CS file's worklists for the clerks: 返却エラー一覧, 送信待ち一覧 and CS未連携 (F13 step 6, C-68).

Each list is a read of identifiers (住民票コード, 依頼管理番号, codes and dates; no name or 個人番号),
audited as one view, the 住民票コード masked without FIELD_JUMINHYO_CODE_VIEW (C-10); resolving a
returned error and sending the waiting notices are audited writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.domain.unified_characters import NOT_UNIFIED_CODE
from jumin.jukinet.cs import access, services
from jumin.jukinet.cs.models import PendingNotice, UnlinkedUpdate, UpdateRejection
from jumin.jukinet.cs.special_move_out import WRONG_SENDER

LIMIT = 500


@dataclass(frozen=True)
class RejectionRow:
    """One returned error."""

    rejection_id: int
    received_at: str
    resident_code: str
    update_seq: int
    code: str
    reason: str
    remedy: str
    resolved: bool
    kind: str = "本人確認情報"  # or 附票本人確認情報 (docs/jukinet.md Flow 9)


@dataclass(frozen=True)
class PendingRow:
    """One notice waiting for the prefecture."""

    resident_code: str
    update_seq: int
    change_reason: str
    created_at: str


@dataclass(frozen=True)
class UnlinkedRow:
    """One registry update the CS did not take."""

    request_number: str
    reason_code: str
    field: str
    created_at: str
    explanation: str = ""  # what the clerk should do, for the codes that have a known remedy


#: The remedy shown beside a CS未連携 whose cause the clerk can fix (other codes: the field's check).
UNLINKED_EXPLANATIONS: dict[str, str] = {
    "no_resident_code": "住民票コードが未記載です。住民票コードを記載してから修正を登録してください。",
    NOT_UNIFIED_CODE: (
        "住基ネット統一文字で表せない文字があるため、通知を保留しています。文字を同定して記載を修正するか、"
        "統一文字表で確認した外字を登録（jumin cs register-character）してから、再度修正を登録してください。"
    ),
}


@dataclass(frozen=True)
class Worklists:
    """The three worklists at once (the 送信待ち screen shows CS未連携 below the waiting notices)."""

    rejections: list[RejectionRow]
    pending: list[PendingRow]
    unlinked: list[UnlinkedRow]


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _require(actor: Any, purpose: str, action: AuditAction, subject_id: str = "") -> None:
    access.require(
        actor=actor,
        permission=Permission.CS_CONSISTENCY,
        action=action,
        purpose=purpose,
        subject_type="cs_worklist",
        subject_id=subject_id,
    )


def _rejected_code(row: UpdateRejection) -> str:
    """The 住民票コード of the person whose 本人確認情報 or 附票 update was refused ("" if unknown)."""
    if row.identity is not None:
        return row.identity.resident_code
    return row.fuhyo.resident_code if row.fuhyo is not None else ""


def _rejected_kind(row: UpdateRejection) -> str:
    """What was refused: a 附票 update, a 転入通知 (refused by its 転出地 CS) or a 本人確認情報 notice."""
    if row.fuhyo_id:
        return "附票本人確認情報"
    return "転入通知" if row.code == WRONG_SENDER else "本人確認情報"


def worklists(*, actor: Any, purpose: str) -> Worklists:
    """Unresolved returned errors, waiting notices and CS未連携 updates (newest first, at most 500 each)."""
    _require(actor, purpose, AuditAction.CS_NOTICE_LIST)
    visible = access.visible_items(actor)
    with transaction.atomic():
        rejections = [
            RejectionRow(
                rejection_id=row.pk,
                received_at=_when(row.received_at),
                resident_code=access.shown_resident_code(_rejected_code(row), visible),
                update_seq=row.update_seq,
                code=row.code,
                reason=row.reason,
                remedy=row.remedy,
                resolved=row.resolved_at is not None,
                kind=_rejected_kind(row),
            )
            for row in UpdateRejection.objects.select_related("identity", "fuhyo")
            .filter(resolved_at__isnull=True)
            .order_by("-received_at")[:LIMIT]
        ]
        pending = [
            PendingRow(
                resident_code=access.shown_resident_code(row.identity.resident_code, visible),
                update_seq=row.version.update_seq,
                change_reason=row.version.change_reason,
                created_at=_when(row.created_at),
            )
            for row in PendingNotice.objects.select_related("identity", "version")
            .filter(sent_at__isnull=True)
            .order_by("pk")[:LIMIT]
        ]
        unlinked = [
            UnlinkedRow(
                request_number=row.request_number,
                reason_code=row.reason_code,
                field=row.field,
                created_at=_when(row.created_at),
                explanation=UNLINKED_EXPLANATIONS.get(row.reason_code, ""),
            )
            for row in UnlinkedUpdate.objects.order_by("-pk")[:LIMIT]
        ]
        record_event(
            actor=actor,
            action=AuditAction.CS_NOTICE_LIST,
            subject_type="cs_worklist",
            purpose=purpose,
            result_count=len(rejections) + len(pending) + len(unlinked),
        )
    return Worklists(rejections=rejections, pending=pending, unlinked=unlinked)


def resolve_rejection(*, actor: Any, purpose: str, rejection_id: int, note: str) -> None:
    """Mark a returned error as fixed (after the amendment, F08); the note says how."""
    _require(actor, purpose, AuditAction.CS_REJECTION_RESOLVE, str(rejection_id))
    if not note.strip() or len(note) > 200:
        raise refusal(
            "note",
            "対応内容が未入力か長すぎます。",
            "行った修正を200文字以内で入力してください。",
            "jukinet.cs.note",
        )
    with transaction.atomic():
        row = (
            UpdateRejection.objects.select_for_update()
            .filter(pk=rejection_id, resolved_at__isnull=True)
            .first()
        )
        if row is None:
            raise refusal(
                "rejection_id",
                "未解決の返却エラーが見つかりません。",
                "一覧を更新してください。",
                "jukinet.cs.no_such_rejection",
            )
        row.resolved_at = timezone.now()
        row.save(update_fields=["resolved_at"])
        record_event(
            actor=actor,
            action=AuditAction.CS_REJECTION_RESOLVE,
            subject_type="cs_rejection",
            subject_id=str(row.pk),
            purpose=purpose,
            reason=note.strip()[:200],
        )


def send_pending(*, actor: Any, purpose: str) -> int:
    """「送信」 on the 送信待ち screen: queue the waiting notices now (``services.send_pending_notices``)."""
    _require(actor, purpose, AuditAction.CS_NOTICE_SEND)
    return services.send_pending_notices(actor=actor)
