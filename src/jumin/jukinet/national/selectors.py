"""Reads for the national operator screen and API: counts, one card by serial, one person's 附票.

The overview holds no personal data (counts per prefecture and per card status); the card lookup
shows the card's status and event history, not its holder; the 附票 lookup (附票全国サーバ) shows one
person's 18 items by 住民票コード to its own permission, audited.
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
from jumin.jukinet.common.fields import check_resident_code
from jumin.jukinet.common.fuhyo import FuhyoState
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.national.models import (
    Card,
    CardEvent,
    FuhyoHistory,
    FuhyoRecord,
    FuhyoRefusal,
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
    fuhyo_current: int
    fuhyo_deleted: int
    fuhyo_history_rows: int
    fuhyo_updates_today: list[PrefectureCount]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _start_of_today() -> datetime:
    return timezone.make_aware(datetime.combine(today(), time.min))


def _per_sender(rows: Any) -> dict[str, int]:
    return dict(rows.values_list("sender_code").annotate(n=Count("id")).values_list("sender_code", "n"))


def _per_prefecture(applied_rows: Any, refused_rows: Any, since: datetime) -> list[PrefectureCount]:
    """Updates applied and refused since ``since``, per sending prefecture."""
    applied = _per_sender(applied_rows.filter(received_at__gte=since))
    refused = _per_sender(refused_rows.filter(received_at__gte=since))
    return [
        PrefectureCount(code, applied.get(code, 0), refused.get(code, 0))
        for code in sorted(set(applied) | set(refused))
    ]


def national_overview() -> NationalOverview:
    """Counts of records, today's notices per prefecture and cards per status (no audit: use overview_for)."""
    since = _start_of_today()
    by_status = dict(Card.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return NationalOverview(
        records_current=IdentityRecord.objects.filter(removed=False).count(),
        records_removed=IdentityRecord.objects.filter(removed=True).count(),
        history_rows=IdentityHistory.objects.count(),
        resident_codes=ResidentCode.objects.count(),
        individual_numbers=IndividualNumberRegister.objects.count(),
        updates_today=_per_prefecture(IdentityHistory.objects, UpdateRefusal.objects, since),
        cards=[StatusCount(str(s.value), str(s.label), by_status.get(s.value, 0)) for s in Card.Status],
        fuhyo_current=FuhyoRecord.objects.filter(state=FuhyoState.CURRENT).count(),
        fuhyo_deleted=FuhyoRecord.objects.filter(state=FuhyoState.DELETED).count(),
        fuhyo_history_rows=FuhyoHistory.objects.count(),
        fuhyo_updates_today=_per_prefecture(FuhyoHistory.objects, FuhyoRefusal.objects, since),
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


FUHYO_PURPOSE = "national_fuhyo"


@dataclass(frozen=True)
class FuhyoVersionView:
    """One applied 附票 notice of the person, oldest first."""

    notice_type: str
    state: str
    fuhyo_municipality_code: str
    change_date: str
    sender_code: str
    received_at: str


@dataclass(frozen=True)
class FuhyoView:
    """One person's 機構保存附票本人確認情報 (the 18 items) and its history, for N2 staff."""

    resident_code: str
    state: str
    items: dict[str, Any]
    sender_code: str
    received_at: str
    history: list[FuhyoVersionView]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def may_look_up_fuhyo(actor: Any, *, purpose: str = FUHYO_PURPOSE) -> None:
    """AccessRefused (audited) unless the actor holds ``national:fuhyo:view``."""
    authorize(
        actor=actor,
        permission=Permission.NATIONAL_FUHYO_VIEW,
        action=AuditAction.NATIONAL_FUHYO_VIEW,
        purpose=purpose,
        subject_type="national_fuhyo",
    )


def fuhyo_for(actor: Any, resident_code: str, *, purpose: str = FUHYO_PURPOSE) -> FuhyoView:
    """One person's 附票 by 住民票コード for a holder of ``national:fuhyo:view``; audited.

    DomainError (nothing audited as done) for a malformed or unknown code. The history holds the
    notice type, state and dates of each update; the full snapshots stay in the store.
    """
    may_look_up_fuhyo(actor, purpose=purpose)
    code = check_resident_code((resident_code or "").strip(), RESIDENT_CODE_RULE, "jukinet.national.fuhyo")
    # A 旧住民票コード finds the person through the history rows received under it (Flow 9).
    record = (
        FuhyoRecord.objects.filter(resident_code=code).first()
        or FuhyoRecord.objects.filter(history__resident_code=code).order_by("pk").first()
    )
    if record is None:
        raise refusal(
            "resident_code",
            "附票全国サーバに該当する附票本人確認情報がありません。",
            "住民票コードを確認してください。",
            "jukinet.national.fuhyo_not_found",
        )
    history = [
        FuhyoVersionView(
            notice_type=row.notice_type,
            state=row.items.get("state", ""),
            fuhyo_municipality_code=row.items.get("fuhyo_municipality_code", ""),
            change_date=row.items.get("change_date", ""),
            sender_code=row.sender_code,
            received_at=timezone.localtime(row.received_at).isoformat(timespec="seconds"),
        )
        for row in FuhyoHistory.objects.filter(record=record).order_by("pk")
    ]
    record_view(actor, "national_fuhyo", str(record.pk), purpose, action=AuditAction.NATIONAL_FUHYO_VIEW)
    return FuhyoView(
        resident_code=record.resident_code,
        state=record.state,
        items=dict(record.items),
        sender_code=record.sender_code,
        received_at=timezone.localtime(record.received_at).isoformat(timespec="seconds"),
        history=history,
    )
