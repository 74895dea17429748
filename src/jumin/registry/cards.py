"""個人番号カード status as the municipality records it (records.md §6.11; standard 7.1.1.3-a).

The national card system (J-LIS) is a later issue; here a clerk records what the municipality did
or learnt: 交付, 一時停止, 停止解除, 廃止, 返納, 有効期限切れ, each with its date. Events are appended
(``CardEvent``), never changed; the status is that of the latest event, and an event that does not
follow from the current status (停止解除 of a card that is not suspended …) is refused.
Card status is not a 異動 (no 異動事由 in records.md §7), so it has no 仮登録. The 個人番号 itself is
shown beside the status only to holders of INDIVIDUAL_NUMBER_ACCESS who ask for it (controls.md C-9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from jumin.accounts.authorization import MASK, authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_view
from jumin.domain.errors import refusal
from jumin.registry.models import CardEvent, Resident


class CardEventKind(models.TextChoices):
    """What happened to the card (カード運用状況 changes)."""

    ISSUED = "issued", "交付"
    SUSPENDED = "suspended", "一時停止"
    RESUMED = "resumed", "停止解除"
    REVOKED = "revoked", "廃止"
    RETURNED = "returned", "返納"
    EXPIRED = "expired", "有効期限切れ"


class CardStatus(StrEnum):
    """The card's state after its latest event."""

    NONE = "未交付"
    ACTIVE = "有効"
    SUSPENDED = "一時停止中"
    ENDED = "失効"


_STATUS_AFTER = {
    CardEventKind.ISSUED: CardStatus.ACTIVE,
    CardEventKind.RESUMED: CardStatus.ACTIVE,
    CardEventKind.SUSPENDED: CardStatus.SUSPENDED,
    CardEventKind.REVOKED: CardStatus.ENDED,
    CardEventKind.RETURNED: CardStatus.ENDED,
    CardEventKind.EXPIRED: CardStatus.ENDED,
}
# Which statuses each event may follow; anything else is a refusal naming the current status.
_ALLOWED_FROM = {
    CardEventKind.ISSUED: {CardStatus.NONE, CardStatus.ENDED},
    CardEventKind.SUSPENDED: {CardStatus.ACTIVE},
    CardEventKind.RESUMED: {CardStatus.SUSPENDED},
    CardEventKind.REVOKED: {CardStatus.ACTIVE, CardStatus.SUSPENDED},
    CardEventKind.RETURNED: {CardStatus.ACTIVE, CardStatus.SUSPENDED},
    CardEventKind.EXPIRED: {CardStatus.ACTIVE, CardStatus.SUSPENDED},
}


@dataclass(frozen=True)
class CardEventInput:
    """One card event as a clerk enters it; ``expiry_date`` is required for 交付 only."""

    atena_number: str
    event: CardEventKind
    event_date: date
    expiry_date: date | None = None
    remarks: str = ""


@dataclass(frozen=True)
class CardEventView:
    event: str
    label: str
    event_date: str
    expiry_date: str
    remarks: str
    recorded_by: str


@dataclass(frozen=True)
class CardStatusView:
    """A person's card status, its events newest first and, when asked for and allowed, the 個人番号."""

    atena_number: str
    status: str
    expiry_date: str
    events: list[CardEventView]
    individual_number: str


def _resident(atena_number: str) -> Resident:
    resident = (
        Resident.objects.select_related("current")
        .filter(atena_number=atena_number.strip(), current__isnull=False)
        .first()
    )
    if resident is None:
        raise refusal(
            "atena_number",
            "該当する住民が見つかりません。",
            "宛名番号を確認してください。",
            "registry.resident_not_found",
        )
    return resident


def _state(events: list[CardEvent]) -> tuple[CardStatus, date | None]:
    """Status and expiry date after ``events`` (oldest first): the latest 交付 sets the expiry."""
    status, expiry = CardStatus.NONE, None
    for row in events:
        kind = CardEventKind(row.event)
        status = _STATUS_AFTER[kind]
        if kind is CardEventKind.ISSUED:
            expiry = row.expiry_date
    return status, expiry


def holds_active_card(resident: Resident) -> bool:
    """Whether the person's card is 有効 (a card holder may move out by 特例転出, F03 step 3b)."""
    events = list(CardEvent.objects.filter(resident=resident).order_by("recorded_at", "pk"))
    return _state(events)[0] is CardStatus.ACTIVE


