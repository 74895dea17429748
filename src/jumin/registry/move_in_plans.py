"""転入予定連絡 (引越しワンストップ; standard 7.2.5-a; seed 000 別添1 (1) 6, system.md M8).

転出元 side: ``send_on_commit`` runs in the commit of a 国内転出 (``outbox.append_events``). When the 転出
came from an e-application (its draft was made by ``e_applications.draft_move_out``) and the 転入予定地
市町村コード is known, it enqueues MOVE_IN_PLAN to the national e-application service, which relays it to
the 転入先 (jukinet.national.services.e_application_service.relay_move_in_plan).

転入先 side: ``apply_move_in_plan`` keeps it (``MoveInPlan``) for the 転入予定 list (``waiting_plans``), so a
clerk can prepare. It closes when a 転入 of one of its people (by 住民票コード) is committed here
(``close_on_commit``, same hook) or 30 days after the planned date (``drop_expired``, daily): the items
are cleared, the row stays with when and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from jumin import fixed_sql
from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.errors import refusal
from jumin.domain.resident import ChangeReason
from jumin.jukinet import routing
from jumin.jukinet.common.catalogue import MOVE_IN_PLAN
from jumin.jukinet.cs.services import NATIONAL, local_municipality_code, peer_configured
from jumin.messaging import housekeeping
from jumin.messaging.envelope import Envelope
from jumin.messaging.services import enqueue
from jumin.registry.kiosk_holds import MOVE_IN_REASONS
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.models_e_application import ElectronicApplicationDecision, MoveInPlan, MoveInPlanPerson

MUNICIPALITY = "municipality"
SUBJECT_TYPE = "move_in_plan"
#: A plan no 転入 used is dropped this long after its planned date (as an unused 転出証明書情報, D4).
KEEP_AFTER_PLANNED_DATE = timedelta(days=30)


def _mover(snapshot: ResidentSnapshot) -> dict[str, str]:
    return {
        "resident_code": snapshot.juminhyo_code,
        "surname": snapshot.surname,
        "given_name": snapshot.given_name,
        "surname_kana": snapshot.surname_kana,
        "given_name_kana": snapshot.given_name_kana,
        "birth_date": recorded_dates.display(recorded_dates.from_json(snapshot.birth_date), gregorian=True),
        "sex": snapshot.sex,
        "relationship": snapshot.relationship,
    }


def send_on_commit(change: Change, committed: list[ResidentSnapshot]) -> int:
    """In a 国内転出's commit: the 転入予定連絡 of an e-application's movers; 1 if one was enqueued."""
    if change.reason != ChangeReason.DOMESTIC_MOVE_OUT.value:
        return 0
    decision = (
        ElectronicApplicationDecision.objects.select_related("application")
        .filter(change_id=change.pk, outcome=ElectronicApplicationDecision.Outcome.DRAFTED)
        .first()
    )
    movers = [s for s in committed if s.juminhyo_code]
    if decision is None or not movers or not peer_configured(NATIONAL):
        return 0
    application = decision.application
    if not application.destination_municipality_code:
        return 0  # 転入予定地 unknown: nobody to tell
    first = movers[0]
    enqueue(
        message_type=MOVE_IN_PLAN,
        receiver=NATIONAL,
        subject=f"mip-{application.receipt_number}",
        payload={
            "receipt_number": application.receipt_number,
            "from_municipality_code": local_municipality_code(),
            "to_municipality_code": application.destination_municipality_code,
            "planned_date": change.change_date.isoformat(),
            "destination": application.destination,
            "from_address": f"{first.address}　{first.katagaki}".strip(),
            "movers": [_mover(s) for s in movers],
        },
    )
    record_event(
        actor=None,
        action=AuditAction.RESIDENT_MOVE_IN_PLAN_SEND,
        subject_type=SUBJECT_TYPE,
        subject_id=application.receipt_number,
        reason=f"change {change.pk} → {application.destination_municipality_code}",
        result_count=len(movers),
        concerning=[s.resident.atena_number for s in movers],
    )
    return 1


def _close(plans: Iterable[MoveInPlan], state: str) -> int:
    closed = 0
    now = timezone.now()
    for plan in plans:
        MoveInPlanPerson.objects.filter(plan=plan).delete()
        plan.items, plan.state, plan.closed_at = {}, state, now
        plan.save(update_fields=["items", "state", "closed_at"])
        closed += 1
    return closed


def close_on_commit(change: Change, committed: list[ResidentSnapshot]) -> int:
    """In a 転入's commit: close the waiting plans naming one of its people; the number closed."""
    if change.reason not in MOVE_IN_REASONS:
        return 0
    codes = [s.juminhyo_code for s in committed if s.juminhyo_code]
    if not codes:
        return 0

    def waiting() -> QuerySet[MoveInPlan, tuple[int]]:
        # One statement: the plans naming these codes (a subquery, as PostgreSQL locks no DISTINCT rows).
        naming = MoveInPlanPerson.objects.filter(resident_code__in=codes).values("plan_id")
        waits = MoveInPlan.objects.select_for_update().filter(state=MoveInPlan.State.WAITING, pk__in=naming)
        return waits.order_by("pk").values_list("pk")

    # Usually none waits: their ids, locked, by a statement compiled once per number of codes (P3).
    locked = fixed_sql.read(
        ("move_in_plans.waiting", len(codes)),
        [*codes, MoveInPlan.State.WAITING.value],
        fixed_sql.reading(waiting),
    )
    if not locked:
        return 0
    plans = list(MoveInPlan.objects.filter(pk__in=[pk for (pk,) in locked]).order_by("pk"))
    closed = _close(plans, MoveInPlan.State.ARRIVED)
    if closed:
        record_event(
            actor=None,
            action=AuditAction.RESIDENT_MOVE_IN_PLAN_CLOSE,
            subject_type=SUBJECT_TYPE,
            subject_id=",".join(str(p.pk) for p in plans)[:64],
            reason=f"転入 change {change.pk}",
            result_count=closed,
        )
    return closed


