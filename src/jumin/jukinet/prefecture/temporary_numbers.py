"""The temporary 個人番号 area of the 附票都道府県サーバ (system.md F21b; 004 II(2).6).

For 番号法 work about a 国外転出者, an authorised user copies the person's 個人番号 from the
都道府県知事保存本人確認情報 (the one permitted cross-access P2 → P1, by 住民票コード, nothing else
returned) into ``TemporaryIndividualNumber``, a table apart from the 附票 tables. The row is the only
copy: ``confirm_delivery`` deletes it as soon as delivery is confirmed, and ``purge_temporary_numbers``
deletes every row older than one year whatever its state. Every step is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.checkdigits import validate_juminhyo_code
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE, NoticeReason
from jumin.jukinet.prefecture.keys import TEMPORARY_NUMBER_DAYS
from jumin.jukinet.prefecture.models import FuhyoRecord, IdentityRecord, TemporaryIndividualNumber

SUBJECT_TYPE = "prefecture_temporary_number"


def _not_overseas() -> Exception:
    return refusal(
        "resident_code",
        "国外転出者として記録された者の個人番号ではないため取得できません。",
        "住民票コードと対象者（国外転出者）を確認してください。",
        "jukinet.prefecture.not_overseas",
    )


def _check_purpose(purpose: str) -> None:
    # Checked before anything else: the audit entry of a refusal records the purpose (100 characters).
    if len(purpose) > 100:
        raise refusal(
            "purpose",
            "利用目的が長すぎます。",
            "100文字以内で入力してください。",
            "jukinet.prefecture.purpose",
        )


def _audit_refused_fetch(actor: Any, purpose: str, record: IdentityRecord | None, reason: str) -> None:
    """A refused fetch, audited in its own transaction (it survives the exception raised next)."""
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.PREFECTURE_FUHYO_NUMBER_FETCH,
            subject_type="prefecture_identity" if record is not None else SUBJECT_TYPE,
            subject_id=str(record.pk) if record is not None else "",
            purpose=purpose,
            outcome=Outcome.REFUSED,
            outcome_reason=reason,
        )


def fetch_number_for_overseas(resident_code: str, *, actor: Any, purpose: str) -> TemporaryIndividualNumber:
    """Copy a 国外転出者's 個人番号 into the temporary area; only with ``PREFECTURE_FUHYO_NUMBER``.

    Refused (DomainError, nothing stored) unless the person is in this prefecture's 附票 file and
    the 本人確認情報 store holds them as removed by 国外転出 with a 個人番号.
    """
    _check_purpose(purpose)
    authorize(
        actor=actor,
        permission=Permission.PREFECTURE_FUHYO_NUMBER,
        action=AuditAction.PREFECTURE_FUHYO_NUMBER_FETCH,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    try:
        code = validate_juminhyo_code(resident_code, rule=RESIDENT_CODE_RULE, field="resident_code")
    except DomainError as error:
        _audit_refused_fetch(actor, purpose, None, error.code)
        raise
    record = IdentityRecord.objects.filter(resident_code=code).first()
    overseas = (
        record is not None
        and record.removed
        and record.change_reason == NoticeReason.MOVE_OUT_ABROAD
        and record.individual_number is not None
        and FuhyoRecord.objects.filter(resident_code=code).exists()
    )
    if not overseas or record is None:
        _audit_refused_fetch(actor, purpose, record, "jukinet.prefecture.not_overseas")
        raise _not_overseas()
    with transaction.atomic():
        temporary = TemporaryIndividualNumber(
            resident_code=code,
            purpose=purpose,
            requested_by=actor.get_username(),
            created_at=timezone.now(),
        )
        temporary.set_individual_number(record.get_individual_number())
        temporary.save()
        record_event(
            actor=actor,
            action=AuditAction.PREFECTURE_FUHYO_NUMBER_FETCH,
            subject_type=SUBJECT_TYPE,
            subject_id=str(temporary.pk),
            purpose=purpose,
            reason=f"copied from prefecture_identity {record.pk}",
            individual_number_used=True,
            concerning=[str(record.pk)],
        )
    return temporary


def read_temporary_number(temporary_id: int, *, actor: Any, purpose: str) -> str:
    """The held 個人番号 for delivery with the 附票 items (F21b step 4); audited as a 個人番号 use."""
    _check_purpose(purpose)
    authorize(
        actor=actor,
        permission=Permission.PREFECTURE_FUHYO_NUMBER,
        action=AuditAction.PREFECTURE_FUHYO_NUMBER_FETCH,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
        subject_id=str(temporary_id),
    )
    with transaction.atomic():
        temporary = TemporaryIndividualNumber.objects.filter(pk=temporary_id).first()
        if temporary is None:
            raise refusal(
                "temporary_id",
                "一時保管の個人番号がありません（削除済みです）。",
                "必要なら改めて取得してください。",
                "jukinet.prefecture.temporary_missing",
            )
        record_event(
            actor=actor,
            action=AuditAction.PREFECTURE_FUHYO_NUMBER_FETCH,
            subject_type=SUBJECT_TYPE,
            subject_id=str(temporary.pk),
            purpose=purpose,
            reason="read for delivery",
            individual_number_used=True,
        )
        return temporary.get_individual_number() or ""


def _destroy(rows: Any) -> int:
    # Overwrite the ciphertext before deleting, so no later read of the row (or an un-vacuumed copy
    # of it) holds the number; the row itself then goes.
    rows.update(individual_number=None, individual_number_index=None)
    deleted, _ = rows.delete()
    return int(deleted)


def confirm_delivery(temporary_id: int, *, actor: Any | None = None, purpose: str = "") -> bool:
    """Delivery is confirmed: delete the held 個人番号 at once, unrecoverably. False if already gone.

    Called by the delivering service (``actor`` None: the node itself) or by a user with
    ``PREFECTURE_FUHYO_NUMBER`` on the temporary-number screen.
    """
    _check_purpose(purpose)
    if actor is not None:
        authorize(
            actor=actor,
            permission=Permission.PREFECTURE_FUHYO_NUMBER,
            action=AuditAction.PREFECTURE_FUHYO_NUMBER_DELETE,
            purpose=purpose,
            subject_type=SUBJECT_TYPE,
            subject_id=str(temporary_id),
        )
    with transaction.atomic():
        deleted = _destroy(TemporaryIndividualNumber.objects.filter(pk=temporary_id))
        record_event(
            actor=actor,
            action=AuditAction.PREFECTURE_FUHYO_NUMBER_DELETE,
            subject_type=SUBJECT_TYPE,
            subject_id=str(temporary_id),
            purpose=purpose,
            reason="delivery confirmed" if deleted else "delivery confirmed; already deleted",
        )
    return bool(deleted)


def purge_temporary_numbers(*, now: datetime | None = None) -> int:
    """Delete every temporary 個人番号 held for a year or more, delivered or not; returns the count."""
    now = now or timezone.now()
    with transaction.atomic():
        deleted = _destroy(
            TemporaryIndividualNumber.objects.filter(
                created_at__lte=now - timedelta(days=TEMPORARY_NUMBER_DAYS)
            )
        )
        record_event(
            actor=None,
            action=AuditAction.PREFECTURE_FUHYO_NUMBER_PURGE,
            subject_type=SUBJECT_TYPE,
            reason=f"{deleted} temporary numbers older than {TEMPORARY_NUMBER_DAYS} days deleted",
        )
    return deleted


def list_temporary_numbers(*, actor: Any, purpose: str) -> list[dict[str, Any]]:
    """The rows held now (id, 取得日時, purpose, requester): never the number itself. Audited."""
    authorize(
        actor=actor,
        permission=Permission.PREFECTURE_FUHYO_NUMBER,
        action=AuditAction.PREFECTURE_FUHYO_NUMBER_LIST,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    with transaction.atomic():
        rows: list[dict[str, Any]] = [
            dict(row)
            for row in TemporaryIndividualNumber.objects.order_by("created_at").values(
                "pk", "created_at", "purpose", "requested_by"
            )
        ]
        record_event(
            actor=actor,
            action=AuditAction.PREFECTURE_FUHYO_NUMBER_LIST,
            subject_type=SUBJECT_TYPE,
            purpose=purpose,
            result_count=len(rows),
        )
    return rows
