"""居所 as the mailing address of the 個人番号 notices (送付先情報 items 2–8; std 7.1.1.4-a).

A clerk records where a person's notices go when that is not the 住所 (a 居所: a hospital, a care
facility, a relative's home during a long stay). ``sending_addresses.produce_many`` uses the person's
recorded 居所 as the 送付先 (mail-to) of every 送付先情報 it builds; the 住所 and its items stay as
they are. Recorded rows are appended, never changed; recording an empty 居所 ends it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.domain.received_text import unacceptable_characters
from jumin.masters.selectors import normalize_postal_code
from jumin.registry.models_sending_place import SendingPlace
from jumin.registry.snapshots import current_of

SUBJECT_TYPE = "resident"
ADDRESS_MAX_LENGTH = 200


@dataclass(frozen=True)
class Place:
    """A person's recorded 居所 in force (the notices' 送付先)."""

    postal_code: str
    address: str
    addressee: str


def _checked(postal_code: str, address: str, addressee: str) -> tuple[str, str, str]:
    address, addressee = address.strip(), addressee.strip()
    code = normalize_postal_code(postal_code) if postal_code.strip() else ""
    if postal_code.strip() and not code:
        raise refusal(
            "postal_code",
            "居所の郵便番号の形式が正しくありません。",
            "7桁の数字（例：857-0044）で入力してください。",
            "registry.sending_place_postal_code",
        )
    if address and not code:
        raise refusal(
            "postal_code",
            "居所の郵便番号が入力されていません。",
            "通知書を届けるため、居所の郵便番号を入力してください。",
            "registry.sending_place_postal_code",
        )
    items = (("address", "居所", address, ADDRESS_MAX_LENGTH), ("addressee", "宛名", addressee, 100))
    for field, label, text, limit in items:
        if len(text) > limit or unacceptable_characters(text):
            raise refusal(
                field,
                f"{label}が{limit}文字を超えているか、登録できない文字があります。",
                "短く、正しい文字で入力してください。",
                "registry.sending_place_text",
            )
    if addressee and not address:
        raise refusal(
            "address",
            "宛名だけでは居所を記録できません。",
            "居所の住所を入力してください（居所をやめる場合はすべて空欄にします）。",
            "registry.sending_place_address",
        )
    return code, address, addressee


def record_sending_place(
    *, actor: Any, purpose: str, atena_number: str, postal_code: str, address: str, addressee: str = ""
) -> Place | None:
    """Record the person's 居所 for the notices (all empty: mail to the 住所 again); audited.

    Returns the 居所 now in force, or None.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_SENDING_PLACE_RECORD,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    code, address, addressee = _checked(postal_code, address, addressee)
    with transaction.atomic():
        resident, _ = current_of(atena_number.strip())
        SendingPlace.objects.create(
            resident=resident,
            postal_code=code,
            address=address,
            addressee=addressee,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_SENDING_PLACE_RECORD,
            subject_type=SUBJECT_TYPE,
            subject_id=resident.atena_number,
            purpose=purpose,
            reason="sending place recorded" if address else "sending place ended",
        )
    return Place(code, address, addressee) if address else None


def places_of(resident_ids: Iterable[int]) -> dict[int, Place]:
    """The 居所 in force of each of these persons who has one (one query)."""
    latest: dict[int, SendingPlace] = {}
    for row in SendingPlace.objects.filter(resident_id__in=list(resident_ids)).order_by("recorded_at", "pk"):
        latest[row.resident_id] = row
    return {
        resident_id: Place(row.postal_code, row.address, row.addressee)
        for resident_id, row in latest.items()
        if row.address
    }
