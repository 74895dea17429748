"""個人番号カード管理システム (N4): receive 送付先情報, check its 4情報, make the print file (system.md F15).

``apply_sending_address`` handles SENDING_ADDRESS from a CS: it checks the 4情報 (氏名, 生年月日, 性別,
住所) and the 個人番号 against the 機構保存本人確認情報 of the 住民票コード (N1 item 7), keeps an
accepted record for its day's print file, and answers SENDING_ADDRESS_RESULT in the same
transaction. One for a 住民票コード not on file yet waits for the person's first 本人確認情報
(``release_waiting``, called by that update) or is refused after ``WAITING_HOURS``. ``print_file``
writes the day's print file for the 個人番号通知書 and the 交付申請書 (layout in
docs/jukinet-national.md) under an approved media output (C-26–C-28), never twice (C-30).
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts import approvals
from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.errors import RuleRefused, refuse
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.jukinet.common.catalogue import SENDING_ADDRESS_RESULT
from jumin.jukinet.common.keys import name_key
from jumin.jukinet.common.sending_address import (
    ACCEPTED,
    REFUSED,
    SendingAddress,
    deletion_day,
    substitute,
)
from jumin.jukinet.national.models import IdentityRecord, SendingAddressReceipt
from jumin.jukinet.national.services._common import audit
from jumin.messaging import services as messaging
from jumin.messaging.envelope import Envelope, NodeRef

logger = logging.getLogger("jumin.jukinet.national")

SUBJECT_TYPE = "national_sending_address"


@dataclass(frozen=True)
class Refusal:
    """Why a 送付先情報 was refused: a code and Japanese text that never repeats a value."""

    code: str
    reason: str


NOT_MUNICIPALITY = Refusal(
    "jukinet.national.sender_not_municipality", "送付先情報は市町村CSからだけ受け付けます。"
)
OTHER_MUNICIPALITY = Refusal(
    "jukinet.national.other_municipality", "送信元の市町村と送付先情報の市町村コードが一致しません。"
)
UNKNOWN_PERSON = Refusal(
    "jukinet.national.unknown_resident_code",
    "住民票コードの機構保存本人確認情報がありません（未通知または消除）。",
)
#: The same refusal when the code has no record at all: its first 本人確認情報 may still be on its way
#: (the 送付先情報 then waits instead of being refused).
NOT_ON_FILE_YET = Refusal(UNKNOWN_PERSON.code, UNKNOWN_PERSON.reason)
FOUR_ITEMS = "jukinet.national.four_items_mismatch"
NUMBER_MISMATCH = Refusal(
    "jukinet.national.individual_number_mismatch", "個人番号が機構保存本人確認情報と一致しません。"
)
_ITEM_LABELS = {"name": "氏名", "birth_date": "生年月日", "sex": "性別", "address": "住所"}


#: How long a 送付先情報 may wait for its person's 本人確認情報 before it is refused
#: (``refuse_stale_waiting``).
WAITING_HOURS = 24


def _check(sender_kind: str, sender_code: str, payload: dict[str, Any]) -> Refusal | None:
    """The refusal of this 送付先情報, or None when its 4情報 and 個人番号 match the national record."""
    if sender_kind != "municipality":
        return NOT_MUNICIPALITY
    if payload["municipality_code"] != sender_code:
        return OTHER_MUNICIPALITY
    record = IdentityRecord.objects.filter(resident_code=payload["resident_code"]).first()
    if record is None:
        return NOT_ON_FILE_YET
    if record.removed:
        return UNKNOWN_PERSON
    # The record's own columns: the stored name key, address, birth date and sex (not its notice JSON).
    theirs = {
        "name": name_key(payload["name"]),
        "birth_date": payload["birth_date"],
        "sex": payload["sex"],
        "address": name_key(payload["address"]),
    }
    ours = {
        "name": record.name_key,
        "birth_date": record.birth_date,
        "sex": record.sex,
        "address": name_key(record.address),
    }
    different = [label for item, label in _ITEM_LABELS.items() if theirs[item] != ours[item]]
    if different:
        # Only the item names: the values are personal data and never leave in a refusal.
        return Refusal(FOUR_ITEMS, f"4情報が機構保存本人確認情報と一致しません（{'・'.join(different)}）。")
    known = record.get_individual_number()
    if known and known != payload["individual_number"]:
        return NUMBER_MISMATCH
    return None


def apply_sending_address(envelope: Envelope) -> None:
    """Handler of SENDING_ADDRESS (kind national): check, keep, answer; idempotent, never raises a refusal.

    A 送付先情報 for a 住民票コード not on file yet waits for the person's 本人確認情報
    (``release_waiting``) instead of being refused at once; it is answered when it is checked.
    """
    if SendingAddressReceipt.objects.filter(message_id=envelope.id).exists():
        return  # replayed after a restore: already answered
    payload = envelope.payload  # validated by messaging before the handler runs
    record = SendingAddress(**payload)
    why = _check(envelope.sender.kind, envelope.sender.code, payload)
    # No record of the code at all: the CS sends the 送付先情報 of a newly numbered person straight here in
    # the commit whose 本人確認情報 goes through the prefecture, so it can arrive first (出生, 国外転入).
    waiting = why is NOT_ON_FILE_YET
    now = timezone.now()
    receipt = SendingAddressReceipt(
        message_id=envelope.id,
        control_number=record.control_number,
        sender_code=envelope.sender.code,
        subject_key=envelope.subject,
        resident_code=record.resident_code,
        result=SendingAddressReceipt.Result.WAITING if waiting else (REFUSED if why else ACCEPTED),
        refusal_code="" if waiting or why is None else why.code,
        items={} if why and not waiting else {k: v for k, v in payload.items() if k != "individual_number"},
        received_at=now,
        received_on=timezone.localdate(now),
    )
    if why is None or waiting:
        receipt.set_individual_number(record.individual_number)
    receipt.save()
    if waiting:
        audit(
            AuditAction.NATIONAL_SENDING_ADDRESS_RECEIVE,
            subject_type=SUBJECT_TYPE,
            subject_id=str(receipt.pk),
            reason=f"from {envelope.sender} print {record.print_category} operator {record.operator_id}: "
            "waiting for the 本人確認情報",
            terminal_id=record.terminal_id,
            individual_number_used=True,
            result_count=1,
            concerning_code=record.resident_code,
        )
        return
    _answer(receipt, why, sender=envelope.sender, subject=envelope.subject, items=payload)


def _answer(
    receipt: SendingAddressReceipt,
    why: Refusal | None,
    *,
    sender: NodeRef,
    subject: str,
    items: dict[str, Any],
) -> None:
    """Audit the check's outcome and send SENDING_ADDRESS_RESULT back to the CS (same transaction).

    ``items`` are the 送付先情報's own items (print category, operator and terminal for the entry).
    """
    audit(
        AuditAction.NATIONAL_SENDING_ADDRESS_RECEIVE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(receipt.pk),
        reason=f"from {sender} print {items.get('print_category')} operator {items.get('operator_id')}",
        outcome=Outcome.REFUSED if why else Outcome.DONE,
        outcome_reason=why.code if why else "",
        terminal_id=str(items.get("terminal_id", "")),
        individual_number_used=True,
        result_count=1,
        concerning_code=receipt.resident_code,
    )
    messaging.enqueue(
        message_type=SENDING_ADDRESS_RESULT,
        receiver=sender,
        subject=subject,
        payload={
            "control_number": receipt.control_number,
            "result": REFUSED if why else ACCEPTED,
            "code": why.code if why else "",
            "reason": why.reason if why else "",
        },
    )
    if why:
        logger.warning("sending address %s refused: %s", receipt.message_id, why.code)


def _settle(receipt: SendingAddressReceipt, why: Refusal | None, now: datetime) -> None:
    """Check a waiting receipt's outcome in: accepted (kept for the print file of the day it is
    accepted) or refused (items and number erased), then answered like any other."""
    items = receipt.items
    if why is None:
        receipt.result = SendingAddressReceipt.Result.ACCEPTED
        # Accepted today: today's print file takes it (a file already written for its day would not).
        receipt.received_on = timezone.localdate(now)
    else:
        receipt.result, receipt.refusal_code, receipt.items = (
            SendingAddressReceipt.Result.REFUSED,
            why.code,
            {},
        )
        receipt.set_individual_number(None)
    receipt.save()
    sender = NodeRef("municipality", receipt.sender_code)
    _answer(receipt, why, sender=sender, subject=receipt.subject_key, items=items)


def release_waiting(resident_codes: Iterable[str]) -> int:
    """Check the 送付先情報 that waited for these persons' 本人確認情報, now on file, and answer them.

    Called by the 本人確認情報 update in its transaction; one indexed query when nothing waits.
    """
    codes = list(resident_codes)
    waiting = list(
        SendingAddressReceipt.objects.select_for_update()
        .filter(result=SendingAddressReceipt.Result.WAITING, resident_code__in=codes)
        .order_by("pk")
    )
    now = timezone.now()
    for receipt in waiting:
        payload = {**receipt.items, "individual_number": receipt.get_individual_number() or ""}
        _settle(receipt, _check("municipality", receipt.sender_code, payload), now)
    return len(waiting)


def refuse_stale_waiting(*, now: datetime | None = None) -> int:
    """Refuse each 送付先情報 that waited ``WAITING_HOURS`` for a 本人確認情報 that never came (daily)."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            SendingAddressReceipt.objects.select_for_update()
            .filter(
                result=SendingAddressReceipt.Result.WAITING,
                received_at__lt=now - timedelta(hours=WAITING_HOURS),
            )
            .order_by("pk")
        )
        for receipt in stale:
            _settle(receipt, UNKNOWN_PERSON, now)
    return len(stale)


