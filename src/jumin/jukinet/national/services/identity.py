"""機構保存本人確認情報: apply 本人確認情報 notices from prefectures (住基法30条の7), keep history, purge.

A refused notice is not an exception: the refusal is stored and audited, and IDENTITY_UPDATE_REJECTED
goes back to the sending prefecture in the same transaction, so the inbox marks the message handled
and the prefecture learns why (system.md F13 step 6).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_events
from jumin.bulk_insert import insert_objects
from jumin.crypto.individual_number import blind_index
from jumin.crypto.models import filter_by_individual_number
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE_REJECTED
from jumin.jukinet.common.keys import kana_key, name_key, years_before
from jumin.jukinet.common.notice import IdentityNotice, NoticeReason, consistency_digest
from jumin.jukinet.common.queries import rejection_payload
from jumin.jukinet.common.signing_certificate import FourItems
from jumin.jukinet.national.models import (
    FuhyoRecord,
    IdentityHistory,
    IdentityRecord,
    IndividualNumberRegister,
    ResidentCode,
    UpdateRefusal,
)
from jumin.jukinet.national.services import jpki, sending_addresses
from jumin.jukinet.national.services._common import RETENTION_YEARS, audit
from jumin.jukinet.national.services.card_codes import rekey_cards
from jumin.messaging import conf
from jumin.messaging import services as messaging
from jumin.messaging.envelope import Envelope

logger = logging.getLogger("jumin.jukinet.national")

SUBJECT_TYPE = "national_identity"


@dataclass(frozen=True)
class UpdateRefusalReason:
    """Why a notice was refused: a ``jukinet.national.`` code and Japanese text without values."""

    code: str
    reason: str
    remedy: str


SENDER_NOT_PREFECTURE = UpdateRefusalReason(
    "jukinet.national.sender_not_prefecture",
    "本人確認情報の通知は都道府県サーバからだけ受け付けます。",
    "都道府県サーバを経由して通知してください。",
)
OUTSIDE_PREFECTURE = UpdateRefusalReason(
    "jukinet.national.outside_prefecture",
    "通知元の都道府県に属さない市町村の本人確認情報です。",
    "住所地の都道府県サーバから通知してください。",
)
OUT_OF_ORDER = UpdateRefusalReason(
    "jukinet.national.out_of_order",
    "更新順番号が保存済みの本人確認情報以前です。",
    "最新の更新順番号で通知し直してください。",
)
NUMBER_CONFLICT = UpdateRefusalReason(
    "jukinet.national.number_conflict",
    "個人番号が別の住民票コードに付番済みです。",
    "個人番号と住民票コードの対応を確認し、修正してください。",
)


def stored_notice(payload: dict[str, Any]) -> dict[str, Any]:
    """The notice as stored in JSON: every item but the 個人番号 (kept encrypted beside it)."""
    return {key: value for key, value in payload.items() if key != "individual_number"}


def notice_payload(record: IdentityRecord) -> dict[str, Any]:
    """The record as an IdentityNotice payload, 個人番号 decrypted (the caller audits the use)."""
    return {**record.notice, "individual_number": record.get_individual_number() or ""}


def _number_owner(notice: IdentityNotice) -> str | None:
    """The 住民票コード the notice's 個人番号 is registered to (any status), or None."""
    if not notice.individual_number:
        return None
    owner: str | None = (
        filter_by_individual_number(IndividualNumberRegister.objects.all(), notice.individual_number)
        .values_list("resident_code", flat=True)
        .first()
    )
    return owner


def _refusal_for(
    envelope: Envelope, notice: IdentityNotice, *, current: IdentityRecord | None, owner: str | None
) -> UpdateRefusalReason | None:
    """Why the notice is refused, given the locked current record and the 個人番号's owner."""
    sender = envelope.sender
    if sender.kind != "prefecture":
        return SENDER_NOT_PREFECTURE
    if notice.municipality_code[:2] != sender.code[:2]:
        return OUTSIDE_PREFECTURE
    if (
        current is not None
        and current.municipality_code == notice.municipality_code
        and notice.update_seq <= current.update_seq
    ):
        return OUT_OF_ORDER
    if owner is not None and owner != notice.resident_code:
        return NUMBER_CONFLICT
    return None


