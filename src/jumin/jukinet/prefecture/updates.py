"""本人確認情報の更新 at the 都道府県サーバ (system.md F13 steps 4–6; 004 III.2 R3–R4).

``apply_identity_update`` is the handler of ``jukinet.identity_update`` on a prefecture node. It runs
inside the inbox transaction with no human operator: it checks the sender and the logic, then either
stores the notice (current record + insert-only version) and forwards it unchanged to the national
node, or stores a refusal and returns the reason to the CS (``replies.refuse_update``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_events
from jumin.bulk_insert import insert_objects
from jumin.crypto.individual_number import blind_index
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common import shared_cs
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE
from jumin.jukinet.common.keys import kana_key, name_key
from jumin.jukinet.common.notice import IdentityNotice, NoticeReason, consistency_digest
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion, RefusedUpdate
from jumin.jukinet.prefecture.rekey import rekey_record
from jumin.jukinet.prefecture.replies import refuse_update
from jumin.jukinet.prefecture.shared_cs import registered_map
from jumin.messaging import conf
from jumin.messaging import services as messaging
from jumin.messaging.envelope import Envelope, NodeRef

#: The 全国サーバ every accepted update is forwarded to (住基法30条の7).
NATIONAL = NodeRef("national", "00")
SUBJECT_TYPE = "prefecture_identity"


def _refused(code: str, reason: str, remedy: str) -> DomainError:
    return refusal("payload", reason, remedy, f"jukinet.prefecture.{code}")


def check_sender(sender: NodeRef, local: NodeRef) -> None:
    """Only a municipality of this prefecture (same first two digits) may send updates (004 III.2)."""
    if sender.kind != "municipality" or sender.code[:2] != local.code[:2]:
        raise _refused(
            "outside_prefecture",
            "この都道府県の市町村以外からの更新は受け付けません。",
            "住所地の都道府県サーバに送ってください。",
        )


def _check_flags(notice: IdentityNotice, record: IdentityRecord | None) -> None:
    reason = notice.reason
    expected = True if reason.removes else False if reason.records else (record.removed if record else False)
    if notice.removed != expected:
        raise _refused(
            "removed_flag",
            "異動事由と消除の区分が矛盾しています。",
            "記載の事由は消除なし、消除の事由は消除ありで送ってください。",
        )


def _same_number(notice: IdentityNotice, record: IdentityRecord) -> bool:
    wanted = blind_index(notice.individual_number) if notice.individual_number else None
    return wanted == (record.individual_number_index or None)


def check_logic(
    sender_code: str,
    notice: IdentityNotice,
    record: IdentityRecord | None,
    registered: Mapping[str, str] = MappingProxyType({}),
) -> None:
    """論理チェック (system.md F13 step 4), order and the person's municipality; DomainError if refused.

    ``registered``: the shared CS of each member municipality (``shared_cs.registered_map``): a
    member's notices come from that CS only, any other municipality's from itself only.
    """
    registered_cs = registered.get(notice.municipality_code)
    if not shared_cs.may_act_for(sender_code, notice.municipality_code, registered_cs):
        if registered_cs is not None:
            raise shared_cs.not_registered_cs("municipality_code")
        raise _refused(
            "municipality_mismatch",
            "通知の市町村コードが送信元の市町村と一致しません。",
            "自市町村の住民の本人確認情報だけを送ってください。",
        )
    _check_flags(notice, record)
    reason = notice.reason
    if record is None:
        # A changed 住民票コード arrives under the new code, which this node has never seen.
        if not reason.records and reason is not NoticeReason.RESIDENT_CODE_CHANGE:
            raise _refused(
                "unknown_person",
                "都道府県サーバに記録のない住民票コードへの更新です。",
                "記載（転入・出生等）の通知を先に送ってください。",
            )
        return
    # A recording after a removal starts a new stay: the CS may number it afresh.
    returning = reason.records and record.removed
    if record.sender_code == sender_code and notice.update_seq <= record.update_seq and not returning:
        raise _refused(
            "out_of_order",
            "更新順番号が受信済みの更新以下です（順序の誤り）。",
            "更新順番号を確認し、最新の内容を修正として送ってください。",
        )
    if reason.records:
        if not record.removed:
            raise _refused(
                "already_resident",
                "現に住民である者に対する記載（転入等）の通知です。",
                "異動事由を確認し、必要なら職権修正で送ってください。",
            )
        return
    if not shared_cs.may_act_for(
        sender_code, record.municipality_code, registered.get(record.municipality_code)
    ):
        raise _refused(
            "not_resident_here",
            "送信元の市町村の住民ではない者に対する更新です。",
            "住所地の市町村から送ってください。",
        )
    if reason.removes and record.removed:
        raise _refused(
            "already_removed", "既に消除された者に対する消除の通知です。", "異動事由を確認してください。"
        )
    if reason is NoticeReason.MOVE_WITHIN:
        before = IdentityNotice(**{**record.notice, "individual_number": notice.individual_number})
        if record.removed or not notice.address_only_changes(before) or not _same_number(notice, record):
            raise _refused(
                "move_within_changes_more",
                "転居の通知で住所以外の項目が変更されています。",
                "住所以外の変更は修正の事由で別に送ってください。",
            )


def _stored_notice(notice: IdentityNotice) -> dict[str, Any]:
    payload = notice.as_payload()
    del payload["individual_number"]  # only ever stored encrypted
    return payload


def _bump(record: IdentityRecord, notice: IdentityNotice, *, stored: bool) -> None:
    """外字変更連番: count each change of a name, address or 旧氏 that contains 外字."""
    old = record.notice if stored else {}
    if notice.name_gaiji_count and old.get("name") != notice.name:
        record.name_gaiji_seq += 1
    if notice.address_gaiji_count and old.get("address") != notice.address:
        record.address_gaiji_seq += 1
    if notice.former_surname_gaiji_count and old.get("former_surname") != notice.former_surname:
        record.former_surname_gaiji_seq += 1


def _fill(
    record: IdentityRecord, envelope: Envelope, notice: IdentityNotice, now: datetime, *, stored: bool
) -> IdentityVersion:
    """Set the current record from the notice and build its new version (neither is saved).

    ``stored``: the record already holds an earlier notice (in the database, or earlier in a batch).
    """
    _bump(record, notice, stored=stored)
    was_removed = stored and record.removed
    record.municipality_code = notice.municipality_code
    record.update_seq = notice.update_seq
    record.removed = notice.removed
    record.retention_flag = notice.removed
    record.removed_at = (record.removed_at if was_removed else now) if notice.removed else None
    record.name_key = name_key(notice.name)
    record.kana_key = kana_key(notice.name_kana)
    record.birth_date = notice.birth_date
    record.sex = notice.sex
    record.address = notice.address
    record.change_reason = notice.change_reason
    record.notice = _stored_notice(notice)
    record.consistency_digest = consistency_digest(notice, key=conf.local_node().consistency_key)
    record.received_at = now
    record.received_on = timezone.localdate(now)
    record.sender_code = envelope.sender.code
    record.set_individual_number(notice.individual_number or None)
    version = IdentityVersion(
        record=record,
        resident_code=notice.resident_code,
        municipality_code=notice.municipality_code,
        update_seq=notice.update_seq,
        change_reason=notice.change_reason,
        notice=record.notice,
        consistency_digest=record.consistency_digest,
        message_id=envelope.id,
        sender_code=envelope.sender.code,
        received_at=now,
    )
    version.set_individual_number(notice.individual_number or None)
    return version


def _store(envelope: Envelope, notice: IdentityNotice, record: IdentityRecord | None) -> IdentityVersion:
    now = timezone.now()
    if record is None:
        record = IdentityRecord(resident_code=notice.resident_code)
    else:
        IdentityVersion.objects.filter(record=record, superseded_at__isnull=True).update(superseded_at=now)
    version = _fill(record, envelope, notice, now, stored=bool(record.pk))
    record.save()
    version.save()  # its record, unsaved when the version was built, has its key now
    return version


def _forward(version: IdentityVersion, payload: dict[str, Any]) -> None:
    """Enqueue the notice, unchanged, to the national node under this node's opaque subject."""
    version.forward_message_id = str(
        messaging.enqueue(
            message_type=IDENTITY_UPDATE,
            receiver=NATIONAL,
            subject=f"pf-{version.record_id}",
            payload=payload,
        ).message_id
    )
    version.save(update_fields=["forward_message_id"])


