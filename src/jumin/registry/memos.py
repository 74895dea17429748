"""メモ (standard 1.1.15-a): staff notes about one person, with author, time and full history.

- Writing (``add_memo``, ``edit_memo``, ``delete_memo``) needs ``RESIDENT_RECORD``; each appends one
  version and one audit entry whose after-digest covers the new text (the text itself is never in the
  audit log). A memo is about a committed person; 仮登録 drafts have no memo.
- Reading (``memos_of``) is a 照会 of the person (``selectors_common.audited_inquiry``: authorised,
  照会 抑止 enforced, audited); the history of edits and deletions is shown on request.
- Never printed: no certificate, notice, feed or node message reads a memo (the certificates app
  reads ``certificate_sources`` only, which has no memo).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import digest_of, record_event
from jumin.domain.errors import refusal
from jumin.registry.models_memo import ResidentMemo, ResidentMemoVersion
from jumin.registry.selectors_common import audited_inquiry
from jumin.registry.snapshots import current_of

MEMO_MAX_CHARS = 1000
SUBJECT_TYPE = "resident_memo"
_ALLOWED_CONTROLS = {"\n", "\t"}


@dataclass(frozen=True)
class MemoVersionView:
    """One text a memo had (or its deletion), who wrote it and when."""

    version: int
    text: str
    deleted: bool
    written_at: datetime
    written_by_name: str


@dataclass(frozen=True)
class MemoView:
    """One memo: its newest text and, on request, every earlier version (oldest first)."""

    memo_id: int
    text: str
    deleted: bool
    written_at: datetime
    written_by_name: str
    history: tuple[MemoVersionView, ...]


def _checked_text(text: str) -> str:
    cleaned = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    if not cleaned:
        raise refusal(
            "text", "メモが入力されていません。", "メモの内容を入力してください。", "registry.memo_empty"
        )
    if len(cleaned) > MEMO_MAX_CHARS:
        raise refusal(
            "text",
            f"メモが{MEMO_MAX_CHARS}文字を超えています（{len(cleaned)}文字）。",
            f"{MEMO_MAX_CHARS}文字以内にしてください。",
            "registry.memo_too_long",
        )
    if any(unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS for c in cleaned):
        raise refusal(
            "text",
            "メモに使えない制御文字が含まれています。",
            "改行とタブ以外の制御文字を取り除いてください。",
            "registry.memo_control_character",
        )
    return cleaned


def _authorize_write(actor: Any, purpose: str, action: AuditAction) -> None:
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=action,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )


def _append(memo: ResidentMemo, version: int, text: str, *, actor: Any, deleted: bool = False) -> None:
    ResidentMemoVersion.objects.create(
        memo=memo,
        version=version,
        text=text,
        deleted=deleted,
        written_at=timezone.now(),
        written_by=actor,
        written_by_name=str(actor)[:150],  # User.__str__: the display name, else the username
    )


def _audit(
    action: AuditAction,
    memo: ResidentMemo,
    version: int,
    *,
    actor: Any,
    purpose: str,
    before: str,
    after: str,
) -> None:
    # Filed under the person, so their access history lists it; the text only as digests.
    record_event(
        actor=actor,
        action=action,
        subject_type="resident",
        subject_id=memo.resident.atena_number,
        purpose=purpose,
        reason=f"memo={memo.pk} version={version}",
        before_digest=digest_of({"text": before}) if before else "",
        after_digest=digest_of({"text": after}) if after else "",
    )


def add_memo(*, actor: Any, purpose: str, atena_number: str, text: str) -> int:
    """Add a memo about a committed person; returns its id. Audited (digest of the text only)."""
    _authorize_write(actor, purpose, AuditAction.RESIDENT_MEMO_WRITE)
    cleaned = _checked_text(text)
    with transaction.atomic():
        resident, _ = current_of(atena_number.strip())
        memo = ResidentMemo.objects.create(resident=resident, created_at=timezone.now(), created_by=actor)
        _append(memo, 1, cleaned, actor=actor)
        _audit(
            AuditAction.RESIDENT_MEMO_WRITE, memo, 1, actor=actor, purpose=purpose, before="", after=cleaned
        )
    return memo.pk


def _locked_latest(memo_id: int) -> tuple[ResidentMemo, ResidentMemoVersion]:
    memo = ResidentMemo.objects.select_for_update().select_related("resident").filter(pk=memo_id).first()
    latest = memo and ResidentMemoVersion.objects.filter(memo=memo).order_by("-version").first()
    if memo is None or latest is None:
        raise refusal(
            "memo_id",
            "該当するメモが見つかりません。",
            "メモの番号を確認してください。",
            "registry.memo_not_found",
        )
    if latest.deleted:
        raise refusal(
            "memo_id",
            "このメモは削除されています。",
            "削除されたメモは変更できません。新しいメモを追加してください。",
            "registry.memo_deleted",
        )
    return memo, latest


def edit_memo(*, actor: Any, purpose: str, memo_id: int, text: str) -> None:
    """Replace a memo's text by appending a version; the earlier text stays in its history. Audited."""
    _authorize_write(actor, purpose, AuditAction.RESIDENT_MEMO_WRITE)
    cleaned = _checked_text(text)
    with transaction.atomic():
        memo, latest = _locked_latest(memo_id)
        if latest.text == cleaned:
            raise refusal(
                "text",
                "メモの内容が変わっていません。",
                "変更する内容を入力してください。",
                "registry.memo_unchanged",
            )
        version = latest.version + 1
        _append(memo, version, cleaned, actor=actor)
        _audit(
            AuditAction.RESIDENT_MEMO_WRITE,
            memo,
            version,
            actor=actor,
            purpose=purpose,
            before=latest.text,
            after=cleaned,
        )