def _refuse(envelope: Envelope, notice: IdentityNotice, why: UpdateRefusalReason, now: datetime) -> None:
    UpdateRefusal.objects.create(
        message_id=envelope.id,
        subject_key=envelope.subject,
        sender_code=envelope.sender.code,
        municipality_code=notice.municipality_code,
        update_seq=notice.update_seq,
        code=why.code,
        received_at=now,
    )
    audit(
        AuditAction.NATIONAL_IDENTITY_UPDATE,
        subject_type="node_message",
        subject_id=envelope.id,
        reason=f"from {envelope.sender} seq {notice.update_seq}",
        outcome=Outcome.REFUSED,
        outcome_reason=why.code,
        terminal_id=notice.terminal_id,
        concerning_code=notice.resident_code,
    )
    reply_refusal(envelope, update_seq=notice.update_seq, why=why)
    logger.warning("identity update %s refused: %s", envelope.id, why.code)


def reply_refusal(envelope: Envelope, *, update_seq: int, why: UpdateRefusalReason) -> None:
    """Send the refused update's sender the refusal with its code, reason and remedy (no values)."""
    messaging.enqueue(
        message_type=IDENTITY_UPDATE_REJECTED,
        receiver=envelope.sender,
        subject=envelope.subject,
        payload=rejection_payload(envelope, why, update_seq=update_seq),
    )


def _note_numbers(
    notice: IdentityNotice, municipality_code: str, now: datetime, *, owner: str | None
) -> None:
    """Record the 住民票コード and 個人番号 of the notice in the national registers (never reissued).

    ``owner`` is the 住民票コード the 個人番号 is already registered to (``_number_owner``), if any.
    """
    ResidentCode.objects.get_or_create(
        code=notice.resident_code,
        defaults={
            "municipality_code": municipality_code,
            "source": ResidentCode.Source.SEEN,
            "issued_at": now,
        },
    )
    if not notice.individual_number or owner is not None:
        return
    IndividualNumberRegister.objects.filter(
        resident_code=notice.resident_code, status=IndividualNumberRegister.Status.CURRENT
    ).update(status=IndividualNumberRegister.Status.ABOLISHED, abolished_at=now)
    _number_row(notice, now).save()


def _record_fields(envelope: Envelope, notice: IdentityNotice, now: datetime) -> dict[str, Any]:
    """The current record's fields from an accepted notice (the 個人番号 is set apart, encrypted)."""
    return {
        "municipality_code": notice.municipality_code,
        "update_seq": notice.update_seq,
        "removed": notice.removed,
        "name_key": name_key(notice.name)[:200],
        "kana_key": kana_key(notice.name_kana)[:200],
        "birth_date": notice.birth_date,
        "sex": notice.sex,
        "address": notice.address,
        "notice": stored_notice(envelope.payload),
        "consistency_digest": consistency_digest(notice, key=conf.local_node().consistency_key),
        "received_at": now,
        "sender_code": envelope.sender.code,
    }


def _held_items(record: IdentityRecord | None) -> FourItems | None:
    """The 4情報 a current record holds before an update (None: no record, or removed)."""
    return jpki.holder_items(record) if record is not None and not record.removed else None


def _history(
    envelope: Envelope, notice: IdentityNotice, record: IdentityRecord, fields: dict[str, Any], now: datetime
) -> IdentityHistory:
    """The notice's snapshot (unsaved; its record may be unsaved too and gets its key first)."""
    history = IdentityHistory(
        record=record,
        resident_code=notice.resident_code,
        municipality_code=notice.municipality_code,
        update_seq=notice.update_seq,
        notice=fields["notice"],
        consistency_digest=fields["consistency_digest"],
        message_id=envelope.id,
        sender_code=envelope.sender.code,
        received_at=now,
        # A removed person's last snapshot is kept 150 years from the removal.
        retention_flag=notice.removed,
        retained_from=now if notice.removed else None,
    )
    history.set_individual_number(notice.individual_number or None)
    return history


def _number_row(notice: IdentityNotice, now: datetime) -> IndividualNumberRegister:
    """A new current register row for the notice's 個人番号 (unsaved)."""
    row = IndividualNumberRegister(
        resident_code=notice.resident_code,
        status=IndividualNumberRegister.Status.CURRENT,
        source=IndividualNumberRegister.Source.SEEN,
        issued_at=now,
    )
    row.set_individual_number(notice.individual_number)
    return row


def _is_code_change(notice: IdentityNotice) -> bool:
    """Whether the notice is a 住民票コードの変更 naming its 旧住民票コード (the person moves first)."""
    return bool(notice.former_resident_code) and notice.reason is NoticeReason.RESIDENT_CODE_CHANGE


