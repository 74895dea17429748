"""Card status as the municipality records it (records.md §6.11; standard 2.2.2-a, 7.1.1.3-a).

Two cards (カード種別): the 個人番号カード and the 住基カード (住民基本台帳カード). No 住基カード has been
issued since the 個人番号カード replaced it (2016-01-01), but a card issued before stays valid until its
expiry, so its status is kept and shown beside the 個人番号カード's.
A clerk records what the municipality did or learnt: 交付, 一時停止, 停止解除, 廃止, 返納, 有効期限切れ,
each with its date; the changes made at the CS or by the national card system arrive as events too, and
every 個人番号カード event is copied to the CS (``card_sync``, std 7.1.1.3-a). Events are appended
(``CardEvent``), never changed; each card's status is that of its latest event, and an event that does
not follow from the current status (停止解除 of a card that is not suspended …) is refused.
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
from jumin.domain.retention import years_before
from jumin.jukinet.cs import card_serials as cs_card_serials
from jumin.jukinet.cs.models_cards import CertificateSerialFetch
from jumin.registry import card_certificate_serials
from jumin.registry.models import CardEvent, Resident
from jumin.registry.models_card_serials import CardCertificateSerial, CertificateKind


class CardKind(models.TextChoices):
    """カード種別: which card an event is about."""

    INDIVIDUAL_NUMBER = "individual_number", "個人番号カード"
    JUKI = "juki", "住基カード"


JUKI_CARD_ISSUES_ENDED = date(2016, 1, 1)
"""No 住基カード is issued from this day (番号法整備法: the 個人番号カード replaces it).
Cards issued before stay valid until their expiry."""
JUKI_CARD_VALID_YEARS = 10
"""A 住基カード was valid for ten years from its issue."""


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
    card_kind: CardKind = CardKind.INDIVIDUAL_NUMBER


@dataclass(frozen=True)
class CardEventView:
    event: str
    label: str
    event_date: str
    expiry_date: str
    remarks: str
    recorded_by: str


@dataclass(frozen=True)
class CardHistoryView:
    """One card's status: ``past_expiry`` when the expiry has passed with no 有効期限切れ recorded yet."""

    card_kind: str
    label: str
    status: str
    expiry_date: str
    past_expiry: bool
    events: list[CardEventView]


@dataclass(frozen=True)
class CertificateSerialView:
    """The card's 電子証明書 serials as the registry holds them (``CardCertificateSerial``, 1.1.1-c):
    the 利用者証明用 serial with its 登録日 and the 機構's カード状態, the 署名用 serial with its last valid
    day and status; ``result`` and ``error`` of the fetch just made through 住基ネット (std 7.1.2.4-a),
    whose telegram error is shown, not hidden."""

    result: str
    serial: str
    registered_on: str
    national_status: str
    fetched_at: str
    error: str
    # The card's 署名用電子証明書 (1.1.1-c): serial, last valid day, 有効 / 失効; "" when none.
    signing_serial: str = ""
    signing_valid_until: str = ""
    signing_status: str = ""


@dataclass(frozen=True)
class CardStatusView:
    """A person's 個人番号カード status with its events newest first, the 住基カード beside it and, when
    asked for and allowed, the 個人番号."""

    atena_number: str
    status: str
    expiry_date: str
    events: list[CardEventView]
    past_expiry: bool
    juki_card: CardHistoryView
    individual_number: str
    certificate_serial: CertificateSerialView | None = None

    @property
    def individual_number_card(self) -> CardHistoryView:
        """The 個人番号カード's fields as one card, like ``juki_card`` (one template shows both)."""
        kind = CardKind.INDIVIDUAL_NUMBER
        return CardHistoryView(
            kind.value, kind.label, self.status, self.expiry_date, self.past_expiry, self.events
        )


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


def _events(resident: Resident, kind: CardKind) -> list[CardEvent]:
    """One card's events, oldest first."""
    return list(
        CardEvent.objects.filter(resident=resident, card_kind=kind)
        .select_related("recorded_by")
        .order_by("recorded_at", "pk")
    )