# --- 印刷ファイル (個人番号通知書 / 交付申請書) -------------------------------------------------------

#: Columns of the print file, in order (docs/jukinet-national.md "印刷ファイル").
PRINT_COLUMNS: tuple[str, ...] = (
    "control_number",
    "print_category",
    "municipality_code",
    "municipality_name",
    "mail_postal_code",
    "mail_address",
    "mail_name",
    "resident_code",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "postal_code",
    "address",
    "individual_number",
    "foreign_category",
    "stay_expiry_date",
    "former_surname",
    "romanised_name",
    "issuing_place_name",
    "issuing_place_postal_code",
    "issuing_place_address",
    "issuing_place_phone",
    "substitute_result",
    "gaiji_pattern",
)
#: Printed text columns whose 外字 are replaced by substitute characters.
_PRINTED = ("mail_address", "mail_name", "name", "address", "former_surname", "issuing_place_address")


def _printable(items: dict[str, Any], column: str) -> str:
    """A column as printed: 氏名 and 住所 from the 代替文字 items, other text through the same rule."""
    if column == "name":
        return str(items["substitute_name"])
    if column == "address":
        return str(items["substitute_address"])
    if column in _PRINTED:
        return substitute(str(items[column]))[0]
    return str(items[column])


ACTION_PRINT = AuditAction.NATIONAL_PRINT_FILE_WRITE
ALREADY_PRINTED = "already_printed"
NOTHING_TO_PRINT = "nothing_to_print"