def _forward_or_hold(version: IdentityVersion, payload: dict[str, Any]) -> None:
    # An earlier version still waiting must leave first, or the national node would apply them out of order.
    waiting = (
        IdentityVersion.objects.filter(record_id=version.record_id, forward_message_id="")
        .exclude(pk=version.pk)
        .exists()
    )
    if conf.local_node().peer(NATIONAL) is not None and not waiting:
        _forward(version, payload)


def _checked(envelope: Envelope, notice: IdentityNotice) -> tuple[IdentityRecord | None, DomainError | None]:
    """The locked current record of the notice's code and why the notice is refused (None: accepted)."""
    record = IdentityRecord.objects.select_for_update().filter(resident_code=notice.resident_code).first()
    try:
        check_sender(envelope.sender, conf.local_node().ref)
        check_logic(envelope.sender.code, notice, record, registered_map())
    except DomainError as error:
        return record, error
    return record, None


def _rekeyed_and_checked(
    envelope: Envelope, notice: IdentityNotice
) -> tuple[IdentityRecord | None, DomainError | None]:
    """``_checked`` after a 住民票コードの変更 moved the person to the new code (``rekey_record``).

    The checks need the moved record (its 更新順番号), so the re-keying comes first, inside a
    savepoint: a refused notice rolls it back and the record (and 附票 record) stay under the old
    code; the refusal then names the person's record there.
    """
    if not notice.former_resident_code or notice.reason is not NoticeReason.RESIDENT_CODE_CHANGE:
        return _checked(envelope, notice)
    try:
        with transaction.atomic():
            rekey_record(notice)  # the same person continues under the new code
            record, error = _checked(envelope, notice)
            if error is not None:
                raise error
    except DomainError as refused:
        former = IdentityRecord.objects.filter(resident_code=notice.former_resident_code).first()
        return former, refused
    return record, None