def cards_expiring(expiring_by: date) -> dict[int, date]:
    """Residents (by id) whose 個人番号カード is in use (有効 or 一時停止) and expires on or before
    ``expiring_by``, with the expiry: the registry's side of the renewal-target match (std 7.1.1.4-a)."""
    events: dict[int, list[CardEvent]] = {}
    rows = CardEvent.objects.filter(card_kind=CardKind.INDIVIDUAL_NUMBER).order_by(
        "resident_id", "recorded_at", "pk"
    )
    for row in rows:
        events.setdefault(row.resident_id, []).append(row)
    expiring: dict[int, date] = {}
    for resident_id, history in events.items():
        status, expiry = _state(history)
        if (
            status in (CardStatus.ACTIVE, CardStatus.SUSPENDED)
            and expiry is not None
            and expiry <= expiring_by
        ):
            expiring[resident_id] = expiry
    return expiring


def card_states(resident_ids: list[int]) -> dict[tuple[int, str], tuple[CardStatus, date | None]]:
    """Each card's status and expiry per (person id, カード種別) after its latest event, in one query
    (EUC, standard 10.1-a); a card with no event is absent, i.e. 未交付."""
    events: dict[tuple[int, str], list[CardEvent]] = {}
    rows = CardEvent.objects.filter(resident_id__in=resident_ids).order_by("resident_id", "recorded_at", "pk")
    for row in rows:
        events.setdefault((row.resident_id, row.card_kind), []).append(row)
    return {key: _state(history) for key, history in events.items()}


def _usable(events: list[CardEvent], today: date) -> bool:
    status, expiry = _state(events)
    return status is CardStatus.ACTIVE and (expiry is None or today <= expiry)


def active_card_kinds(resident: Resident) -> list[CardKind]:
    """The cards (個人番号カード, 住基カード) the person holds 有効 and not past their expiry."""
    events = list(CardEvent.objects.filter(resident=resident).order_by("recorded_at", "pk"))  # one query
    today = timezone.localdate()
    return [kind for kind in CardKind if _usable([row for row in events if row.card_kind == kind], today)]


def holds_active_card(resident: Resident) -> bool:
    """Whether the person holds a 有効 card not past its expiry, 個人番号カード or 住基カード: a holder of
    either may move out by 特例転出 (F03 step 3b; 003 「個人番号カード又は住民基本台帳カード」)."""
    return bool(active_card_kinds(resident))


def _check_juki_issue(entry: CardEventInput) -> None:
    """A 住基カード 交付 can only be one from before 2016 (a record of an existing card)."""
    if entry.event_date >= JUKI_CARD_ISSUES_ENDED:
        raise refusal(
            "event_date",
            "住基カードは平成28年1月1日以降交付されていません。",
            "平成27年12月31日以前の交付日を入力してください。新しいカードは個人番号カードとして記録してください。",
            "registry.card.juki_not_issued",
        )
    if (
        entry.expiry_date is not None
        and years_before(entry.expiry_date, JUKI_CARD_VALID_YEARS) > entry.event_date
    ):
        raise refusal(
            "expiry_date",
            "住基カードの有効期限は交付日から10年以内です。",
            "カード表面の有効期限を確認して入力してください。",
            "registry.card.juki_expiry",
        )


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
    if entry.card_kind is CardKind.JUKI and entry.event is CardEventKind.ISSUED:
        _check_juki_issue(entry)
    if entry.event is CardEventKind.EXPIRED and expiry is not None and entry.event_date < expiry:
        raise refusal(
            "event_date",
            "有効期限より前の日付で有効期限切れは記録できません。",
            "有効期限以降の日付を入力してください。",
            "registry.card.not_yet_expired",
        )


def status_after(event: str | None) -> CardStatus:
    """A card's status after ``event`` (a CardEventKind value; None: no event yet)."""
    return CardStatus.NONE if event is None else _STATUS_AFTER[CardEventKind(event)]


def check_event(entry: CardEventInput, resident: Resident) -> None:
    """Refuse (DomainError) an event this person's card history cannot take; writes nothing."""
    _check(entry, _events(resident, CardKind(entry.card_kind)), timezone.localdate())