def rekey_record(notice: IdentityNotice) -> None:
    """住民票コードの変更 (issue 8 item 6): the record and the 個人番号 register rows of the 旧住民票コード
    move to the new code before the notice is applied, so it updates the same person.

    Each history row keeps the code it was received under (the old code stays findable), the old
    code stays in the 住民票コード register (never issued again), and the 個人番号 is unchanged.
    The person's 附票 record and cards follow to the new code (``card_codes.rekey_cards``, the former
    code kept).
    Nothing to do without a 旧住民票コード; the record is left as it is when the new code already
    has one.
    """
    if not _is_code_change(notice):
        return
    if not IdentityRecord.objects.filter(resident_code=notice.resident_code).exists():
        IdentityRecord.objects.filter(resident_code=notice.former_resident_code).update(
            resident_code=notice.resident_code
        )
        IndividualNumberRegister.objects.filter(resident_code=notice.former_resident_code).update(
            resident_code=notice.resident_code
        )
    if not FuhyoRecord.objects.filter(resident_code=notice.resident_code).exists():
        # The 附票全国サーバ's record of the person (Flow 9) follows; its history rows keep their codes.
        FuhyoRecord.objects.filter(resident_code=notice.former_resident_code).update(
            resident_code=notice.resident_code
        )
    rekey_cards(notice)  # after the record, so the card's audit entry names the person's record


class _RefusedAfterRekey(Exception):  # noqa: N818 (not an error: rolls the re-keying back)
    def __init__(self, why: UpdateRefusalReason) -> None:
        super().__init__(why.code)
        self.why = why


def _checked(
    envelope: Envelope, notice: IdentityNotice
) -> tuple[IdentityRecord | None, str | None, UpdateRefusalReason | None]:
    """The locked current record, the 個人番号's owner and why the notice is refused (None: accepted).

    Locked and read once: the refusal checks and the update see the same row.
    """
    record = IdentityRecord.objects.select_for_update().filter(resident_code=notice.resident_code).first()
    owner = _number_owner(notice)
    return record, owner, _refusal_for(envelope, notice, current=record, owner=owner)


def _rekeyed_and_checked(
    envelope: Envelope, notice: IdentityNotice
) -> tuple[IdentityRecord | None, str | None, UpdateRefusalReason | None]:
    """``_checked`` after a 住民票コードの変更 moved the person to the new code (``rekey_record``).

    The checks need the moved record (its 更新順番号, its 個人番号), so the re-keying comes first,
    inside a savepoint: a refused notice rolls it back, and the record, the 個人番号 register, the
    附票 record, the cards and their events and audit entries stay under the old code as they were.
    Other notices are checked without a savepoint.
    """
    if not _is_code_change(notice):
        return _checked(envelope, notice)
    try:
        with transaction.atomic():
            rekey_record(notice)  # the same person continues under the new code
            record, owner, why = _checked(envelope, notice)
            if why is not None:
                raise _RefusedAfterRekey(why)
    except _RefusedAfterRekey as refused:
        return None, None, refused.why
    return record, owner, None


def apply_identity_update(envelope: Envelope) -> None:
    """Handler of IDENTITY_UPDATE at the national node: check, then store current + history, or refuse."""
    if (
        IdentityHistory.objects.filter(message_id=envelope.id).exists()
        or UpdateRefusal.objects.filter(message_id=envelope.id).exists()
    ):
        return  # already applied or refused (a restored backup replays messages): nothing to do
    # Validated by messaging before the handler runs: built as it is, not checked a second time.
    notice = IdentityNotice(**envelope.payload)
    now = timezone.now()
    record, owner, why = _rekeyed_and_checked(envelope, notice)
    if why is not None:
        _refuse(envelope, notice, why, now)
        return
    fields = _record_fields(envelope, notice, now)
    revocation = jpki.change_reason(_held_items(record), jpki.notice_items(notice))
    if record is None:
        record = IdentityRecord(resident_code=notice.resident_code, **fields)
    else:
        for name, value in fields.items():
            setattr(record, name, value)
        # The previous snapshot stops being current now: its 150 years start (保存期間フラグ).
        IdentityHistory.objects.filter(record=record, retention_flag=False).update(
            retention_flag=True, retained_from=now
        )
    record.set_individual_number(notice.individual_number or None)
    record.save()
    _history(envelope, notice, record, fields, now).save()
    _note_numbers(notice, notice.municipality_code, now, owner=owner)
    jpki.revoke_on_changes({notice.resident_code: revocation})
    audit(
        AuditAction.NATIONAL_IDENTITY_UPDATE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(record.pk),
        reason=f"from {envelope.sender} {notice.change_reason} seq {notice.update_seq}",
        terminal_id=notice.terminal_id,
        individual_number_used=bool(notice.individual_number),
    )
    # A 送付先情報 that arrived before this person's first 本人確認情報 is checked now (N4).
    sending_addresses.release_waiting([notice.resident_code])