def _check_approval(
    *, actor: Any, approval_id: int, medium_id: str, purpose: str, count: int, subject_id: str
) -> None:
    """Refuse before writing anything when the media-output approval is unusable or too small.

    ``approvals.check_media_output`` writes and uses up nothing; its refusal is audited here under
    this run's action, outside any transaction of ours, so the entry survives.
    """
    try:
        approvals.check_media_output(actor=actor, approval_id=approval_id, medium_id=medium_id, count=count)
    except RuleRefused as refused:
        raise refuse(
            actor=actor,
            action=ACTION_PRINT,
            reason_code=refused.reason_code,
            message=refused.message,
            purpose=purpose,
            subject_type=SUBJECT_TYPE,
            subject_id=subject_id,
        ) from None


PRINT_DESCRIPTION = "N4 印刷ファイル（個人番号通知書/交付申請書）"


def _unprinted(day: date) -> Any:
    return SendingAddressReceipt.objects.filter(
        result=SendingAddressReceipt.Result.ACCEPTED, received_on=day, printed_at__isnull=True
    )


def print_file(
    day: date, *, actor: Any, approval_id: int, medium_id: str, purpose: str = "national_card"
) -> tuple[str, int]:
    """The print file of the records accepted on ``day`` (CSV text, record count), never printed before.

    The operator needs ``NATIONAL_CARD_MANAGE`` and an approved media output (C-19, C-26, C-28) naming
    the registered medium the file goes to; the output is recorded by jumin.accounts.approvals with
    the file's SHA-256, count and medium (C-27), which uses the approval up. One CSV line per record
    after the header, 個人番号 decrypted for the print only. Each record is marked printed; a record
    already printed is never put in a file again, and a day with nothing left to print is refused
    (C-30: no reprint).
    """
    subject_id = day.isoformat()
    authorize(
        actor=actor,
        permission=Permission.NATIONAL_CARD_MANAGE,
        action=ACTION_PRINT,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
        subject_id=subject_id,
    )
    count = _unprinted(day).count()
    if count == 0:
        printed = SendingAddressReceipt.objects.filter(
            result=SendingAddressReceipt.Result.ACCEPTED, received_on=day
        ).exists()
        raise refuse(
            actor=actor,
            action=ACTION_PRINT,
            reason_code=ALREADY_PRINTED if printed else NOTHING_TO_PRINT,
            message=(
                "この日の送付先情報は印刷済みです。再印刷はできません。"
                if printed
                else "この日に受理した印刷対象の送付先情報はありません。"
            ),
            purpose=purpose,
            subject_type=SUBJECT_TYPE,
            subject_id=subject_id,
        )
    _check_approval(
        actor=actor,
        approval_id=approval_id,
        medium_id=medium_id,
        purpose=purpose,
        count=count,
        subject_id=subject_id,
    )
    now = timezone.now()
    with transaction.atomic():
        # At most the records counted and checked against the approval; later arrivals wait for the next file.
        receipts = list(_unprinted(day).select_for_update().order_by("pk")[:count])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(PRINT_COLUMNS)
        for receipt in receipts:
            items = {**receipt.items, "individual_number": receipt.get_individual_number() or ""}
            writer.writerow([_printable(items, column) for column in PRINT_COLUMNS])
        text = out.getvalue()
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        approvals.record_media_output(
            actor=actor,
            approval_id=approval_id,
            medium_id=medium_id,
            description=f"{PRINT_DESCRIPTION} {day.isoformat()}",
            record_count=len(receipts),
            file_sha256=digest,
            purpose=purpose,
        )
        SendingAddressReceipt.objects.filter(pk__in=[r.pk for r in receipts]).update(printed_at=now)
        record_event(
            actor=actor,
            action=ACTION_PRINT,
            purpose=purpose[:100],
            reason=f"{PRINT_DESCRIPTION} {day.isoformat()} medium {medium_id} approval {approval_id}",
            individual_number_used=bool(receipts),
            result_count=len(receipts),
            after_digest=digest,
            subject_type=SUBJECT_TYPE,
            subject_id=subject_id,
            **audit_context(),
        )
    return text, len(receipts)