def apply_identity_update(envelope: Envelope) -> None:
    """Handler of ``jukinet.identity_update`` at kind prefecture (inside the inbox transaction)."""
    if (
        IdentityVersion.objects.filter(message_id=envelope.id).exists()
        or RefusedUpdate.objects.filter(message_id=envelope.id).exists()
    ):
        return  # already handled (a restored backup re-applying): effects must not repeat
    # Validated by messaging before the handler runs: built as it is, not checked a second time.
    notice = IdentityNotice(**envelope.payload)
    record, error = _rekeyed_and_checked(envelope, notice)
    if error is not None:
        refuse_update(
            envelope,
            kind=RefusedUpdate.Kind.IDENTITY,
            error=error,
            update_seq=notice.update_seq,
            change_reason=notice.change_reason,
            concerning=[str(record.pk)] if record is not None else [],
        )
        return
    version = _store(envelope, notice, record)
    record_event(**_update_event(envelope, notice, version.record_id))
    _forward_or_hold(version, notice.as_payload())


def _update_event(envelope: Envelope, notice: IdentityNotice, record_id: int) -> dict[str, Any]:
    """The audit entry of one stored update (``record_event`` keyword arguments)."""
    return {
        "actor": None,
        "action": AuditAction.PREFECTURE_IDENTITY_UPDATE,
        "subject_type": SUBJECT_TYPE,
        "subject_id": str(record_id),
        "reason": f"{notice.change_reason} from {envelope.sender} message {envelope.id}"[:400],
        "individual_number_used": bool(notice.individual_number),
    }


@dataclass
class _Accepted:
    """An update of a batch that passed the checks: its notice and its new (unsaved) version."""

    envelope: Envelope
    notice: IdentityNotice
    record: IdentityRecord
    version: IdentityVersion


