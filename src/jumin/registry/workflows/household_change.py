"""世帯変更 (standard 4.1.4; system.md F05) as a draft for commit_change: one service, five kinds.

* 世帯主変更 (HEAD_CHANGE): a new head inside the same household. Every member's 続柄 is re-entered
  relative to the new head (standard 4.1.4.2-a) and the order is recomputed (algorithms.md D.2
  maintenance rules: recalculated on request, and a head change is that request). In a household
  left without a head, the clerk may instead set the head by 職権 (``ex_officio``, standard 4.0.5-a):
  届出区分 職権, no 届出日, a 職権記録書 (action 世帯主変更), and the 職権記載等通知書 (世帯主変更通知書)
  after the 本登録; the other choice is the 世帯主変更依頼通知書 (certificates.registry_notices).
* 世帯分離 (SPLIT): some members leave to form a new household (new 世帯番号, one 世帯主) at the
  same address. If the head leaves, one remaining member becomes 世帯主 by 職権 with the split
  (head_by_ex_officio, 4.0.4-a); two or more stay without a head (standard 1.1.10-a) and the clerk
  is alerted to enter a 世帯主変更 (standard 4.0.4-b).
* 世帯合併 (MERGE): every member of a household joins another; the other's head stays head, the
  joiners' 続柄 are entered relative to that head and they are appended to its order (ORD-2).
* 事実上の世帯主 (DE_FACTO_HEAD, standard 4.1.4.3-a): the name of a person who heads the household
  in fact but is not on the registry is recorded (or cleared) on every member's row, as the type-C
  remark 「事実上の世帯主　氏名」; the registered 世帯主 and 続柄 stay as they are.
* 世帯変更 in the narrow sense (TRANSFER): some members of a household move into another existing
  household at the same address (世帯員の移動). The target's head stays head, the movers get 続柄
  relative to it and are appended to its order (as a merge); the household they leave keeps its
  rows and order, and a leaving head is followed up as in a split (head_by_ex_officio, 4.0.4).

Every kind can also be entered by 職権 (standard 4.2.0.2-a, ``ex_officio_basis``): the same rules
except the 届出日 (none; the 異動日 is checked against the day the fact was found), 届出区分 「職権」, and
the clerk's 職権記録書 (workflows.ex_officio_events); the 職権 世帯主変更 above is its special case with a
fixed 職権記録書, offered only for a household without a head.

Only members whose household data (世帯番号, 世帯主, 続柄, 並び順) changes get a draft snapshot; the
address never changes here (standard 4.1.4.1-b: a move is a separate 転居).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import Alert, refusal
from jumin.domain.member_order import compute_member_order
from jumin.domain.relationship_proof import RelationshipProof
from jumin.domain.resident import ChangeReason
from jumin.registry import numbering, preset_notes, services_restrictions
from jumin.registry.models import Change, ExOfficioRecord, Household
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows import ex_officio_events, head_by_ex_officio
from jumin.registry.workflows.ex_officio_events import ExOfficioBasis
from jumin.registry.workflows.head_by_ex_officio import follow_up, with_follow_up
from jumin.registry.workflows.household_members import (
    CurrentMember,
    check_dates,
    check_no_duplicates,
    check_one_head,
    existing_household,
    head_left_alert,
    join_columns,
    order_member,
    parse_relationships,
    prove_relationships,
)


class HouseholdChangeKind(StrEnum):
    """The 世帯変更 kinds (standard 4.1.4.1-a); TRANSFER is 世帯変更 in the narrow sense."""

    HEAD_CHANGE = "世帯主変更"
    SPLIT = "世帯分離"
    MERGE = "世帯合併"
    TRANSFER = "世帯変更"
    DE_FACTO_HEAD = "事実上の世帯主"


DE_FACTO_HEAD_MAX_LENGTH = 100


# The kinds that name who moves, and those that name the household joined.
_WITH_MEMBERS = (HouseholdChangeKind.SPLIT, HouseholdChangeKind.TRANSFER)
_WITH_TARGET = (HouseholdChangeKind.MERGE, HouseholdChangeKind.TRANSFER)


@dataclass(frozen=True)
class HouseholdChange:
    """A 世帯変更届.

    ``household_number`` is the household acted on (for a merge: the one that joins).
    ``members`` are the persons leaving in a 世帯分離 or moving in a 世帯変更 (empty otherwise).
    ``relationships`` maps 宛名番号 → 続柄 text: every member for 世帯主変更, the leavers for 世帯分離,
    every member of the joining household (relative to the other's head) for 世帯合併, the movers
    (relative to the target's head) for 世帯変更.
    ``target_household_number`` is the household joined in a 世帯合併 or 世帯変更.
    ``de_facto_head`` is the 事実上の世帯主's name for DE_FACTO_HEAD ("" clears it).
    ``ex_officio``: a 世帯主変更 by 職権 in a household without a head (4.0.5-a); no 届出日.
    ``ex_officio_basis``: any kind entered by 職権 with the clerk's 職権記録書 (4.2.0.2-a); no 届出日.
    """

    kind: HouseholdChangeKind
    household_number: str
    change_date: date
    notification_date: date | None
    relationships: Mapping[str, str] = field(default_factory=dict)
    members: Sequence[str] = ()
    target_household_number: str | None = None
    ex_officio: bool = False
    de_facto_head: str = ""
    ex_officio_basis: ExOfficioBasis | None = None
    # 続柄を証する書類 by 宛名番号 for foreign members whose 続柄 is set anew (standard 1.1.11-c).
    relationship_proofs: Mapping[str, RelationshipProof] = field(default_factory=dict)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""

    @property
    def by_ex_officio(self) -> bool:
        """Entered by 職権 (no 届出): the 世帯主 of a headless household, or with a 職権記録書."""
        return self.ex_officio or self.ex_officio_basis is not None


@dataclass(frozen=True)
class _Plan:
    household: Household | None  # None: a new household, numbered inside the transaction
    columns: dict[str, dict[str, Any]]  # household columns per 宛名番号, only for changed members
    members: list[CurrentMember]
    alerts: list[Alert]


def _changed(member: CurrentMember, columns: dict[str, Any]) -> bool:
    return any(getattr(member.current, name) != value for name, value in columns.items())


def _head_change(change: HouseholdChange, members: list[CurrentMember], alerts: list[Alert]) -> _Plan:
    atena = [m.atena_number for m in members]
    parsed = parse_relationships(change.relationships, allowed=atena)
    head = check_one_head(parsed)
    if any(m.current.is_head and m.atena_number == head for m in members):
        raise refusal(
            "relationships",
            "指定された世帯主は現在の世帯主と同じです。",
            "新しい世帯主を指定してください。続柄だけの訂正は職権修正で処理してください。",
            "registry.head_unchanged",
        )
    order = compute_member_order(order_member(m, parsed[m.atena_number]) for m in members)
    columns = {
        m.atena_number: {
            "is_head": m.atena_number == head,
            "relationship": parsed[m.atena_number].text,
            "member_order": order.index(m.atena_number) + 1,
        }
        for m in members
    }
    changed = [m for m in members if _changed(m, columns[m.atena_number])]
    return _Plan(household=members[0].current.household, columns=columns, members=changed, alerts=alerts)


def _movers(change: HouseholdChange, members: list[CurrentMember]) -> list[CurrentMember]:
    """The members named in ``change.members`` (in the stored order): some, not all, of the household."""
    if not change.members:
        raise refusal(
            "members",
            f"{change.kind.value}する方が指定されていません。",
            "別の世帯に移る方を1人以上指定してください。",
            "registry.no_members",
        )
    check_no_duplicates(change.members, field="members")
    by_atena = {m.atena_number: m for m in members}
    if any(atena not in by_atena for atena in change.members):
        raise refusal(
            "members",
            "この世帯の構成員でない方が指定されています。",
            "世帯番号と、移る方の宛名番号を確認してください。",
            "registry.not_a_member",
        )
    if len(change.members) == len(members):
        whole = change.kind is HouseholdChangeKind.SPLIT
        raise refusal(
            "members",
            f"世帯の全員が{change.kind.value}することはできません。",
            "元の世帯に残る方を1人以上残してください。"
            if whole
            else "世帯の全員が移る場合は世帯合併で処理してください。",
            "registry.split_of_whole_household" if whole else "registry.transfer_of_whole_household",
        )
    return [m for m in members if m.atena_number in set(change.members)]


def _split(change: HouseholdChange, members: list[CurrentMember], alerts: list[Alert]) -> _Plan:
    leavers = _movers(change, members)
    parsed = parse_relationships(change.relationships, allowed=[m.atena_number for m in leavers])
    head = check_one_head(parsed)
    order = compute_member_order(order_member(m, parsed[m.atena_number]) for m in leavers)
    columns = {
        m.atena_number: {
            "is_head": m.atena_number == head,
            "relationship": parsed[m.atena_number].text,
            "member_order": order.index(m.atena_number) + 1,
            "de_facto_head": "",  # a new household: none until recorded
        }
        for m in leavers
    }
    alerts = alerts + head_left_alert(members, list(change.members))
    return _Plan(household=None, columns=columns, members=leavers, alerts=alerts)


def _target(change: HouseholdChange, members: list[CurrentMember]) -> tuple[Household, list[CurrentMember]]:
    """The household joined (世帯合併, 世帯変更): another existing household that has a 世帯主."""
    if not change.target_household_number:
        raise refusal(
            "target_household_number",
            "移る先（合併先）の世帯番号が入力されていません。",
            "移る先の世帯の世帯番号を入力してください。",
            "registry.target_household_required",
        )
    target, target_members = existing_household(
        change.target_household_number, field="target_household_number"
    )
    if target.pk == members[0].current.household_id:
        raise refusal(
            "target_household_number",
            "元の世帯と移る先の世帯が同じです。",
            "別の世帯の世帯番号を入力してください。",
            "registry.merge_into_itself",
        )
    if not any(m.current.is_head for m in target_members):
        raise refusal(
            "target_household_number",
            "移る先の世帯に世帯主がいません。",
            "先に移る先の世帯の世帯主変更を処理してください。",
            "registry.target_without_head",
        )
    return target, target_members


def _merge(change: HouseholdChange, members: list[CurrentMember], alerts: list[Alert]) -> _Plan:
    target, target_members = _target(change, members)
    columns = join_columns(target, target_members, members, change.relationships)
    return _Plan(household=target, columns=columns, members=members, alerts=alerts)


def _address(member: CurrentMember) -> tuple[str, str]:
    return member.current.address, member.current.katagaki


def _transfer(change: HouseholdChange, members: list[CurrentMember], alerts: list[Alert]) -> _Plan:
    movers = _movers(change, members)
    target, target_members = _target(change, members)
    # The address never changes in a 世帯変更 (standard 4.1.4.1-b): another address is a 転居 first.
    if _address(target_members[0]) != _address(movers[0]):
        raise refusal(
            "target_household_number",
            "移る先の世帯の住所が、移る方の住所と異なります。",
            "住所が異なる世帯へ移る場合は、転居届で処理してください。",
            "registry.target_at_other_address",
        )
    columns = join_columns(target, target_members, movers, change.relationships)
    alerts = alerts + head_left_alert(members, list(change.members))
    return _Plan(household=target, columns=columns, members=movers, alerts=alerts)


def _de_facto_head(change: HouseholdChange, members: list[CurrentMember], alerts: list[Alert]) -> _Plan:
    if change.relationships:
        raise refusal(
            "relationships",
            "事実上の世帯主の記録では続柄を入力しません。",
            "続柄を空欄にしてください。続柄の変更は世帯主変更または職権修正で処理してください。",
            "registry.relationships_not_for_de_facto_head",
        )
    name = change.de_facto_head.strip()
    if len(name) > DE_FACTO_HEAD_MAX_LENGTH:
        raise refusal(
            "de_facto_head",
            f"事実上の世帯主の氏名が{DE_FACTO_HEAD_MAX_LENGTH}文字を超えています。",
            "備考に記載する氏名を短く入力してください。",
            "registry.item_too_long",
        )
    columns = {m.atena_number: {"de_facto_head": name} for m in members}
    changed = [m for m in members if _changed(m, columns[m.atena_number])]
    if not changed:
        raise refusal(
            "de_facto_head",
            "事実上の世帯主は現在の記載と同じです。"
            if name
            else "この世帯には事実上の世帯主が記録されていません。",
            "記録する氏名を入力してください。記録を消す場合だけ空欄にします。",
            "registry.de_facto_head_unchanged",
        )
    return _Plan(household=members[0].current.household, columns=columns, members=changed, alerts=alerts)


_PLANNERS = {
    HouseholdChangeKind.HEAD_CHANGE: _head_change,
    HouseholdChangeKind.SPLIT: _split,
    HouseholdChangeKind.MERGE: _merge,
    HouseholdChangeKind.TRANSFER: _transfer,
    HouseholdChangeKind.DE_FACTO_HEAD: _de_facto_head,
}


def _check_ex_officio(change: HouseholdChange, members: Sequence[CurrentMember]) -> None:
    """A 職権 世帯主変更 only sets the head of a household that has none (standard 4.0.5-a)."""
    if change.kind is not HouseholdChangeKind.HEAD_CHANGE:
        raise refusal(
            "ex_officio",
            "職権で入力できるのは世帯主変更だけです。",
            "世帯変更の種類を世帯主変更にするか、「職権で世帯主を定める」を外してください。",
            "registry.ex_officio_head_change_only",
        )
    if any(m.current.is_head for m in members):
        raise refusal(
            "ex_officio",
            "この世帯には世帯主がいます。職権で世帯主を定めるのは、世帯主がいない世帯だけです。",
            "世帯主変更の届出として入力するか、職権修正で処理してください。",
            "registry.ex_officio_household_has_head",
        )


def _check(change: HouseholdChange) -> _Plan:
    _, members = existing_household(change.household_number, field="household_number")
    if change.ex_officio_basis is not None:
        ex_officio_events.check_basis(
            change.ex_officio_basis,
            event_date=change.change_date,
            notification_date=change.notification_date,
            field="change_date",
        )
        alerts: list[Alert] = []
    elif change.ex_officio:
        _check_ex_officio(change, members)
        # No 届出: only the 異動日 is checked (not in the future); it has no 14-day limit.
        check_dates(event_date=change.change_date, notification_date=change.change_date, event="世帯変更")
        alerts = []
    elif change.notification_date is None:
        raise refusal(
            "notification_date",
            "届出日が入力されていません。",
            "届出日を入力してください（届出がなく職権で世帯主を定める場合は「職権で世帯主を定める」を選びます）。",
            "registry.notification_date_required",
        )
    else:
        alerts = check_dates(
            event_date=change.change_date, notification_date=change.notification_date, event="世帯変更"
        )
    if change.kind not in _WITH_MEMBERS and change.members:
        raise refusal(
            "members",
            "世帯分離・世帯変更以外では異動する方を個別に指定しません。",
            "世帯の全員について続柄を入力してください。",
            "registry.members_only_for_split",
        )
    if change.kind not in _WITH_TARGET and change.target_household_number:
        raise refusal(
            "target_household_number",
            "移る先の世帯番号は世帯合併・世帯変更でのみ入力します。",
            "移る先の世帯番号を空欄にしてください。",
            "registry.target_only_for_merge",
        )
    if change.kind is not HouseholdChangeKind.DE_FACTO_HEAD and change.de_facto_head.strip():
        raise refusal(
            "de_facto_head",
            "事実上の世帯主の氏名は、種類が「事実上の世帯主」のときだけ入力します。",
            "氏名を空欄にするか、種類を「事実上の世帯主」にしてください。",
            "registry.de_facto_head_only_for_its_kind",
        )
    return _PLANNERS[change.kind](change, members, alerts)


def _record_ex_officio(row: Change, household_number: str) -> None:
    """The 職権記録書 of a 世帯主変更 by 職権; its 職権記載等通知書 is the 世帯主変更通知書 (4.0.5-a)."""
    ExOfficioRecord.objects.create(
        change=row,
        action=head_by_ex_officio.ACTION,
        legal_basis=head_by_ex_officio.LEGAL_BASIS,
        found_on=timezone.localdate(),
        grounds="世帯主が世帯を離れ、世帯主変更の届出がないため",
        findings=f"世帯主のいない世帯（世帯番号 {household_number}）について確認",
        notice_required=True,
        changed_items=["relationship"],
    )


def _notification_columns(change: HouseholdChange) -> dict[str, Any]:
    if change.ex_officio and change.ex_officio_basis is None:  # the headless household's 世帯主 (4.0.5-a)
        return {"notification_date": None, "notification_kind": ex_officio_events.EX_OFFICIO}
    return ex_officio_events.change_columns(change.ex_officio_basis, change.notification_date)


def record_household_change(*, actor: Any, purpose: str, change: HouseholdChange) -> DraftRecorded:
    """Enter a 世帯変更 as a draft (standard 4.1.4); another clerk commits it with commit_change."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_HOUSEHOLD_CHANGE_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    plan = _check(change)
    prove_relationships(plan.members, plan.columns, change.relationship_proofs)
    note = preset_notes.checked_note(change.attention_note)
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_HOUSEHOLD_CHANGE_RECORD,
        atena_numbers=[m.atena_number for m in plan.members],
        household_numbers=[change.household_number, plan.household.number if plan.household else ""],
    )
    with transaction.atomic():
        row = Change.objects.create(
            reason=ChangeReason.HOUSEHOLD_CHANGE,
            change_date=change.change_date,
            **_notification_columns(change),
            made_by=actor,
            made_at=timezone.now(),
            attention_note=note,
        )
        if change.ex_officio_basis is not None:
            columns = {m.current.pk: plan.columns[m.atena_number] for m in plan.members}
            currents = [m.current for m in plan.members]
            items = ex_officio_events.changed_items(currents, columns, ["relationship"])
            ex_officio_events.write_record(
                row, change.ex_officio_basis, action=change.kind.value, changed_items=items
            )
        elif change.ex_officio:
            _record_ex_officio(row, change.household_number)
        household = plan.household or Household.objects.create(
            number=numbering.issue_number(numbering.HOUSEHOLD)
        )
        for member in plan.members:
            draft_from_current(
                member.resident,
                member.current,
                row,
                **{"household": household, **plan.columns[member.atena_number]},
            )
        follow: tuple[Alert, ...] = ()
        if change.kind in _WITH_MEMBERS:  # the kinds that leave members behind
            source = plan.members[0].current.household
            leavers = [m.atena_number for m in plan.members]
            follow = follow_up(actor=actor, purpose=purpose, primary=row, household=source, leavers=leavers)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_HOUSEHOLD_CHANGE_RECORD,
            subject_type="change",
            subject_id=str(row.pk),
            purpose=purpose,
            reason=f"{change.kind.value}; 職権" if change.by_ex_officio else change.kind.value,
        )
    return DraftRecorded(
        change_id=row.pk,
        atena_numbers=tuple(m.atena_number for m in plan.members),
        household_number=household.number,
        alerts=tuple(with_follow_up(plan.alerts + entry_alerts, follow)),
    )
