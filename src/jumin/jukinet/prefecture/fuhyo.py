"""附票本人確認情報の更新 at the 附票都道府県サーバ (system.md F21a; records.md §3).

``apply_fuhyo_update`` is the handler of ``jukinet.fuhyo_update`` on a prefecture node: the sender
must be the 本籍地 municipality of this prefecture that keeps the 附票; the logic check refuses a
delete for someone already deleted (004 III.2 R3). Accepted updates are stored like the 28-item
store (current record + insert-only version, 150 years) and forwarded unchanged to the 附票全国サーバ
(F21a step 3) in the same transaction, under one subject per person (``pfh-<record id>``) so the
national node applies them in order; refusals go back to the CS and are not forwarded.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common import shared_cs
from jumin.jukinet.common.catalogue import FUHYO_UPDATE
from jumin.jukinet.common.fuhyo import (
    FuhyoNotice,
    FuhyoNoticeType,
    FuhyoState,
    former_code_to_rekey,
    fuhyo_from_payload,
)
from jumin.jukinet.common.keys import kana_key, name_key
from jumin.jukinet.prefecture.models import FuhyoRecord, FuhyoVersion, RefusedUpdate
from jumin.jukinet.prefecture.replies import refuse_update
from jumin.jukinet.prefecture.shared_cs import registered_map
from jumin.jukinet.prefecture.updates import NATIONAL, check_sender
from jumin.messaging import conf
from jumin.messaging import services as messaging
from jumin.messaging.envelope import Envelope

SUBJECT_TYPE = "prefecture_fuhyo"


def _refused(code: str, reason: str, remedy: str) -> DomainError:
    return refusal("payload", reason, remedy, f"jukinet.prefecture.fuhyo_{code}")


def check_fuhyo_logic(
    sender_code: str,
    notice: FuhyoNotice,
    record: FuhyoRecord | None,
    registered: Mapping[str, str] = MappingProxyType({}),
) -> None:
    """The 附票 logic check (system.md F21a step 2) and the keeping municipality; DomainError if refused.

    ``registered``: the shared CS of each member municipality (a member's 附票 comes from that CS only).
    """
    keeper = notice.fuhyo_municipality_code
    if not shared_cs.may_act_for(sender_code, keeper, registered.get(keeper)):
        if registered.get(keeper) is not None:
            raise shared_cs.not_registered_cs("fuhyo_municipality_code")
        raise _refused(
            "municipality_mismatch",
            "附票管理市町村コードが送信元の市町村と一致しません。",
            "本籍地の市町村から送ってください。",
        )
    kind = FuhyoNoticeType(notice.notice_type)
    if record is None:
        if kind is not FuhyoNoticeType.NEW:
            raise _refused(
                "unknown_person",
                "附票都道府県サーバに記録のない者に対する変更・削除の通知です。",
                "新規の通知を先に送ってください。",
            )
        return
    if kind is FuhyoNoticeType.DELETE and record.state == FuhyoState.DELETED:
        raise _refused(
            "already_deleted", "既に削除された者に対する削除の通知です。", "通知区分を確認してください。"
        )
    kept_by = record.fuhyo_municipality_code
    if kind is not FuhyoNoticeType.NEW and not shared_cs.may_act_for(
        sender_code, kept_by, registered.get(kept_by)
    ):
        raise _refused(
            "not_kept_here",
            "送信元の市町村が附票を管理していない者に対する通知です。",
            "附票を管理する市町村から送ってください。",
        )


def _store(envelope: Envelope, notice: FuhyoNotice, record: FuhyoRecord | None) -> FuhyoVersion:
    now = timezone.now()
    if record is None:
        record = FuhyoRecord(resident_code=notice.resident_code)
    else:
        FuhyoVersion.objects.filter(record=record, superseded_at__isnull=True).update(superseded_at=now)
    deleted = notice.state == FuhyoState.DELETED
    was_deleted = bool(record.pk) and record.state == FuhyoState.DELETED
    record.fuhyo_municipality_code = notice.fuhyo_municipality_code
    record.state = notice.state
    record.name_key = name_key(notice.name)
    record.kana_key = kana_key(notice.name_kana)[:200]
    record.birth_date = notice.birth_date
    record.items = notice.as_payload()
    record.deleted_at = (record.deleted_at if was_deleted else now) if deleted else None
    record.received_at = now
    record.sender_code = envelope.sender.code
    record.save()
    return FuhyoVersion.objects.create(
        record=record,
        resident_code=notice.resident_code,
        notice_type=notice.notice_type,
        items=record.items,
        message_id=envelope.id,
        sender_code=envelope.sender.code,
        received_at=now,
    )


def _record_for(notice: FuhyoNotice) -> FuhyoRecord | None:
    """The locked record the notice applies to. For a 住民票コードの変更 (a change under a new code
    carrying the 旧住民票コード) with nothing under the new code, the record of the old code, re-keyed
    in memory: ``_store`` saves it under the new code only if the update is accepted. Its versions
    keep the code they were received under, so the old code still finds the person."""
    record = FuhyoRecord.objects.select_for_update().filter(resident_code=notice.resident_code).first()
    former = former_code_to_rekey(notice)
    if record is None and former:
        record = FuhyoRecord.objects.select_for_update().filter(resident_code=former).first()
        if record is not None:
            record.resident_code = notice.resident_code
    return record


def apply_fuhyo_update(envelope: Envelope) -> None:
    """Handler of ``jukinet.fuhyo_update`` at kind prefecture (inside the inbox transaction)."""
    if (
        FuhyoVersion.objects.filter(message_id=envelope.id).exists()
        or RefusedUpdate.objects.filter(message_id=envelope.id).exists()
    ):
        return  # already handled
    notice = fuhyo_from_payload(envelope.payload)
    record = _record_for(notice)
    try:
        check_sender(envelope.sender, conf.local_node().ref)
        check_fuhyo_logic(envelope.sender.code, notice, record, registered_map())
    except DomainError as error:
        # 附票 updates carry no 更新順番号 of their own: the envelope's seq orders them.
        refuse_update(
            envelope,
            kind=RefusedUpdate.Kind.FUHYO,
            error=error,
            update_seq=envelope.seq,
            change_reason=notice.notice_type,
        )
        return
    version = _store(envelope, notice, record)
    record_event(
        actor=None,
        action=AuditAction.PREFECTURE_FUHYO_UPDATE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(version.record_id),
        reason=f"{notice.notice_type} from {envelope.sender} message {envelope.id}"[:400],
    )
    _forward_or_hold(version)


def _forward(version: FuhyoVersion) -> None:
    """Enqueue the 18 items, unchanged, to the 附票全国サーバ under this person's opaque subject."""
    version.forward_message_id = str(
        messaging.enqueue(
            message_type=FUHYO_UPDATE,
            receiver=NATIONAL,
            subject=f"pfh-{version.record_id}",
            payload=version.items,
        ).message_id
    )
    version.save(update_fields=["forward_message_id"])


def _forward_or_hold(version: FuhyoVersion) -> None:
    # An earlier version still waiting must leave first, or the national node would apply them out of order.
    waiting = (
        FuhyoVersion.objects.filter(record_id=version.record_id, forward_message_id="")
        .exclude(pk=version.pk)
        .exists()
    )
    if conf.local_node().peer(NATIONAL) is not None and not waiting:
        _forward(version)


def forward_pending_fuhyo() -> int:
    """Forward, in order, every accepted 附票 update still waiting for the national node; the count.

    Run by ``prefecture_forward`` once the national node is a configured peer.
    """
    if conf.local_node().peer(NATIONAL) is None:
        return 0
    forwarded = 0
    pending = FuhyoVersion.objects.filter(forward_message_id="").order_by("pk").values_list("pk", flat=True)
    for pk in list(pending):
        with transaction.atomic():
            version = FuhyoVersion.objects.select_for_update().get(pk=pk)
            if version.forward_message_id:
                continue
            _forward(version)
            record_event(
                actor=None,
                action=AuditAction.PREFECTURE_FUHYO_FORWARD,
                subject_type=SUBJECT_TYPE,
                subject_id=str(version.record_id),
                reason=f"pending 附票 update forwarded to {NATIONAL}",
            )
            forwarded += 1
    return forwarded
