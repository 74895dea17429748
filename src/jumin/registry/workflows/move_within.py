"""転居 (move within the municipality, standard 4.1.2; system.md F04) as a draft for commit_change.

Only address and household data change: every other item is copied from the current record by
draft_from_current, because the prefecture's server rejects a 転居 that changes anything else
(system.md F04 step 3). Three destinations (standard 4.0.2-a):

* the whole household moves and no 世帯番号 is given: household, 続柄 and order stay;
* part of it moves and no 世帯番号 is given: the movers form a new household, with one 世帯主;
* a 世帯番号 is given: the movers join that household at the end of its order (ORD-2).

Members left behind get no snapshot in the 転居. If the head moves away and one member remains, that
member becomes 世帯主 by 職権 in a change that follows the 転居 (head_by_ex_officio, standard 4.0.4-a);
two or more stay without a head (1.1.10-a) and the clerk is alerted to enter a 世帯主変更.

職権転居 (standard 4.2.0.2-a): with ``ex_officio`` the same rules apply except the 届出日: there is none,
the change is 届出区分 「職権」 and a 職権記録書 goes with it (workflows.ex_officio_events).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.errors import Alert, refusal
from jumin.domain.member_order import compute_member_order
from jumin.domain.relationship_proof import RelationshipProof
from jumin.domain.relationships import Relationship, RelationshipKind
from jumin.domain.resident import ChangeReason
from jumin.registry import numbering, preset_notes, services_restrictions
from jumin.registry.models import Change, Household
from jumin.registry.services import Address, DraftRecorded
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows import ex_officio_events
from jumin.registry.workflows.ex_officio_events import ExOfficioBasis
from jumin.registry.workflows.head_by_ex_officio import follow_up, with_follow_up
from jumin.registry.workflows.household_members import (
    CurrentMember,
    check_dates,
    check_no_duplicates,
    check_one_head,
    current_resident,
    existing_household,
    head_left_alert,
    household_members,
    join_columns,
    order_member,
    parse_relationships,
    prove_relationships,
)


@dataclass(frozen=True)
class MoveWithin:
    """A 転居届: who moves, to which address, on which day; for a part of a household, the new
    household's 続柄 (宛名番号 → text) or the 世帯番号 of the household they join.

    ``ex_officio``: a 職権転居 (4.2.0.2-a); then ``notification_date`` is None (no 届出)."""

    movers: Sequence[str]
    address: Address
    move_date: date
    notification_date: date | None
    household_number: str | None = None
    relationships: Mapping[str, str] = field(default_factory=dict)
    ex_officio: ExOfficioBasis | None = None
    # 留意事項 (type B, standard 1.1.14-a/b): e.g. the preset 「同一住所への転居」; "" for none.
    attention_note: str = ""
    # 続柄を証する書類 by 宛名番号 for foreign movers whose 続柄 is set anew (standard 1.1.11-c).
    relationship_proofs: Mapping[str, RelationshipProof] = field(default_factory=dict)


# What a 職権転居's 職権記載等通知書 lists, before and after, where it changed for someone.
_NOTICE_ITEMS = ("address", "katagaki", "postal_code", "address_code", "relationship")


@dataclass(frozen=True)
class _Plan:
    """What each mover's draft snapshot changes besides the address."""

    household: Household | None  # None: a new household, numbered inside the transaction
    household_columns: dict[str, dict[str, Any]]  # per 宛名番号
    alerts: list[Alert]


def _check(move: MoveWithin) -> tuple[list[CurrentMember], _Plan]:
    if not move.movers:
        raise refusal(
            "movers", "転居する方が指定されていません。", "1人以上指定してください。", "registry.no_members"
        )
    check_no_duplicates(move.movers, field="movers")
    if not move.address.address.strip():
        raise refusal(
            "address",
            "住所が入力されていません。",
            "転居先の住所を入力してください。",
            "registry.address_required",
        )
    ex_officio_events.check_basis(
        move.ex_officio,
        event_date=move.move_date,
        notification_date=move.notification_date,
        field="move_date",
    )
    # A 職権転居 has no 届出日: only the 異動日 is checked (not in the future), without the 14-day alert.
    alerts = check_dates(
        event_date=move.move_date, notification_date=move.notification_date or move.move_date, event="転居"
    )
    movers = [current_resident(atena, field=f"movers[{i}]") for i, atena in enumerate(move.movers)]
    households = {m.current.household_id for m in movers}
    if len(households) != 1:
        raise refusal(
            "movers",
            "異なる世帯の方が一緒に指定されています。",
            "世帯ごとに転居届を入力してください。",
            "registry.movers_in_several_households",
        )
    source = movers[0].current.household
    members = household_members(source)
    # Movers in their household's order, so that joiners keep their relative order (ORD-2).
    position = {m.atena_number: i for i, m in enumerate(members)}
    movers.sort(key=lambda m: position.get(m.atena_number, len(position)))
    atena = [m.atena_number for m in movers]
    whole = set(atena) == set(position)

    if move.household_number is not None:
        return movers, _join(move, movers, atena, source.pk, alerts + head_left_alert(members, atena))
    if whole:
        if move.relationships:
            raise refusal(
                "relationships",
                "世帯全員の転居では続柄は変わりません。",
                "続柄の変更は転居の本登録後に世帯変更届で処理してください。",
                "registry.relationship_not_changed_by_move",
            )
        return movers, _Plan(household=source, household_columns={a: {} for a in atena}, alerts=alerts)
    parsed = parse_relationships(move.relationships, allowed=atena)
    check_one_head(parsed)
    return movers, _Plan(
        household=None,
        household_columns=_new_household_columns(movers, parsed),
        alerts=alerts + head_left_alert(members, atena),
    )


