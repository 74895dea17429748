"""個人番号カード status kept in step with the 市町村CS, both ways (std 7.1.1.3-a; docs/cards.md).

* Registry → CS: ``forward`` runs inside ``cards.record_card_event``'s transaction, so the CS's copy
  (``jukinet.cs.card_sync``) changes exactly when the registry's card history does (exactly once:
  the CS keys the copy by the event's id).
* National → CS → registry: a change the national card system made itself (有効期限切れ, 廃止 …)
  waits at the CS; ``take_national_changes`` records each as the registry's own ``CardEvent``
  (append-only, audited), in arrival order, each once. One the registry's history cannot take (the
  card is already 失効 here …) is marked with the refusal's code and shows in the comparison. Card events
  the CS itself makes (its 交付, a 一時停止 from its screen or after wrong PINs) wait and are taken alike.
* ``compare_with_cs`` lists the persons whose two statuses differ; ``repair_cs`` sends the registry's
  latest event again for those (the registry is the source, except for national changes not yet taken).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import card_sync as cs_card_sync
from jumin.registry import cards
from jumin.registry.models import CardEvent, Resident

RECORDED = "recorded"
NATIONAL_REMARK = "個人番号カード管理システムからの通知"
CS_REMARK = "市町村CSでの処理"
MISSING = "CSに記録なし"
DIFFERENT = "CSと状況が相違"
PENDING = "機構からの通知が未反映"
QUERY_SUMMARY = "card_status_compare"


def forward(row: CardEvent, resident_code: str, *, ref: str = "") -> None:
    """Give the CS one 個人番号カード event (call inside the event's transaction); a person without a
    住民票コード has no CS record, so nothing is sent (the comparison lists nobody for them)."""
    if row.card_kind != cards.CardKind.INDIVIDUAL_NUMBER or not resident_code:
        return
    cs_card_sync.record_from_registry(
        cs_card_sync.CardSync(
            resident_code=resident_code,
            event=row.event,
            event_date=row.event_date,
            expiry_date=row.expiry_date,
            source_ref=ref or f"reg-{row.pk}",
        )
    )


@dataclass(frozen=True)
class TakeResult:
    """How many national changes were recorded and how many refused (left for the comparison)."""

    recorded: int
    refused: int


def _take_one(change: cs_card_sync.NationalChange, *, actor: Any, purpose: str) -> str | None:
    """Record one national change as a card event; its result, or None when another run took it."""
    resident = (
        Resident.objects.select_for_update().filter(current__juminhyo_code=change.resident_code).first()
    )
    remark = NATIONAL_REMARK if change.source == "national" else CS_REMARK
    entry = cards.CardEventInput(
        atena_number=resident.atena_number if resident else "",
        event=cards.CardEventKind(change.event),
        event_date=min(change.event_date, timezone.localdate()),
        expiry_date=change.expiry_date if change.event == cards.CardEventKind.ISSUED else None,
        remarks=remark,
    )
    result = RECORDED
    if resident is None:
        result = "registry.resident_not_found"
    else:
        try:
            cards.check_event(entry, resident)
        except DomainError as error:
            result = error.code
    if not cs_card_sync.mark_taken(change.row_id, result):
        return None
    if resident is None:
        return result
    if result == RECORDED:
        CardEvent.objects.create(
            resident=resident,
            card_kind=cards.CardKind.INDIVIDUAL_NUMBER,
            event=entry.event,
            event_date=entry.event_date,
            expiry_date=entry.expiry_date,
            remarks=remark,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_CARD_RECORD,
        subject_type="resident",
        subject_id=resident.atena_number,
        purpose=purpose,
        reason=f"{change.source}:{change.event}",
        outcome=Outcome.DONE if result == RECORDED else Outcome.REFUSED,
        outcome_reason="" if result == RECORDED else result,
    )
    return result


def take_national_changes(*, actor: Any, purpose: str) -> TakeResult:
    """Record every national card change waiting at the CS, oldest first, one transaction each."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_CARD_RECORD,
        action=AuditAction.RESIDENT_CARD_RECORD,
        purpose=purpose,
        subject_type="resident",
    )
    recorded = refused = 0
    for change in cs_card_sync.pending_for_registry():
        with transaction.atomic():
            result = _take_one(change, actor=actor, purpose=purpose)
        if result == RECORDED:
            recorded += 1
        elif result is not None:
            refused += 1
    return TakeResult(recorded, refused)


@dataclass(frozen=True)
class CardDifference:
    """One person whose 個人番号カード status differs between the registry and the CS."""

    atena_number: str
    kind: str
    registry_status: str
    cs_status: str


def _registry_latest() -> dict[str, tuple[str, CardEvent]]:
    """住民票コード → (宛名番号, latest 個人番号カード event) of every current person with a code."""
    latest: dict[str, tuple[str, CardEvent]] = {}
    rows = (
        CardEvent.objects.filter(card_kind=cards.CardKind.INDIVIDUAL_NUMBER, resident__current__isnull=False)
        .exclude(resident__current__juminhyo_code="")
        .select_related("resident", "resident__current")
        .order_by("recorded_at", "pk")
    )
    for row in rows:
        current = row.resident.current
        assert current is not None  # filtered above
        latest[current.juminhyo_code] = (row.resident.atena_number, row)
    return latest


def _status(event: str | None) -> str:
    return cards.status_after(event).value


def _differences() -> tuple[list[CardDifference], dict[str, CardEvent]]:
    latest = _registry_latest()
    held = cs_card_sync.held_events(list(latest))
    pending = {change.resident_code for change in cs_card_sync.pending_for_registry(limit=100_000)}
    differences: list[CardDifference] = []
    to_resend: dict[str, CardEvent] = {}
    for code, (atena, row) in sorted(latest.items(), key=lambda item: item[1][0]):
        mine, theirs = _status(row.event), _status(held.get(code))
        if code in pending:
            differences.append(CardDifference(atena, PENDING, mine, theirs))
        elif code not in held:
            differences.append(CardDifference(atena, MISSING, mine, theirs))
            to_resend[code] = row
        elif mine != theirs:
            differences.append(CardDifference(atena, DIFFERENT, mine, theirs))
            to_resend[code] = row
    return differences, to_resend


def compare_with_cs(*, actor: Any, purpose: str) -> list[CardDifference]:
    """The persons whose 個人番号カード status differs from the CS's (reads only; audited, C-42)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_BATCH_RUN,
        action=AuditAction.RESIDENT_CARD_VIEW,
        purpose=purpose,
        subject_type="resident",
    )
    with transaction.atomic():
        differences, _ = _differences()
        record_results(
            actor,
            "resident",
            sorted({d.atena_number for d in differences}),
            purpose,
            QUERY_SUMMARY,
            action=AuditAction.RESIDENT_CARD_VIEW,
            result_count=len(differences),
        )
    return differences


def repair_cs(*, actor: Any, purpose: str) -> int:
    """Send the CS the registry's latest event of every person it misses or differs on (not those with
    a national change still waiting: take those first); returns how many were sent (audited each)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_BATCH_RUN,
        action=AuditAction.RESIDENT_CARD_RECORD,
        purpose=purpose,
        subject_type="resident",
    )
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    with transaction.atomic():
        _, to_resend = _differences()
        for code, row in to_resend.items():
            forward(row, code, ref=f"fix-{row.pk}-{stamp}")
            record_event(
                actor=actor,
                action=AuditAction.RESIDENT_CARD_RECORD,
                subject_type="resident",
                subject_id=row.resident.atena_number,
                purpose=purpose,
                reason=f"cs_repair:{row.event}",
            )
    return len(to_resend)
