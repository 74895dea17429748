"""個人番号カード管理システム (N4): receive 送付先情報, check its 4情報, make the print file (system.md F15).

``apply_sending_address`` handles SENDING_ADDRESS from a CS: it checks the 4情報 (氏名, 生年月日, 性別,
住所) and the 個人番号 against the 機構保存本人確認情報 of the 住民票コード (N1 item 7), keeps an
accepted record for its day's print file, and answers SENDING_ADDRESS_RESULT in the same
transaction. ``write_print_file`` writes the day's print file for the 個人番号通知書 and the 交付申請書
(layout in docs/jukinet-national.md), audited as a media output.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.jukinet.common.catalogue import SENDING_ADDRESS_RESULT
from jumin.jukinet.common.sending_address import ACCEPTED, REFUSED, sending_address_from_payload, substitute
from jumin.jukinet.national.models import IdentityRecord, SendingAddressReceipt
from jumin.jukinet.national.services._common import audit, name_key
from jumin.messaging import services as messaging
from jumin.messaging.envelope import Envelope

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
FOUR_ITEMS = "jukinet.national.four_items_mismatch"
NUMBER_MISMATCH = Refusal(
    "jukinet.national.individual_number_mismatch", "個人番号が機構保存本人確認情報と一致しません。"
)
_ITEM_LABELS = {"name": "氏名", "birth_date": "生年月日", "sex": "性別", "address": "住所"}


def _check(envelope: Envelope, payload: dict[str, Any]) -> Refusal | None:
    """The refusal of this 送付先情報, or None when its 4情報 and 個人番号 match the national record."""
    if envelope.sender.kind != "municipality":
        return NOT_MUNICIPALITY
    if payload["municipality_code"] != envelope.sender.code:
        return OTHER_MUNICIPALITY
    record = IdentityRecord.objects.filter(resident_code=payload["resident_code"], removed=False).first()
    if record is None:
        return UNKNOWN_PERSON
    different = [
        label
        for item, label in _ITEM_LABELS.items()
        if (name_key(payload[item]) if item in ("name", "address") else payload[item])
        != (name_key(record.notice.get(item, "")) if item in ("name", "address") else getattr(record, item))
    ]
    if different:
        # Only the item names: the values are personal data and never leave in a refusal.
        return Refusal(FOUR_ITEMS, f"4情報が機構保存本人確認情報と一致しません（{'・'.join(different)}）。")
    known = record.get_individual_number()
    if known and known != payload["individual_number"]:
        return NUMBER_MISMATCH
    return None


def apply_sending_address(envelope: Envelope) -> None:
    """Handler of SENDING_ADDRESS (kind national): check, keep, answer; idempotent, never raises a refusal."""
    if SendingAddressReceipt.objects.filter(message_id=envelope.id).exists():
        return  # replayed after a restore: already answered
    record = sending_address_from_payload(envelope.payload)
    payload = record.as_payload()
    why = _check(envelope, payload)
    now = timezone.now()
    receipt = SendingAddressReceipt(
        message_id=envelope.id,
        control_number=record.control_number,
        sender_code=envelope.sender.code,
        resident_code=record.resident_code,
        result=REFUSED if why else ACCEPTED,
        refusal_code=why.code if why else "",
        items={} if why else {k: v for k, v in payload.items() if k != "individual_number"},
        received_at=now,
        received_on=timezone.localdate(now),
    )
    if why is None:
        receipt.set_individual_number(record.individual_number)
    receipt.save()
    audit(
        AuditAction.NATIONAL_SENDING_ADDRESS_RECEIVE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(receipt.pk),
        reason=f"from {envelope.sender} print {record.print_category} operator {record.operator_id}",
        outcome=Outcome.REFUSED if why else Outcome.DONE,
        outcome_reason=why.code if why else "",
        terminal_id=record.terminal_id,
        individual_number_used=True,
        result_count=1,
    )
    messaging.enqueue(
        message_type=SENDING_ADDRESS_RESULT,
        receiver=envelope.sender,
        subject=envelope.subject,
        payload={
            "control_number": record.control_number,
            "result": REFUSED if why else ACCEPTED,
            "code": why.code if why else "",
            "reason": why.reason if why else "",
        },
    )
    if why:
        logger.warning("sending address %s refused: %s", envelope.id, why.code)


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


def print_file(day: date, *, actor: Any, purpose: str = "N4 print") -> tuple[str, int]:
    """The print file of the records accepted on ``day`` (CSV text, record count); audited as a media output.

    One CSV line per accepted record after the header, 個人番号 decrypted for the print only. Each
    record is marked with the time it was put in a print file; the audit entry carries the file's
    SHA-256 so the medium can be matched to it later.
    """
    now = timezone.now()
    with transaction.atomic():
        receipts = list(
            SendingAddressReceipt.objects.select_for_update()
            .filter(result=SendingAddressReceipt.Result.ACCEPTED, received_on=day)
            .order_by("pk")
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(PRINT_COLUMNS)
        for receipt in receipts:
            items = {**receipt.items, "individual_number": receipt.get_individual_number() or ""}
            writer.writerow([_printable(items, column) for column in PRINT_COLUMNS])
        text = out.getvalue()
        SendingAddressReceipt.objects.filter(pk__in=[r.pk for r in receipts]).update(printed_at=now)
        record_event(
            actor=actor,
            action=AuditAction.MEDIA_OUTPUT_RECORD,
            subject_type=SUBJECT_TYPE,
            subject_id=day.isoformat(),
            purpose=purpose[:100],
            reason=(
                f"N4 print file (個人番号通知書/交付申請書) of {day.isoformat()} "
                f"sha256 {hashlib.sha256(text.encode('utf-8')).hexdigest()}"
            ),
            individual_number_used=bool(receipts),
            result_count=len(receipts),
        )
    return text, len(receipts)