def _join(
    move: MoveWithin, movers: list[CurrentMember], atena: list[str], source_pk: int, alerts: list[Alert]
) -> _Plan:
    assert move.household_number is not None
    household, members = existing_household(move.household_number, field="household_number")
    if household.pk == source_pk:
        raise refusal(
            "household_number",
            "転居する方が現在属している世帯が指定されています。",
            "加わる先の別の世帯の世帯番号を入力するか、世帯番号を空欄にしてください。",
            "registry.joins_own_household",
        )
    columns = join_columns(household, members, movers, move.relationships)
    return _Plan(household=household, household_columns=columns, alerts=alerts)


def _new_household_columns(
    movers: list[CurrentMember], parsed: Mapping[str, Relationship]
) -> dict[str, dict[str, Any]]:
    order = compute_member_order(order_member(m, parsed[m.atena_number]) for m in movers)
    return {
        m.atena_number: {
            "is_head": parsed[m.atena_number].kind is RelationshipKind.HEAD,
            "relationship": parsed[m.atena_number].text,
            "member_order": order.index(m.atena_number) + 1,
            "de_facto_head": "",  # a new household: no 事実上の世帯主 until recorded (4.1.4.3-a)
        }
        for m in movers
    }


def record_move_within(*, actor: Any, purpose: str, move: MoveWithin) -> DraftRecorded:
    """Enter a 転居 as a draft (standard 4.1.2); another clerk commits it with commit_change."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_MOVE_WITHIN_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    movers, plan = _check(move)
    prove_relationships(movers, plan.household_columns, move.relationship_proofs)
    note = preset_notes.checked_note(move.attention_note)
    # 異動入力 suppressions (standard 3.1-b), also on the household joined.
    entry_alerts = services_restrictions.check_change_entry(
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_MOVE_WITHIN_RECORD,
        atena_numbers=[m.atena_number for m in movers],
        household_numbers=[plan.household.number] if plan.household else [],
    )
    address_set = recorded_dates.to_json(move.move_date)
    with transaction.atomic():
        change = Change.objects.create(
            reason=ChangeReason.MOVE_WITHIN,
            change_date=move.move_date,
            **ex_officio_events.change_columns(move.ex_officio, move.notification_date),
            made_by=actor,
            made_at=timezone.now(),
            attention_note=note,
        )
        household = plan.household or Household.objects.create(
            number=numbering.issue_number(numbering.HOUSEHOLD)
        )
        columns = {
            mover.current.pk: {
                "household": household,
                **plan.household_columns[mover.atena_number],
                "postal_code": move.address.postal_code,
                "address_code": move.address.address_code,
                "address": move.address.address,
                "katagaki": move.address.katagaki,
            }
            for mover in movers
        }
        for mover in movers:
            # 転入前住所 (previous_address) is kept: a 転居 does not change it. The address moved
            # from becomes the 異動前住所 (F04 step 2; records.md §6.5).
            draft_from_current(
                mover.resident,
                mover.current,
                change,
                **columns[mover.current.pk],
                address_set_date=address_set,
                pre_move_postal_code=mover.current.postal_code,
                pre_move_address=mover.current.address,
                pre_move_katagaki=mover.current.katagaki,
            )
        if move.ex_officio is not None:
            items = ex_officio_events.changed_items([m.current for m in movers], columns, _NOTICE_ITEMS)
            ex_officio_events.write_record(change, move.ex_officio, action=change.reason, changed_items=items)
        # Only a part of a household leaves its household; follow_up decides whether the head did.
        source = movers[0].current.household
        follow = (
            follow_up(
                actor=actor,
                purpose=purpose,
                primary=change,
                household=source,
                leavers=[m.atena_number for m in movers],
            )
            if household.pk != source.pk
            else ()
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_MOVE_WITHIN_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=ex_officio_events.audit_reason(move.ex_officio),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(m.atena_number for m in movers),
        household_number=household.number,
        alerts=tuple(with_follow_up(plan.alerts + entry_alerts, follow)),
    )