def delete_memo(*, actor: Any, purpose: str, memo_id: int) -> None:
    """Delete a memo by appending a deleted version; its texts stay visible in the history. Audited."""
    _authorize_write(actor, purpose, AuditAction.RESIDENT_MEMO_DELETE)
    with transaction.atomic():
        memo, latest = _locked_latest(memo_id)
        version = latest.version + 1
        _append(memo, version, "", actor=actor, deleted=True)
        _audit(
            AuditAction.RESIDENT_MEMO_DELETE,
            memo,
            version,
            actor=actor,
            purpose=purpose,
            before=latest.text,
            after="",
        )


def _view(versions: list[ResidentMemoVersion], *, with_history: bool) -> MemoView:
    newest = versions[-1]
    history = tuple(
        MemoVersionView(v.version, v.text, v.deleted, v.written_at, v.written_by_name) for v in versions
    )
    return MemoView(
        memo_id=newest.memo_id,
        text=newest.text,
        deleted=newest.deleted,
        written_at=newest.written_at,
        written_by_name=newest.written_by_name,
        history=history if with_history else (),
    )


def memos_of(
    *,
    actor: Any,
    purpose: str,
    atena_number: str,
    with_history: bool = False,
    acknowledged_alerts: Collection[str] = (),
) -> list[MemoView]:
    """A person's memos, newest first: the current ones, or (``with_history``) all with every version.

    A 照会 of the person: ``RESIDENT_VIEW``, the 照会 抑止 and the audit entry as for the record itself.
    """
    with audited_inquiry(
        actor=actor,
        purpose=purpose,
        atena_number=atena_number,
        action=AuditAction.RESIDENT_MEMO_VIEW,
        acknowledged_alerts=acknowledged_alerts,
        reason="history" if with_history else "",
    ):
        resident, _ = current_of(atena_number.strip())
        rows = list(
            ResidentMemoVersion.objects.filter(memo__resident=resident).order_by("memo_id", "version")
        )
    by_memo: dict[int, list[ResidentMemoVersion]] = {}
    for row in rows:
        by_memo.setdefault(row.memo_id, []).append(row)
    views = [_view(versions, with_history=with_history) for versions in by_memo.values()]
    if not with_history:
        views = [view for view in views if not view.deleted]
    views.sort(key=lambda view: (view.written_at, view.memo_id), reverse=True)
    return views
