"""Reads for the national operator screen and API: counts only, and one card by serial (audited).

The overview holds no personal data (counts per prefecture and per card status); the card lookup
shows the card's status and event history, not its holder.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, time
from typing import Any

from django.db.models import Count
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.clock import today
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_view
from jumin.domain.errors import refusal
from jumin.jukinet.national.models import (
    Card,
    CardEvent,
    IdentityHistory,
    IdentityRecord,
    IndividualNumberRegister,
    ResidentCode,
    UpdateRefusal,
)

MONITOR_PURPOSE = "national_monitor"
CARD_PURPOSE = "national_card"
_SERIAL = re.compile(r"^[0-9A-Z]{12}$")


@dataclass(frozen=True)
class PrefectureCount:
    """Notices applied and refused today for one prefecture."""

    prefecture_code: str
    applied: int
    refused: int


@dataclass(frozen=True)
class StatusCount:
    """Cards in one status."""

    status: str
    label: str
    count: int


@dataclass(frozen=True)
class NationalOverview:
    """What the national operator screen shows: counts only."""

    records_current: int
    records_removed: int
    history_rows: int
    resident_codes: int
    individual_numbers: int
    updates_today: list[PrefectureCount]
    cards: list[StatusCount]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _start_of_today() -> datetime:
    return timezone.make_aware(datetime.combine(today(), time.min))


def national_overview() -> NationalOverview:
    """Counts of records, today's notices per prefecture and cards per status (no audit: use overview_for)."""
    since = _start_of_today()
    applied = dict(
        IdentityHistory.objects.filter(received_at__gte=since)
        .values_list("sender_code")
        .annotate(n=Count("id"))
        .values_list("sender_code", "n")
    )
    refused = dict(
        UpdateRefusal.objects.filter(received_at__gte=since)
        .values_list("sender_code")
        .annotate(n=Count("id"))
        .values_list("sender_code", "n")
    )
    by_status = dict(Card.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return NationalOverview(
        records_current=IdentityRecord.objects.filter(removed=False).count(),
        records_removed=IdentityRecord.objects.filter(removed=True).count(),
        history_rows=IdentityHistory.objects.count(),
        resident_codes=ResidentCode.objects.count(),
        individual_numbers=IndividualNumberRegister.objects.count(),
        updates_today=[
            PrefectureCount(code, applied.get(code, 0), refused.get(code, 0))
            for code in sorted(set(applied) | set(refused))
        ],
        cards=[StatusCount(str(s.value), str(s.label), by_status.get(s.value, 0)) for s in Card.Status],
    )


def overview_for(actor: Any, *, purpose: str = MONITOR_PURPOSE) -> NationalOverview:
    """The overview for a holder of ``national:monitor``; audited, refusals too."""
    authorize(
        actor=actor,
        permission=Permission.NATIONAL_MONITOR,
        action=AuditAction.NATIONAL_MONITOR_VIEW,
        purpose=purpose,
        subject_type="national_monitor",
    )
    overview = national_overview()
    record_event(
        actor=actor,
        action=AuditAction.NATIONAL_MONITOR_VIEW,
        subject_type="national_monitor",
        subject_id="overview",
        purpose=purpose,
    )
    return overview


@dataclass(frozen=True)
class CardEventView:
    """One line of a card's history."""

    event: str
    event_date: str
    status_before: str
    status_after: str
    outcome: str
    refusal_code: str
    municipality_code: str
    recorded_at: str


@dataclass(frozen=True)
class CardView:
    """One card as the card manager sees it: status, dates and history, not the holder."""

    serial: str
    status: str
    status_label: str
    issued_on: str
    valid_until: str
    issued_by: str
    events: list[CardEventView]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def card_for(actor: Any, serial: str, *, purpose: str = CARD_PURPOSE) -> CardView:
    """One card by serial for a holder of ``national:card:manage``; audited. DomainError if unknown."""
    authorize(
        actor=actor,
        permission=Permission.NATIONAL_CARD_MANAGE,
        action=AuditAction.NATIONAL_CARD_VIEW,
        purpose=purpose,
        subject_type="national_card",
    )
    serial = (serial or "").strip().upper()
    if not _SERIAL.match(serial):
        raise refusal(
            "serial",
            "シリアル番号の形式が不正です。",
            "英数字12文字で入力してください。",
            "jukinet.national.serial",
        )
    card = Card.objects.filter(serial=serial).first()
    if card is None:
        raise refusal(
            "serial",
            "該当するカードがありません。",
            "シリアル番号を確認してください。",
            "jukinet.national.card_not_found",
        )
    events = [
        CardEventView(
            event=e.event,
            event_date=e.event_date.isoformat(),
            status_before=e.status_before,
            status_after=e.status_after,
            outcome=e.outcome,
            refusal_code=e.refusal_code,
            municipality_code=e.municipality_code,
            recorded_at=timezone.localtime(e.recorded_at).isoformat(timespec="seconds"),
        )
        for e in CardEvent.objects.filter(card=card).order_by("pk")
    ]
    record_view(actor, "national_card", str(card.pk), purpose, action=AuditAction.NATIONAL_CARD_VIEW)
    return CardView(
        serial=card.serial,
        status=card.status,
        status_label=str(Card.Status(card.status).label),
        issued_on=card.issued_on.isoformat(),
        valid_until=card.valid_until.isoformat(),
        issued_by=card.issued_by,
        events=events,
    )
