"""The registry keeps the 電子証明書 serials it learns in its own table (std 1.1.1-c; docs/cards.md).

The registry learns a serial in two places, and appends a ``CardCertificateSerial`` row there, in the
same transaction, audited ``resident:card_serial:record``:

* ``record_fetch``: the card status screen's 住基ネット fetch (``jukinet.cs.card_serials``, std
  7.1.2.4-a) answered the 利用者証明用 serial and the 署名用 serial with its validity and status, or that
  no live card holds one;
* ``record_e_application``: an e-application arrived signed with the card's 署名用電子証明書.

A row is appended only when what is learnt differs from the person's latest row of that kind, so
fetching twice keeps one row. ``latest`` gives the card status screen and API its serials.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.jukinet.cs.models_cards import CertificateSerialFetch
from jumin.registry.models import Resident
from jumin.registry.models_card_serials import CardCertificateSerial, CertificateKind, SerialSource

__all__ = [
    "CertificateKind",
    "LearntSerial",
    "SerialSource",
    "latest",
    "record_e_application",
    "record_fetch",
]


@dataclass(frozen=True)
class LearntSerial:
    """One serial as learnt: empty ``serial`` when the 機構 holds no live card with one."""

    kind: CertificateKind
    serial: str
    valid_from: date | None = None
    valid_until: date | None = None
    status: str = ""


def _same(row: CardCertificateSerial | None, learnt: LearntSerial) -> bool:
    if row is None:
        return False
    held = (row.serial, row.valid_from, row.valid_until, row.status)
    return held == (learnt.serial, learnt.valid_from, learnt.valid_until, learnt.status)


def latest(resident: Resident) -> dict[CertificateKind, CardCertificateSerial]:
    """The person's latest row of each certificate kind (a kind never learnt is absent)."""
    found: dict[CertificateKind, CardCertificateSerial] = {}
    for row in CardCertificateSerial.objects.filter(resident=resident).order_by("-pk"):
        found.setdefault(CertificateKind(row.certificate_kind), row)
    return found


def _append(
    resident: Resident,
    learnt: list[LearntSerial],
    *,
    source: SerialSource,
    source_ref: str,
    actor: Any | None,
    purpose: str,
) -> int:
    """Append the serials that differ from the latest held (call inside the caller's transaction)."""
    held = latest(resident)
    now = timezone.now()
    new = [
        CardCertificateSerial(
            resident=resident,
            certificate_kind=item.kind,
            serial=item.serial,
            valid_from=item.valid_from,
            valid_until=item.valid_until,
            status=item.status,
            source=source,
            source_ref=source_ref[:64],
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
            recorded_at=now,
        )
        for item in learnt
        if not _same(held.get(item.kind), item)
    ]
    if not new:
        return 0
    CardCertificateSerial.objects.bulk_create(new)
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_CARD_SERIAL_RECORD,
        subject_type="resident",
        subject_id=resident.atena_number,
        purpose=purpose,
        reason=f"{source.value}:" + ",".join(row.certificate_kind for row in new),
        result_count=len(new),
        concerning=[resident.atena_number],
    )
    return len(new)


def record_fetch(resident: Resident, fetch: CertificateSerialFetch, *, actor: Any, purpose: str) -> int:
    """Keep what a 住基ネット fetch answered (a telegram error teaches nothing); returns rows added."""
    if fetch.result == CertificateSerialFetch.Result.ERROR:
        return 0
    user = LearntSerial(
        CertificateKind.USER_AUTHENTICATION, fetch.serial, fetch.registered_on, None, fetch.card_status
    )
    signing = LearntSerial(
        CertificateKind.SIGNING,
        fetch.signing_serial,
        None,
        fetch.signing_valid_until,
        fetch.get_signing_status_display() if fetch.signing_status else "",
    )
    return _append(
        resident,
        [user, signing],
        source=SerialSource.CS_FETCH,
        source_ref=f"cs-fetch-{fetch.pk}",
        actor=actor,
        purpose=purpose,
    )


def record_e_application(resident: Resident, serial: str, *, receipt_number: str) -> int:
    """Keep the 署名用 serial an e-application was signed with (no validity or status is known then,
    so a later fetch's row with them is appended too)."""
    held = latest(resident).get(CertificateKind.SIGNING)
    if held is not None and held.serial == serial:
        return 0
    return _append(
        resident,
        [LearntSerial(CertificateKind.SIGNING, serial)],
        source=SerialSource.E_APPLICATION,
        source_ref=receipt_number,
        actor=None,
        purpose="e_application",
    )