class _Batch:
    """The state of one ``apply_identity_updates`` call: the batch's records, read once and locked."""

    def __init__(self, envelopes: list[Envelope]) -> None:
        ids = [envelope.id for envelope in envelopes]
        self.done = {
            str(i)
            for i in IdentityVersion.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
        }
        self.done |= {
            str(i)
            for i in RefusedUpdate.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
        }
        codes = {str(envelope.payload["resident_code"]) for envelope in envelopes}
        locked = IdentityRecord.objects.select_for_update().filter(resident_code__in=codes).order_by("pk")
        self.records: dict[str, IdentityRecord] = {record.resident_code: record for record in locked}
        self.stored = set(
            self.records
        )  # codes whose record holds a notice (in the database or from the batch)
        self.superseded: set[int] = set()  # stored records whose current version this batch supersedes
        self.current: dict[str, IdentityVersion] = {}  # the batch's latest version per code
        self.accepted: list[_Accepted] = []
        self.registered = registered_map()  # shared CS members: read once per batch

    def take(self, envelope: Envelope, now: datetime) -> None:
        """Check one update against the batch's state; refuse it at once, or keep it to be stored."""
        if envelope.id in self.done:
            return  # already handled (a restored backup re-applying): effects must not repeat
        notice = IdentityNotice(**envelope.payload)
        record = self.records.get(notice.resident_code)
        try:
            check_sender(envelope.sender, conf.local_node().ref)
            check_logic(envelope.sender.code, notice, record, self.registered)
        except DomainError as error:
            refuse_update(
                envelope,
                kind=RefusedUpdate.Kind.IDENTITY,
                error=error,
                update_seq=notice.update_seq,
                change_reason=notice.change_reason,
                concerning=[str(record.pk)] if record is not None and record.pk else [],
            )
            return
        if record is None:
            record = self.records[notice.resident_code] = IdentityRecord(resident_code=notice.resident_code)
        earlier = self.current.get(notice.resident_code)
        if earlier is not None:
            earlier.superseded_at = now  # superseded within the batch: written so
        elif record.pk:
            self.superseded.add(record.pk)
        version = _fill(record, envelope, notice, now, stored=notice.resident_code in self.stored)
        self.stored.add(notice.resident_code)
        self.current[notice.resident_code] = version
        self.accepted.append(_Accepted(envelope, notice, record, version))

    def write(self, now: datetime) -> None:
        """Store the accepted updates: a few statements for the whole batch, then their forwards."""
        if not self.accepted:
            return
        if self.superseded:
            IdentityVersion.objects.filter(record_id__in=self.superseded, superseded_at__isnull=True).update(
                superseded_at=now
            )
        records = list({id(item.record): item.record for item in self.accepted}.values())
        for record in records:
            if record.pk is not None:
                record.save()  # a person already on file (rarer in bulk than new people): one UPDATE each
        insert_objects([record for record in records if record.pk is None])
        self.forward()
        insert_objects([item.version for item in self.accepted])
        record_events([_update_event(item.envelope, item.notice, item.record.pk) for item in self.accepted])

    def forward(self) -> None:
        """Forward the accepted updates in order, as ``_forward_or_hold`` would one by one."""
        if conf.local_node().peer(NATIONAL) is None:
            return
        # A record with an earlier version still waiting holds this batch's versions back too.
        waiting = set(
            IdentityVersion.objects.filter(record_id__in=self.superseded, forward_message_id="").values_list(
                "record_id", flat=True
            )
        )
        leaving = [item for item in self.accepted if item.record.pk not in waiting]
        rows = messaging.enqueue_many(
            [
                messaging.Outgoing(
                    IDENTITY_UPDATE, NATIONAL, f"pf-{item.record.pk}", item.notice.as_payload()
                )
                for item in leaving
            ]
        )
        for item, row in zip(leaving, rows, strict=True):
            item.version.forward_message_id = str(row.message_id)


def apply_identity_updates(envelopes: list[Envelope]) -> None:
    """``apply_identity_update`` for a batch's in-order updates at once (the batch receiver's path).

    The same checks, refusals, stored records and versions, audit entries and forwards as one by one,
    with the batch's records read and locked in one query and the versions, new records, forwards and
    audit entries written in bulk. A refusal is written when it is found; the accepted updates' entries
    follow together at the end, so the audit chain groups them instead of interleaving.
    """
    if any(envelope.payload.get("former_resident_code") for envelope in envelopes):
        # A 住民票コードの変更 re-keys a stored record first (rare): this batch goes one by one.
        for envelope in envelopes:
            apply_identity_update(envelope)
        return
    now = timezone.now()
    batch = _Batch(envelopes)
    for envelope in envelopes:
        batch.take(envelope, now)
    batch.write(now)


def version_payload(version: IdentityVersion) -> dict[str, Any]:
    """The IdentityNotice payload of a stored version (the 個人番号 decrypted to forward it)."""
    return {**version.notice, "individual_number": version.get_individual_number() or ""}


def forward_pending() -> int:
    """Forward, in order, every accepted update still waiting for the national node; returns the count.

    Run by ``prefecture_forward`` once the national node is a configured peer.
    """
    if conf.local_node().peer(NATIONAL) is None:
        return 0
    forwarded = 0
    pending = (
        IdentityVersion.objects.filter(forward_message_id="").order_by("pk").values_list("pk", flat=True)
    )
    for pk in list(pending):
        with transaction.atomic():
            version = IdentityVersion.objects.select_for_update().get(pk=pk)
            if version.forward_message_id:
                continue
            _forward(version, version_payload(version))
            record_event(
                actor=None,
                action=AuditAction.PREFECTURE_IDENTITY_FORWARD,
                subject_type=SUBJECT_TYPE,
                subject_id=str(version.record_id),
                reason=f"pending update forwarded to {NATIONAL}",
                individual_number_used=True,
            )
            forwarded += 1
    return forwarded