def _update_event(envelope: Envelope, notice: IdentityNotice, record_id: int) -> dict[str, Any]:
    """The audit entry of one stored notice, as ``audit`` writes it (``record_event`` keyword arguments)."""
    return {
        "actor": None,
        "action": AuditAction.NATIONAL_IDENTITY_UPDATE,
        "subject_type": SUBJECT_TYPE,
        "subject_id": str(record_id)[:64],
        "reason": f"from {envelope.sender} {notice.change_reason} seq {notice.update_seq}"[:400],
        "terminal_id": notice.terminal_id[:64],
        "individual_number_used": bool(notice.individual_number),
    }


class _Batch:
    """One ``apply_identity_updates`` call: the batch's records and number owners, read once.

    Every notice is checked against this state as it stands after the notices before it in the batch
    (a person twice, a 個人番号 registered by an earlier notice), exactly as one by one.
    """

    def __init__(self, envelopes: list[Envelope], now: datetime) -> None:
        self.now = now
        ids = [envelope.id for envelope in envelopes]
        self.done = {
            str(i)
            for i in IdentityHistory.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
        }
        self.done |= {
            str(i)
            for i in UpdateRefusal.objects.filter(message_id__in=ids).values_list("message_id", flat=True)
        }
        codes = {str(envelope.payload["resident_code"]) for envelope in envelopes}
        locked = IdentityRecord.objects.select_for_update().filter(resident_code__in=codes).order_by("pk")
        self.records: dict[str, IdentityRecord] = {record.resident_code: record for record in locked}
        self.keys: dict[str, str] = {}  # message id → blind index of its 個人番号
        for envelope in envelopes:
            if envelope.payload.get("individual_number"):
                self.keys[envelope.id] = blind_index(str(envelope.payload["individual_number"]))
        registered = IndividualNumberRegister.objects.filter(
            individual_number_index__in=set(self.keys.values())
        ).values_list("individual_number_index", "resident_code")
        # 個人番号 blind index → the 住民票コード it is registered to (any status), as ``_number_owner``.
        self.owners: dict[str, str] = {str(index): code for index, code in registered}
        self.retained: set[int] = set()  # stored records whose current snapshot this batch retains
        self.latest: dict[str, IdentityHistory] = {}  # the batch's latest snapshot per code
        self.accepted: list[tuple[Envelope, IdentityNotice, IdentityRecord]] = []
        self.histories: list[IdentityHistory] = []
        self.numbers: list[IndividualNumberRegister] = []  # new register rows, in order
        self.current_numbers: dict[str, IndividualNumberRegister] = {}  # the batch's current row per code
        self.codes: dict[str, str] = {}  # 住民票コード seen → municipality code, first notice wins
        self.revocations: dict[str, str] = {}  # 住民票コード → why its 署名用電子証明書 is revoked

    def take(self, envelope: Envelope) -> None:
        """Check one notice; refuse it at once, or keep its record, snapshot and numbers to write."""
        if envelope.id in self.done:
            return  # already applied or refused (a restored backup replays messages): nothing to do
        notice = IdentityNotice(**envelope.payload)
        record = self.records.get(notice.resident_code)
        key = self.keys.get(envelope.id)
        owner = self.owners.get(key) if key else None
        why = _refusal_for(envelope, notice, current=record, owner=owner)
        if why is not None:
            _refuse(envelope, notice, why, self.now)
            return
        fields = _record_fields(envelope, notice, self.now)
        revocation = jpki.change_reason(_held_items(record), jpki.notice_items(notice))
        if revocation:
            self.revocations[notice.resident_code] = revocation
        if record is None:
            record = self.records[notice.resident_code] = IdentityRecord(
                resident_code=notice.resident_code, **fields
            )
        else:
            for name, value in fields.items():
                setattr(record, name, value)
        earlier = self.latest.get(notice.resident_code)
        if earlier is not None:
            earlier.retention_flag, earlier.retained_from = True, self.now
        elif record.pk:
            self.retained.add(record.pk)
        record.set_individual_number(notice.individual_number or None)
        history = _history(envelope, notice, record, fields, self.now)
        self.latest[notice.resident_code] = history
        self.histories.append(history)
        self.accepted.append((envelope, notice, record))
        self.codes.setdefault(notice.resident_code, notice.municipality_code)
        if key and owner is None:
            self.owners[key] = notice.resident_code
            previous = self.current_numbers.get(notice.resident_code)
            if previous is not None:
                previous.status, previous.abolished_at = IndividualNumberRegister.Status.ABOLISHED, self.now
            row = _number_row(notice, self.now)
            self.current_numbers[notice.resident_code] = row
            self.numbers.append(row)

    def write(self) -> None:
        """The accepted notices' rows: a few statements for the whole batch."""
        if not self.accepted:
            return
        now = self.now
        if self.retained:
            IdentityHistory.objects.filter(record_id__in=self.retained, retention_flag=False).update(
                retention_flag=True, retained_from=now
            )
        records = list({id(record): record for _, _, record in self.accepted}.values())
        for record in records:
            if record.pk is not None:
                record.save()  # a person already on file: one UPDATE each
        insert_objects([record for record in records if record.pk is None])
        insert_objects(self.histories)
        known = set(ResidentCode.objects.filter(code__in=list(self.codes)).values_list("code", flat=True))
        insert_objects(
            [
                ResidentCode(
                    code=code, municipality_code=municipality, source=ResidentCode.Source.SEEN, issued_at=now
                )
                for code, municipality in self.codes.items()
                if code not in known
            ]
        )
        if self.numbers:
            IndividualNumberRegister.objects.filter(
                resident_code__in=list(self.current_numbers), status=IndividualNumberRegister.Status.CURRENT
            ).update(status=IndividualNumberRegister.Status.ABOLISHED, abolished_at=now)
            insert_objects(self.numbers)
        record_events(
            [_update_event(envelope, notice, record.pk) for envelope, notice, record in self.accepted]
        )
        jpki.revoke_on_changes(self.revocations)
        sending_addresses.release_waiting({notice.resident_code for _, notice, _ in self.accepted})