def record_card_event(*, actor: Any, purpose: str, entry: CardEventInput) -> int:
    """Append one event of a person's 個人番号カード or 住基カード (交付 … 有効期限切れ); returns its id."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_CARD_RECORD,
        action=AuditAction.RESIDENT_CARD_RECORD,
        purpose=purpose,
        subject_type="resident",
    )
    event = CardEventKind(entry.event)
    kind = CardKind(entry.card_kind)
    with transaction.atomic():
        resident = _resident(entry.atena_number)
        Resident.objects.select_for_update().filter(pk=resident.pk).first()  # one writer per person
        _check(entry, _events(resident, kind), timezone.localdate())
        row = CardEvent.objects.create(
            resident=resident,
            card_kind=kind,
            event=event,
            event_date=entry.event_date,
            expiry_date=entry.expiry_date,
            remarks=entry.remarks.strip(),
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        # The CS's copy changes in this transaction (std 7.1.1.3-a); a late import: card_sync uses cards.
        from jumin.registry import card_sync

        current = resident.current
        card_sync.forward(row, current.juminhyo_code if current is not None else "")
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_CARD_RECORD,
            subject_type="resident",
            subject_id=resident.atena_number,
            purpose=purpose,
            reason=event.value if kind is CardKind.INDIVIDUAL_NUMBER else f"{kind.value}:{event.value}",
        )
    return row.pk


def card_status(
    *,
    actor: Any,
    purpose: str,
    atena_number: str,
    with_individual_number: bool = False,
    fetch_serial: bool = False,
) -> CardStatusView:
    """The status of one person's 個人番号カード and 住基カード (audited). The 個人番号 is masked unless
    ``with_individual_number``, which needs INDIVIDUAL_NUMBER_ACCESS and is audited as a 個人番号 access
    (C-9, C-42). ``fetch_serial`` first fetches the 利用者証明用電子証明書シリアル番号 through 住基ネット
    (std 7.1.2.4-a; needs the CS card permission) and keeps what it learnt in the registry's own table;
    the serials shown are the registry's (1.1.1-c), with the fetch's telegram error if it failed."""
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
        histories = {kind: _history(kind, _events(resident, kind)) for kind in CardKind}
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
    card = histories[CardKind.INDIVIDUAL_NUMBER]
    code = resident.current.juminhyo_code if resident.current is not None else ""
    fetch = None
    if fetch_serial and code:
        fetch = cs_card_serials.fetch_certificate_serial(
            code,
            actor=actor,
            purpose=purpose,
            # The registry keeps what was learnt in the fetch's own transaction (1.1.1-c).
            then=lambda row: card_certificate_serials.record_fetch(
                resident, row, actor=actor, purpose=purpose
            ),
        )
    return CardStatusView(
        certificate_serial=_serial_view(card_certificate_serials.latest(resident), fetch),
        atena_number=resident.atena_number,
        status=card.status,
        expiry_date=card.expiry_date,
        events=card.events,
        individual_number=number,
        past_expiry=card.past_expiry,
        juki_card=histories[CardKind.JUKI],
    )


def _held_result(user: CardCertificateSerial | None) -> str:
    if user is None:
        return "署名用のみ記録"
    return "取得済" if user.serial else "該当カードなし"


def _serial_view(
    held: dict[CertificateKind, CardCertificateSerial], fetch: CertificateSerialFetch | None
) -> CertificateSerialView | None:
    """The registry's serials, with the result and telegram error of the fetch just made, if any."""
    if not held and fetch is None:
        return None
    user, signing = held.get(CertificateKind.USER_AUTHENTICATION), held.get(CertificateKind.SIGNING)
    newest = max(held.values(), key=lambda row: row.pk, default=None)
    when = fetch.fetched_at if fetch is not None else newest.recorded_at if newest is not None else None
    return CertificateSerialView(
        result=fetch.get_result_display() if fetch is not None else _held_result(user),
        serial=user.serial if user is not None else "",
        registered_on=user.valid_from.isoformat() if user is not None and user.valid_from else "",
        national_status=user.status if user is not None else "",
        fetched_at=timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when is not None else "",
        error=fetch.error_reason if fetch is not None else "",
        signing_serial=signing.serial if signing is not None else "",
        signing_valid_until=signing.valid_until.isoformat()
        if signing is not None and signing.valid_until
        else "",
        signing_status=signing.status if signing is not None else "",
    )


def _history(kind: CardKind, events: list[CardEvent]) -> CardHistoryView:
    status, expiry = _state(events)
    return CardHistoryView(
        card_kind=kind.value,
        label=kind.label,
        status=status.value,
        expiry_date=expiry.isoformat() if expiry else "",
        past_expiry=status is not CardStatus.ENDED and expiry is not None and expiry < timezone.localdate(),
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
    )
