"""個人番号カード status kept in step between the registry and the CS, both ways (std 7.1.1.3-a).

* Registry → CS: every card event the registry records is stored here in the registry's transaction
  (``record_from_registry``, through ``registry.card_sync``), so the two statuses change together.
* National → CS → registry: a status change the national card system makes itself (有効期限切れ, 廃止,
  一時停止, 停止解除) arrives as CARD_STATUS_NOTICE (ordered per card), is stored here once
  (``apply_status_notice``) and waits until the registry records it as its own card event
  (``pending_for_registry`` / ``mark_taken``). So does a card event the CS itself makes (its 交付, a
  一時停止 from its screen or after three wrong PINs: ``record_cs_event``).

The CS never reads registry tables (import contract): it keeps the registry's event names as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.jukinet.common.queries import validate_card_status_notice
from jumin.jukinet.cs.models_cards import CardSource, CsCardStatusEvent
from jumin.jukinet.cs.persons import person_ids
from jumin.messaging.envelope import Envelope

#: The registry's card event (``registry.cards.CardEventKind`` value) of each national status change.
NATIONAL_TO_REGISTRY = {
    "expire": "expired",
    "abolish": "revoked",
    "suspend": "suspended",
    "release": "resumed",
}
#: The registry's card event of each event the CS reports to the national node (継続利用 changes nothing).
CS_TO_REGISTRY = {
    "suspend": "suspended",
    "release": "resumed",
    "abolish": "revoked",
    "return": "returned",
    "collect": "returned",
}
_SUBJECT_TYPE = "cs_card"


@dataclass(frozen=True)
class CardSync:
    """One registry card event for the CS: the registry's event name and dates, and its exactly-once ref."""

    resident_code: str
    event: str
    event_date: date
    expiry_date: date | None
    source_ref: str


def record_from_registry(entry: CardSync) -> bool:
    """Store a registry card event (call inside the registry's transaction); False if already held."""
    _, created = CsCardStatusEvent.objects.get_or_create(
        source_ref=entry.source_ref,
        defaults={
            "resident_code": entry.resident_code,
            "event": entry.event,
            "event_date": entry.event_date,
            "expiry_date": entry.expiry_date,
            "source": CardSource.REGISTRY,
            "recorded_at": timezone.now(),
        },
    )
    return created


def record_cs_event(
    resident_code: str, event: str, *, source_ref: str, expiry_date: date | None = None, reason: str = ""
) -> None:
    """Keep a card event the CS itself made for the registry (in the caller's transaction): ``issued``
    with the card's expiry, or a CARD_EVENT name (one of ``CS_TO_REGISTRY``; others are ignored)."""
    registry_event = "issued" if event == "issued" else CS_TO_REGISTRY.get(event)
    if registry_event is None:
        return
    CsCardStatusEvent.objects.get_or_create(
        source_ref=source_ref[:64],
        defaults={
            "resident_code": resident_code,
            "event": registry_event,
            "event_date": timezone.localdate(),
            "expiry_date": expiry_date,
            "source": CardSource.CS,
            "reason": reason[:100],
            "recorded_at": timezone.now(),
        },
    )


def apply_status_notice(envelope: Envelope) -> None:
    """Handler of CARD_STATUS_NOTICE: keep it for the registry, once per message (audited)."""
    payload = envelope.payload
    validate_card_status_notice(payload)
    if CsCardStatusEvent.objects.filter(source_ref=envelope.id).exists():
        return
    row = CsCardStatusEvent.objects.create(
        resident_code=payload["resident_code"],
        event=NATIONAL_TO_REGISTRY[payload["event"]],
        event_date=date.fromisoformat(payload["event_date"]),
        source=CardSource.NATIONAL,
        source_ref=envelope.id,
        reason=payload["reason"][:100],
        recorded_at=timezone.now(),
    )
    record_event(
        actor=None,
        action=AuditAction.CS_CARD_EVENT,
        subject_type=_SUBJECT_TYPE,
        subject_id=payload["card_serial"],
        reason=f"status notice {payload['event']} from {envelope.sender} (row {row.pk})",
        concerning=person_ids([row.resident_code]),
    )


@dataclass(frozen=True)
class NationalChange:
    """A national or CS card change waiting for the registry."""

    row_id: int
    resident_code: str
    event: str
    event_date: date
    reason: str
    expiry_date: date | None = None
    source: str = CardSource.NATIONAL


def pending_for_registry(limit: int = 500) -> list[NationalChange]:
    """National and CS changes the registry has not recorded yet, in arrival order (ordered per card)."""
    rows = (
        CsCardStatusEvent.objects.exclude(source=CardSource.REGISTRY)
        .filter(taken_at__isnull=True)
        .order_by("pk")
    )
    return [
        NationalChange(
            row.pk, row.resident_code, row.event, row.event_date, row.reason, row.expiry_date, row.source
        )
        for row in rows[:limit]
    ]


def mark_taken(row_id: int, result: str) -> bool:
    """Mark one national or CS change as handled by the registry (``result``: ``recorded`` or a refusal
    code); False when it was already taken (another run got it first: nothing to do)."""
    locked = (
        CsCardStatusEvent.objects.select_for_update()
        .exclude(source=CardSource.REGISTRY)
        .filter(pk=row_id, taken_at__isnull=True)
        .first()
    )
    if locked is None:
        return False
    locked.taken_at = timezone.now()
    locked.taken_result = result[:64]
    locked.save(update_fields=["taken_at", "taken_result"])
    return True


def held_events(resident_codes: Sequence[str]) -> dict[str, str]:
    """The latest card event the CS holds for each of these 住民票コード (reads only)."""
    latest: dict[str, str] = {}
    rows = (
        CsCardStatusEvent.objects.filter(resident_code__in=list(resident_codes))
        .order_by("pk")
        .values_list("resident_code", "event")
    )
    for code, event in rows:
        latest[code] = event
    return latest