# --- 削除 (controls.md C-73, D-15) ----------------------------------------------------------------

#: Absolute ceiling: no receipt, printed or not, is kept this many days after it arrived (D-15: < 1 year).
CEILING_DAYS = 180


@dataclass(frozen=True)
class ReceiptPurge:
    """What one purge deleted: printed and refused receipts past their day, others past the ceiling."""

    printed: int
    refused: int
    ceiling: int


def _cutoff(today: date) -> date:
    """The latest day whose receipts may go on ``today``: deletion_day(day) <= today (1 business day)."""
    day = today - timedelta(days=1)
    while deletion_day(day) > today:
        day -= timedelta(days=1)
    return day


def purge_sending_addresses(*, today: date | None = None) -> ReceiptPurge:
    """Delete 送付先情報 receipts N4 no longer needs; audited with the counts only (daily job).

    A printed receipt goes 1 business day after the day it was put in a print file, a refused one 1
    business day after it arrived (jumin.jukinet.common.sending_address.deletion_day, as the CS
    deletes its copy); any receipt still here ``CEILING_DAYS`` after it arrived goes too (never a
    year, D-15). Idempotent.
    """
    today = today or timezone.localdate()
    cutoff = _cutoff(today)
    # printed_at is an instant: its local day is on or before the cutoff when it is before the next midnight.
    printed_before = timezone.make_aware(datetime.combine(cutoff + timedelta(days=1), time.min))
    receipts = SendingAddressReceipt.objects
    with transaction.atomic():
        printed, _ = receipts.filter(printed_at__lt=printed_before).delete()
        refused, _ = receipts.filter(
            result=SendingAddressReceipt.Result.REFUSED, received_on__lte=cutoff
        ).delete()
        ceiling, _ = receipts.filter(received_on__lte=today - timedelta(days=CEILING_DAYS)).delete()
        audit(
            AuditAction.NATIONAL_SENDING_ADDRESS_PURGE,
            subject_type=SUBJECT_TYPE,
            subject_id="purge",
            reason=(
                f"cutoff {cutoff.isoformat()} ceiling {CEILING_DAYS}d "
                f"printed {printed} refused {refused} past ceiling {ceiling}"
            ),
            result_count=printed + refused + ceiling,
        )
    return ReceiptPurge(printed=printed, refused=refused, ceiling=ceiling)