def apply_identity_updates(envelopes: list[Envelope]) -> None:
    """``apply_identity_update`` for a batch's in-order notices at once (the batch receiver's path).

    The same checks, refusals, records, snapshots, number registers and audit entries as one by one,
    with the records and number owners read in one query each and the rows written in bulk. A refusal
    is written when it is found; the accepted notices' entries follow together at the end.
    """
    if any(envelope.payload.get("former_resident_code") for envelope in envelopes):
        # A 住民票コードの変更 re-keys a stored record first (rare): this batch goes one by one.
        for envelope in envelopes:
            apply_identity_update(envelope)
        return
    batch = _Batch(envelopes, timezone.now())
    for envelope in envelopes:
        batch.take(envelope)
    batch.write()


@dataclass(frozen=True)
class PurgeResult:
    """What one purge run deleted (counts only, controls.md C-79)."""

    cutoff: datetime
    history_rows: int
    removed_records: int


def purge_expired_identity(*, now: datetime | None = None, dry_run: bool = False) -> PurgeResult:
    """Delete history rows and removed persons whose 150 years have passed; audited with counts only.

    Only rows with the 保存期間フラグ set and ``retained_from`` more than 150 years ago are deleted;
    a removed person's current record goes once none of its history is left. Idempotent.
    """
    now = now or timezone.now()
    cutoff = years_before(now, RETENTION_YEARS)
    with transaction.atomic():
        expired = IdentityHistory.objects.filter(retention_flag=True, retained_from__lt=cutoff)
        records = IdentityRecord.objects.filter(removed=True).exclude(
            pk__in=IdentityHistory.objects.exclude(pk__in=expired.values("pk")).values("record_id")
        )
        history_count, record_count = expired.count(), records.count()
        if not dry_run:
            expired.delete()
            IdentityRecord.objects.filter(removed=True, history__isnull=True).delete()
        audit(
            AuditAction.NATIONAL_IDENTITY_PURGE,
            subject_type=SUBJECT_TYPE,
            subject_id="purge",
            reason=(
                f"rule {RETENTION_YEARS}y cutoff {cutoff:%Y-%m-%d} history {history_count} "
                f"removed {record_count}{' dry-run' if dry_run else ''}"
            ),
        )
    return PurgeResult(cutoff=cutoff, history_rows=history_count, removed_records=record_count)