def _check(entry: CardEventInput, events: list[CardEvent], today: date) -> None:
    label = CardEventKind(entry.event).label
    status, expiry = _state(events)
    if status not in _ALLOWED_FROM[entry.event]:
        raise refusal(
            "event",
            f"現在のカードの状況（{status.value}）では「{label}」は記録できません。",
            "カードの状況を照会し、実際に行った処理を選んでください。",
            "registry.card.transition",
        )
    if entry.event_date > today:
        raise refusal(
            "event_date",
            "発生日が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.card.future",
        )
    if events and entry.event_date < events[-1].event_date:
        raise refusal(
            "event_date",
            "発生日が直前の記録の日付より前です。",
            "直前の記録の日付以降の日付を入力してください。",
            "registry.card.date_order",
        )
    if entry.event is CardEventKind.ISSUED:
        if entry.expiry_date is None or entry.expiry_date <= entry.event_date:
            raise refusal(
                "expiry_date",
                "交付の場合はカードの有効期限が必要で、交付日より後でなければなりません。",
                "カード表面の有効期限を入力してください。",
                "registry.card.expiry_required",
            )
    elif entry.expiry_date is not None:
        raise refusal(
            "expiry_date",
            "有効期限は交付の場合だけ入力します。",
            "有効期限の欄を空にしてください。",
            "registry.card.expiry_not_allowed",
        )
    if entry.event is CardEventKind.EXPIRED and expiry is not None and entry.event_date < expiry:
        raise refusal(
            "event_date",
            "有効期限より前の日付で有効期限切れは記録できません。",
            "有効期限以降の日付を入力してください。",
            "registry.card.not_yet_expired",
        )


def record_card_event(*, actor: Any, purpose: str, entry: CardEventInput) -> int:
    """Append one card event for a person (交付 … 有効期限切れ); returns its id."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_CARD_RECORD,
        action=AuditAction.RESIDENT_CARD_RECORD,
        purpose=purpose,
        subject_type="resident",
    )
    event = CardEventKind(entry.event)
    with transaction.atomic():
        resident = _resident(entry.atena_number)
        Resident.objects.select_for_update().filter(pk=resident.pk).first()  # one writer per person
        events = list(CardEvent.objects.filter(resident=resident).order_by("recorded_at", "pk"))
        _check(entry, events, timezone.localdate())
        row = CardEvent.objects.create(
            resident=resident,
            event=event,
            event_date=entry.event_date,
            expiry_date=entry.expiry_date,
            remarks=entry.remarks.strip(),
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_CARD_RECORD,
            subject_type="resident",
            subject_id=resident.atena_number,
            purpose=purpose,
            reason=event.value,
        )
    return row.pk


def card_status(
    *, actor: Any, purpose: str, atena_number: str, with_individual_number: bool = False
) -> CardStatusView:
    """The card status of one person (audited). The 個人番号 is masked unless ``with_individual_number``,
    which needs INDIVIDUAL_NUMBER_ACCESS and is audited as a 個人番号 access (C-9, C-42)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_CARD_VIEW,
        purpose=purpose,
        subject_type="resident",
    )
    if with_individual_number:
        authorize(
            actor=actor,
            permission=Permission.INDIVIDUAL_NUMBER_ACCESS,
            action=AuditAction.RESIDENT_CARD_VIEW,
            purpose=purpose,
            subject_type="resident",
        )
    with transaction.atomic():
        resident = _resident(atena_number)
        events = list(
            CardEvent.objects.filter(resident=resident)
            .select_related("recorded_by")
            .order_by("recorded_at", "pk")
        )
        number = MASK
        if with_individual_number and resident.current is not None:
            number = resident.current.get_individual_number() or ""
        record_view(
            actor,
            "resident",
            resident.atena_number,
            purpose,
            action=AuditAction.RESIDENT_CARD_VIEW,
            individual_number_used=with_individual_number,
        )
    status, expiry = _state(events)
    return CardStatusView(
        atena_number=resident.atena_number,
        status=status.value,
        expiry_date=expiry.isoformat() if expiry else "",
        events=[
            CardEventView(
                event=row.event,
                label=CardEventKind(row.event).label,
                event_date=row.event_date.isoformat(),
                expiry_date=row.expiry_date.isoformat() if row.expiry_date else "",
                remarks=row.remarks,
                recorded_by=str(row.recorded_by),
            )
            for row in reversed(events)
        ],
        individual_number=number,
    )
