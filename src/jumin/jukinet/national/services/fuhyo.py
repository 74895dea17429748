"""附票全国サーバ (N2): apply 附票本人確認情報 forwarded by the 附票都道府県サーバ, keep history, purge.

The prefecture forwards each accepted update unchanged under one subject per person
(``pfh-<its record id>``), so the envelope's sequence number is that person's 更新順番号 from that
prefecture. A refusal is not an exception, as for 本人確認情報 (``services.identity``): it is stored,
audited and answered with IDENTITY_UPDATE_REJECTED in the same transaction, and the inbox counts the
message as handled. The 18 items hold no 個人番号, 本籍 or 筆頭者; the schema refuses any other key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.jukinet.common.fuhyo import FuhyoNotice, FuhyoNoticeType, FuhyoState, former_code_to_rekey
from jumin.jukinet.common.keys import kana_key, name_key, years_before
from jumin.jukinet.national.models import FuhyoHistory, FuhyoRecord, FuhyoRefusal
from jumin.jukinet.national.services._common import RETENTION_YEARS, audit
from jumin.jukinet.national.services.identity import (
    OUT_OF_ORDER,
    OUTSIDE_PREFECTURE,
    SENDER_NOT_PREFECTURE,
    UpdateRefusalReason,
    reply_refusal,
)
from jumin.messaging.envelope import Envelope

logger = logging.getLogger("jumin.jukinet.national")

SUBJECT_TYPE = "national_fuhyo"

UNKNOWN_PERSON = UpdateRefusalReason(
    "jukinet.national.fuhyo_unknown_person",
    "附票全国サーバに記録のない者に対する変更・削除の通知です。",
    "新規の通知を先に送ってください。",
)
ALREADY_DELETED = UpdateRefusalReason(
    "jukinet.national.fuhyo_already_deleted",
    "既に削除された者に対する削除の通知です。",
    "通知区分を確認してください。",
)
NOT_KEPT_THERE = UpdateRefusalReason(
    "jukinet.national.fuhyo_not_kept_there",
    "通知の附票管理市町村が附票を管理していない者に対する変更・削除の通知です。",
    "附票を管理する市町村の都道府県サーバから送ってください。",
)


def _refusal_for(
    envelope: Envelope, notice: FuhyoNotice, record: FuhyoRecord | None
) -> UpdateRefusalReason | None:
    """Why the update is refused, given the locked current record (the prefecture's checks, F21a)."""
    sender = envelope.sender
    if sender.kind != "prefecture":
        return SENDER_NOT_PREFECTURE
    if notice.fuhyo_municipality_code[:2] != sender.code[:2]:
        return OUTSIDE_PREFECTURE
    if (
        record is not None
        and record.sender_code == sender.code
        and record.subject_key == envelope.subject
        and envelope.seq <= record.update_seq
    ):
        return OUT_OF_ORDER
    kind = FuhyoNoticeType(notice.notice_type)
    if kind is FuhyoNoticeType.NEW:
        return None  # a new entry, also after a 転籍 to another 本籍地 (the new one now keeps it)
    if record is None:
        return UNKNOWN_PERSON
    if kind is FuhyoNoticeType.DELETE and record.state == FuhyoState.DELETED:
        return ALREADY_DELETED
    if record.fuhyo_municipality_code != notice.fuhyo_municipality_code:
        return NOT_KEPT_THERE
    return None


def _refuse(envelope: Envelope, notice: FuhyoNotice, why: UpdateRefusalReason, now: datetime) -> None:
    FuhyoRefusal.objects.create(
        message_id=envelope.id,
        subject_key=envelope.subject,
        sender_code=envelope.sender.code,
        fuhyo_municipality_code=notice.fuhyo_municipality_code,
        update_seq=envelope.seq,
        code=why.code,
        received_at=now,
    )
    audit(
        AuditAction.NATIONAL_FUHYO_UPDATE,
        subject_type="node_message",
        subject_id=envelope.id,
        reason=f"from {envelope.sender} seq {envelope.seq}",
        outcome=Outcome.REFUSED,
        outcome_reason=why.code,
        terminal_id=notice.terminal_id,
    )
    reply_refusal(envelope, update_seq=envelope.seq, why=why)
    logger.warning("fuhyo update %s refused: %s", envelope.id, why.code)


def _store(envelope: Envelope, notice: FuhyoNotice, record: FuhyoRecord | None, now: datetime) -> FuhyoRecord:
    deleted = notice.state == FuhyoState.DELETED
    was_deleted = record is not None and record.state == FuhyoState.DELETED
    fields = {
        "fuhyo_municipality_code": notice.fuhyo_municipality_code,
        "state": notice.state,
        "name_key": name_key(notice.name)[:200],
        "kana_key": kana_key(notice.name_kana)[:200],
        "birth_date": notice.birth_date,
        "sex": notice.sex,
        "items": envelope.payload,
        # A deletion keeps its first moment: the 150 years run from it, not from a repeated notice.
        "deleted_at": ((record.deleted_at if record and was_deleted else now) if deleted else None),
        "sender_code": envelope.sender.code,
        "subject_key": envelope.subject,
        "update_seq": envelope.seq,
        "received_at": now,
    }
    if record is None:
        record = FuhyoRecord.objects.create(resident_code=notice.resident_code, **fields)
    else:
        for name, value in fields.items():
            setattr(record, name, value)
        record.save()
        # The previous snapshot stops being current now: its 150 years start (保存期間フラグ).
        FuhyoHistory.objects.filter(record=record, retention_flag=False).update(
            retention_flag=True, retained_from=now
        )
    FuhyoHistory.objects.create(
        record=record,
        resident_code=notice.resident_code,
        notice_type=notice.notice_type,
        items=envelope.payload,
        message_id=envelope.id,
        sender_code=envelope.sender.code,
        update_seq=envelope.seq,
        received_at=now,
        # A deleted person's last snapshot is kept 150 years from the deletion.
        retention_flag=deleted,
        retained_from=now if deleted else None,
    )
    return record


def apply_fuhyo_update(envelope: Envelope) -> None:
    """Handler of FUHYO_UPDATE at the national node: check, then store current + history, or refuse."""
    if (
        FuhyoHistory.objects.filter(message_id=envelope.id).exists()
        or FuhyoRefusal.objects.filter(message_id=envelope.id).exists()
    ):
        return  # already applied or refused (a restored backup replays messages): nothing to do
    # Validated by messaging before the handler runs: built as it is, not checked a second time.
    notice = FuhyoNotice(**envelope.payload)
    now = timezone.now()
    record = FuhyoRecord.objects.select_for_update().filter(resident_code=notice.resident_code).first()
    former = former_code_to_rekey(notice)
    if record is None and former:
        # 住民票コードの変更: the person's record of the old code, saved under the new code only if the
        # update is accepted; history rows keep their codes, so the old code still finds the person.
        record = FuhyoRecord.objects.select_for_update().filter(resident_code=former).first()
        if record is not None:
            record.resident_code = notice.resident_code
    why = _refusal_for(envelope, notice, record)
    if why is not None:
        _refuse(envelope, notice, why, now)
        return
    record = _store(envelope, notice, record, now)
    audit(
        AuditAction.NATIONAL_FUHYO_UPDATE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(record.pk),
        reason=f"from {envelope.sender} {notice.notice_type} seq {envelope.seq}",
        terminal_id=notice.terminal_id,
    )


@dataclass(frozen=True)
class FuhyoPurgeResult:
    """What one purge of the 附票 store deleted (counts only, controls.md C-79)."""

    cutoff: datetime
    history_rows: int
    deleted_records: int


def purge_expired_fuhyo(*, now: datetime | None = None, dry_run: bool = False) -> FuhyoPurgeResult:
    """Delete 附票 history rows and deleted persons whose 150 years have passed; audited, counts only.

    The rule of ``identity.purge_expired_identity``: only rows with the 保存期間フラグ set and
    ``retained_from`` more than 150 years ago go; a deleted person's record goes once none of its
    history is left; a current person's record and current snapshot are never deleted. Idempotent.
    """
    now = now or timezone.now()
    cutoff = years_before(now, RETENTION_YEARS)
    with transaction.atomic():
        expired = FuhyoHistory.objects.filter(retention_flag=True, retained_from__lt=cutoff)
        records = FuhyoRecord.objects.filter(state=FuhyoState.DELETED).exclude(
            pk__in=FuhyoHistory.objects.exclude(pk__in=expired.values("pk")).values("record_id")
        )
        history_count, record_count = expired.count(), records.count()
        if not dry_run:
            expired.delete()
            FuhyoRecord.objects.filter(state=FuhyoState.DELETED, history__isnull=True).delete()
        audit(
            AuditAction.NATIONAL_FUHYO_PURGE,
            subject_type=SUBJECT_TYPE,
            subject_id="purge",
            reason=(
                f"rule {RETENTION_YEARS}y cutoff {cutoff:%Y-%m-%d} history {history_count} "
                f"deleted {record_count}{' dry-run' if dry_run else ''}"
            ),
        )
    return FuhyoPurgeResult(cutoff=cutoff, history_rows=history_count, deleted_records=record_count)
