"""備考 (type-C remarks of the 統合記載欄, standard 1.1.14-a): free remarks a clerk writes about one person.

- Writing (``add_remark``, ``withdraw_remark``) needs ``RESIDENT_RECORD``; each appends one
  ``ResidentRemark`` row (date, clerk, reason) and one audit entry in the same transaction, filed under
  the person; the text itself is only in the audit log as a digest. A withdrawn remark stays in the table
  with the row that withdrew it. Writes are audited as ``RESIDENT_REMARK_RECORD`` with ``reason``
  「備考 …」.
- Reading is part of a 照会 of the person (``remarks_of`` runs inside the caller's audited inquiry).
- Printed: the remarks in force are in the certificate sources (``remark_lines``) and printed in a
  certificate's 備考 (jumin.certificates.documents).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import digest_of, record_event
from jumin.domain.eras import Calendar
from jumin.domain.errors import refusal
from jumin.domain.wareki import format_date_ja
from jumin.registry.models import Resident
from jumin.registry.models_notes import ResidentRemark
from jumin.registry.snapshots import current_of

REMARK_MAX_CHARS = 200
REASON_MAX_CHARS = 200
WRITE_ACTION = AuditAction.RESIDENT_REMARK_RECORD


@dataclass(frozen=True)
class RemarkView:
    """One remark as staff see it: text, its date, who wrote it and why; and its withdrawal, if any."""

    remark_id: int
    text: str
    recorded_on: date
    reason: str
    written_at: datetime
    written_by_name: str
    withdrawn_on: date | None = None
    withdrawal_reason: str = ""
    withdrawn_by_name: str = ""

    @property
    def in_force(self) -> bool:
        """Whether the remark is still part of the record (not withdrawn)."""
        return self.withdrawn_on is None


def remark_line(text: str, recorded_on: date) -> str:
    """A remark as printed in the 備考: its date in 和暦, then the text (records.md T86–87 備考日付)."""
    return f"{format_date_ja(recorded_on, calendar=Calendar.WAREKI)}\u3000{text}"


def _checked(value: str, *, field: str, label: str, limit: int) -> str:
    cleaned = unicodedata.normalize("NFC", value.replace("\r\n", " ").replace("\n", " ")).strip()
    if not cleaned:
        raise refusal(
            field, f"{label}が入力されていません。", f"{label}を入力してください。", "registry.remark_empty"
        )
    if len(cleaned) > limit:
        raise refusal(
            field,
            f"{label}が{limit}文字を超えています（{len(cleaned)}文字）。",
            f"{limit}文字以内にしてください。",
            "registry.remark_too_long",
        )
    if any(unicodedata.category(c) == "Cc" for c in cleaned):
        raise refusal(
            field,
            f"{label}に使えない制御文字が含まれています。",
            "制御文字を取り除いてください。",
            "registry.remark_control_character",
        )
    return cleaned


def _check_date(recorded_on: date) -> None:
    if recorded_on > timezone.localdate():
        raise refusal(
            "recorded_on",
            "記載日が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.remark_future_date",
        )


def _authorize(actor: Any, purpose: str) -> None:
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=WRITE_ACTION,
        purpose=purpose,
        subject_type="resident_remark",
    )


def _append(resident: Resident, *, actor: Any, **values: Any) -> ResidentRemark:
    return ResidentRemark.objects.create(
        resident=resident,
        written_at=timezone.now(),
        written_by=actor,
        written_by_name=str(actor)[:150],  # User.__str__: the display name, else the username
        **values,
    )


def _audit(remark: ResidentRemark, *, actor: Any, purpose: str, before: str, after: str) -> None:
    record_event(
        actor=actor,
        action=WRITE_ACTION,
        subject_type="resident",
        subject_id=remark.resident.atena_number,
        purpose=purpose,
        reason=f"備考 remark={remark.withdraws_id or remark.pk} row={remark.pk}",
        before_digest=digest_of({"text": before}) if before else "",
        after_digest=digest_of({"text": after}) if after else "",
    )


def add_remark(
    *, actor: Any, purpose: str, atena_number: str, text: str, reason: str, recorded_on: date
) -> int:
    """Add a type-C remark to a committed person's record; returns its id. Audited, nothing else changes."""
    _authorize(actor, purpose)
    cleaned = _checked(text, field="text", label="備考", limit=REMARK_MAX_CHARS)
    why = _checked(reason, field="reason", label="記載の理由", limit=REASON_MAX_CHARS)
    _check_date(recorded_on)
    with transaction.atomic():
        resident, _ = current_of(atena_number.strip())
        remark = _append(resident, actor=actor, text=cleaned, reason=why, recorded_on=recorded_on)
        _audit(remark, actor=actor, purpose=purpose, before="", after=cleaned)
    return remark.pk