def on_commit(change: Change, committed: list[ResidentSnapshot]) -> None:
    """The commit hook (outbox.append_events): send a 転出's plan, close the plans a 転入 fulfils."""
    send_on_commit(change, committed)
    close_on_commit(change, committed)


def apply_move_in_plan(envelope: Envelope) -> None:
    """MOVE_IN_PLAN relayed by the national e-application service: keep it (idempotent by message)."""
    if envelope.sender.kind != "national":
        raise refusal(
            "sender",
            "転入予定連絡は電子申請サービスからだけ受け付けます。",
            "送信元を確認してください。",
            "registry.move_in_plan_sender",
        )
    if MoveInPlan.objects.filter(message_id=str(envelope.id)).exists():
        return
    payload = envelope.payload
    planned = date.fromisoformat(payload["planned_date"])
    plan = MoveInPlan.objects.create(
        receipt_number=payload["receipt_number"],
        from_municipality_code=payload["from_municipality_code"],
        planned_date=planned,
        drop_on=planned + KEEP_AFTER_PLANNED_DATE,
        items={key: payload[key] for key in ("destination", "from_address", "movers")},
        received_at=timezone.now(),
        message_id=str(envelope.id),
    )
    MoveInPlanPerson.objects.bulk_create(
        MoveInPlanPerson(plan=plan, resident_code=mover["resident_code"]) for mover in payload["movers"]
    )
    record_event(
        actor=None,
        action=AuditAction.RESIDENT_MOVE_IN_PLAN_RECEIVE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(plan.pk),
        reason=f"from {payload['from_municipality_code']} via {envelope.sender}",
        result_count=len(payload["movers"]),
    )


routing.handle(MOVE_IN_PLAN, kind=MUNICIPALITY, apply=apply_move_in_plan)


def drop_expired(*, today: date | None = None) -> int:
    """Close every waiting plan past its 消去日 (the planned date + 30 days); audited with the count."""
    day = today or timezone.localdate()
    with transaction.atomic():
        plans = list(
            MoveInPlan.objects.select_for_update().filter(state=MoveInPlan.State.WAITING, drop_on__lt=day)
        )
        closed = _close(plans, MoveInPlan.State.EXPIRED)
        record_event(
            actor=None,
            action=AuditAction.RESIDENT_MOVE_IN_PLAN_CLOSE,
            subject_type=SUBJECT_TYPE,
            reason=f"期限経過（転入予定日から30日）: drop_on before {day.isoformat()}",
            result_count=closed,
        )
    return closed


housekeeping.register("registry.drop_expired_move_in_plans", drop_expired, kind=MUNICIPALITY)


@dataclass(frozen=True)
class WaitingPlan:
    """One 転入予定 as the list shows it."""

    plan_id: int
    receipt_number: str
    from_municipality_code: str
    planned_date: date
    drop_on: date
    destination: str
    from_address: str
    movers: tuple[dict[str, str], ...]


def waiting_plans(*, actor: Any, purpose: str, limit: int = 500) -> list[WaitingPlan]:
    """The 転入予定 not yet fulfilled or expired, by planned date; audited as a read of their people."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_MOVE_IN_PLAN_LIST,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    with transaction.atomic():
        plans = MoveInPlan.objects.filter(state=MoveInPlan.State.WAITING).order_by("planned_date", "pk")
        rows = [
            WaitingPlan(
                plan_id=plan.pk,
                receipt_number=plan.receipt_number,
                from_municipality_code=plan.from_municipality_code,
                planned_date=plan.planned_date,
                drop_on=plan.drop_on,
                destination=plan.items["destination"],
                from_address=plan.items["from_address"],
                movers=tuple(plan.items["movers"]),
            )
            for plan in plans[: max(1, min(limit, 5000))]
        ]
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_MOVE_IN_PLAN_LIST,
            subject_type=SUBJECT_TYPE,
            subject_id=",".join(str(row.plan_id) for row in rows)[:64],
            purpose=purpose,
            result_count=sum(len(row.movers) for row in rows),
        )
    return rows
