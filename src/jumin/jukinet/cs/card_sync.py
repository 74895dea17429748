"""個人番号カード status kept in step between the registry and the CS, both ways (std 7.1.1.3-a).

* Registry → CS: every card event the registry records is stored here in the registry's transaction
  (``record_from_registry``, through ``registry.card_sync``), so the two statuses change together.
* National → CS → registry: a status change the national card system makes itself (有効期限切れ, 廃止,
  一時停止, 停止解除) arrives as CARD_STATUS_NOTICE (ordered per card), is stored here once
  (``apply_status_notice``) and waits until the registry records it as its own card event
  (``pending_from_national`` / ``mark_taken``).

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
    """A national status change waiting for the registry."""

    row_id: int
    resident_code: str
    event: str
    event_date: date
    reason: str


def pending_from_national(limit: int = 500) -> list[NationalChange]:
    """National changes the registry has not recorded yet, in arrival order (ordered per card)."""
    rows = CsCardStatusEvent.objects.filter(source=CardSource.NATIONAL, taken_at__isnull=True).order_by("pk")
    return [
        NationalChange(row.pk, row.resident_code, row.event, row.event_date, row.reason)
        for row in rows[:limit]
    ]


def mark_taken(row_id: int, result: str) -> bool:
    """Mark one national change as handled by the registry (``result``: ``recorded`` or a refusal code);
    False when it was already taken (another run got it first: nothing to do)."""
    locked = (
        CsCardStatusEvent.objects.select_for_update()
        .filter(pk=row_id, source=CardSource.NATIONAL, taken_at__isnull=True)
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