def withdraw_remark(*, actor: Any, purpose: str, remark_id: int, reason: str, withdrawn_on: date) -> None:
    """End a remark by appending its withdrawal (date, clerk, reason); the remark stays in the history."""
    _authorize(actor, purpose)
    why = _checked(reason, field="reason", label="削除の理由", limit=REASON_MAX_CHARS)
    _check_date(withdrawn_on)
    with transaction.atomic():
        remark = (
            ResidentRemark.objects.select_for_update()
            .select_related("resident")
            .filter(pk=remark_id, withdraws__isnull=True)
            .first()
        )
        if remark is None:
            raise refusal(
                "remark_id",
                "該当する備考が見つかりません。",
                "備考の番号を確認してください。",
                "registry.remark_not_found",
            )
        if ResidentRemark.objects.filter(withdraws=remark).exists():
            raise refusal(
                "remark_id",
                "この備考は既に削除されています。",
                "削除済みの備考は変更できません。",
                "registry.remark_withdrawn",
            )
        if withdrawn_on < remark.recorded_on:
            raise refusal(
                "recorded_on",
                "削除日が備考の記載日より前です。",
                "記載日以後の日付を入力してください。",
                "registry.remark_withdrawn_before_recorded",
            )
        row = _append(
            remark.resident, actor=actor, text="", reason=why, recorded_on=withdrawn_on, withdraws=remark
        )
        _audit(row, actor=actor, purpose=purpose, before=remark.text, after="")


def remarks_of(resident: Resident) -> list[RemarkView]:
    """Every remark of the person, oldest first, with its withdrawal. Call inside an audited 照会."""
    rows = list(ResidentRemark.objects.filter(resident=resident).order_by("recorded_on", "pk"))
    withdrawals = {row.withdraws_id: row for row in rows if row.withdraws_id is not None}
    views = []
    for row in rows:
        if row.withdraws_id is not None:
            continue
        ended = withdrawals.get(row.pk)
        views.append(
            RemarkView(
                remark_id=row.pk,
                text=row.text,
                recorded_on=row.recorded_on,
                reason=row.reason,
                written_at=row.written_at,
                written_by_name=row.written_by_name,
                withdrawn_on=ended.recorded_on if ended else None,
                withdrawal_reason=ended.reason if ended else "",
                withdrawn_by_name=ended.written_by_name if ended else "",
            )
        )
    return views


def remark_lines(resident_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The remarks in force per person (resident id), as printed, oldest first, in one query."""
    rows = list(
        ResidentRemark.objects.filter(
            resident_id__in=list(resident_ids), withdraws__isnull=True, withdrawal__isnull=True
        )
        .order_by("recorded_on", "pk")
        .values_list("resident_id", "text", "recorded_on")
    )
    lines: dict[int, list[str]] = {}
    for resident_id, text, recorded_on in rows:
        lines.setdefault(resident_id, []).append(remark_line(text, recorded_on))
    return {resident_id: tuple(texts) for resident_id, texts in lines.items()}
