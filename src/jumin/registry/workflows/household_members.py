"""Shared reads and checks of the 転居 and 世帯変更 workflows (current members, dates, 続柄).

Reads only committed, current snapshots; drafts of other changes are never seen (standard 4.0.8-b).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from jumin.domain.errors import Alert, DomainError, refusal
from jumin.domain.member_order import Member, append_new_members, first_remaining_member
from jumin.domain.relationship_proof import RelationshipProof, check_relationship_proof
from jumin.domain.relationships import Relationship, RelationshipKind, parse_relationship
from jumin.domain.resident import ResidentKind, ResidentStatus
from jumin.registry.models import Household, Resident, ResidentSnapshot
from jumin.registry.snapshots import current_of

LATE_NOTIFICATION_DAYS = 14


@dataclass(frozen=True)
class CurrentMember:
    """A current resident with the committed snapshot a draft will be based on."""

    resident: Resident
    current: ResidentSnapshot

    @property
    def atena_number(self) -> str:
        return self.resident.atena_number


def current_resident(atena_number: str, *, field: str) -> CurrentMember:
    """A person whose current record is a resident (not removed, not planned to move out)."""
    try:
        resident, current = current_of(atena_number)
    except DomainError as missing:
        raise refusal(field, missing.reason, missing.remedy, missing.code) from None
    if current.status != ResidentStatus.RESIDENT:
        raise refusal(
            field,
            "住民として記録されていない方が含まれています。",
            "現に住民である方だけを指定してください。",
            "registry.not_a_resident",
        )
    return CurrentMember(resident=resident, current=current)


def current_rows(household: Household, *, statuses: Sequence[str]) -> list[ResidentSnapshot]:
    """The current committed rows of a household's members with these statuses, in the stored order."""
    return list(
        ResidentSnapshot.objects.filter(household=household, current_of__isnull=False, status__in=statuses)
        .select_related("resident", "household")
        .order_by("member_order", "resident__atena_number")
    )


def household_members(household: Household) -> list[CurrentMember]:
    """The current resident members of a household in their stored order (standard 5.2-a)."""
    rows = current_rows(household, statuses=[ResidentStatus.RESIDENT])
    return [CurrentMember(resident=s.resident, current=s) for s in rows]


def join_columns(
    household: Household,
    existing: Sequence[CurrentMember],
    joiners: Sequence[CurrentMember],
    relationships: Any,
) -> dict[str, dict[str, Any]]:
    """Household columns for people joining an existing household: 続柄 to its head, appended (ORD-2),
    and its 事実上の世帯主 (household data, the same on every member's row)."""
    atena = [m.atena_number for m in joiners]
    parsed = parse_relationships(relationships, allowed=atena)
    check_no_head(parsed)
    order = append_new_members([m.atena_number for m in existing], atena)
    last = max(m.current.member_order for m in existing)
    return {
        m.atena_number: {
            "household": household,
            "is_head": False,
            "relationship": parsed[m.atena_number].text,
            "member_order": last + order.index(m.atena_number) - len(existing) + 1,
            "de_facto_head": existing[0].current.de_facto_head,
        }
        for m in joiners
    }


def existing_household(number: str, *, field: str) -> tuple[Household, list[CurrentMember]]:
    """A household with at least one current resident, and its members in order."""
    household = Household.objects.filter(number=number).first()
    members = household_members(household) if household is not None else []
    if household is None or not members:
        raise refusal(
            field,
            "指定された世帯がありません。",
            "世帯番号を確認してください。",
            "registry.household_not_found",
        )
    return household, members


def check_no_duplicates(atena_numbers: Sequence[str], *, field: str) -> None:
    """The same person may not be named twice (one person, one role)."""
    if len(set(atena_numbers)) != len(atena_numbers):
        raise refusal(
            field,
            "同じ方が2回以上指定されています。",
            "1人につき1回だけ指定してください。",
            "registry.person_listed_twice",
        )


def parse_relationships(
    relationships: Mapping[str, str], *, allowed: Sequence[str], field: str = "relationships"
) -> dict[str, Relationship]:
    """Parse 続柄 texts (algorithms.md D.1) for exactly the persons in ``allowed``."""
    unknown = set(relationships) - set(allowed)
    if unknown:
        raise refusal(
            field,
            "続柄の指定に対象外の方が含まれています。",
            "異動する方の続柄だけを入力してください。",
            "registry.relationship_for_other_person",
        )
    missing = [atena for atena in allowed if atena not in relationships]
    if missing:
        raise refusal(
            field,
            "続柄が入力されていない方がいます。",
            "異動する全員の続柄を入力してください。",
            "registry.relationship_required",
        )
    return {
        atena: parse_relationship(relationships[atena], field=f"{field}[{index}]")
        for index, atena in enumerate(allowed)
    }


def check_one_head(parsed: Mapping[str, Relationship], *, field: str = "relationships") -> str:
    """A new (or re-headed) household has exactly one 世帯主; returns that person's 宛名番号."""
    heads = [atena for atena, rel in parsed.items() if rel.kind is RelationshipKind.HEAD]
    if len(heads) != 1:
        raise refusal(
            field,
            "新しい世帯には世帯主が1人必要です。",
            "続柄が「世帯主」の方を1人だけ指定してください。",
            "registry.one_head_required",
        )
    return heads[0]


def check_no_head(parsed: Mapping[str, Relationship], *, field: str = "relationships") -> None:
    """Persons joining an existing household cannot become its head (世帯主変更 is separate)."""
    if any(rel.kind is RelationshipKind.HEAD for rel in parsed.values()):
        raise refusal(
            field,
            "既存の世帯に世帯主として加わることはできません。",
            "世帯主の変更は世帯変更届（世帯主変更）で処理してください。",
            "registry.head_joins_household",
        )


def check_dates(*, event_date: date, notification_date: date, event: str) -> list[Alert]:
    """異動日 and 届出日 (standard 4.0.3-a, 4.1.0.2-a): not in the future, 届出 not before the 異動;
    more than 14 days between them is an alert (住民基本台帳法 第22-25条)."""
    today = timezone.localdate()
    if event_date > today:
        raise refusal(
            "move_date" if event == "転居" else "change_date",
            f"{event}の異動日が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.future_event_date",
        )
    if notification_date > today:
        raise refusal(
            "notification_date",
            "届出日が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.future_notification_date",
        )
    if notification_date < event_date:
        raise refusal(
            "notification_date",
            f"届出日が{event}の異動日より前です。",
            "異動日以後の日付を届出日に入力してください。",
            "registry.notified_before_move",
        )
    if (notification_date - event_date).days > LATE_NOTIFICATION_DAYS:
        return [
            Alert(
                field="notification_date",
                message=f"{event}の異動日から14日を超えた届出です。",
                code="registry.late_notification",
            )
        ]
    return []


HEAD_BY_EX_OFFICIO = "registry.head_by_ex_officio"
"""The 世帯主 left and one member remains: that member becomes 世帯主 by 職権, with a notice (4.0.4-a).
workflows.head_by_ex_officio enters that change with the draft and replaces this alert's text."""
HEAD_CHANGE_REQUEST = "registry.head_change_request"
"""The 世帯主 left and two or more remain: a 世帯主変更 is needed, else a 依頼通知 (4.0.4-b, 4.0.5-a)."""


def headless_household_alert(
    order_before: Sequence[str], remaining: Collection[str], *, field: str = "atena_numbers"
) -> Alert | None:
    """The one alert, by situation, for a household left without its 世帯主 (standard 4.0.4, 4.0.5-a).

    Every workflow that can leave a household without a head uses it (転出, 死亡, 失踪, 職権消除,
    転居, 世帯変更, 異動の取消し), so each situation has one code. The notices go to the first
    remaining member in the order as it stood before the head left."""
    first = first_remaining_member(order_before, remaining)
    if first is None:
        return None
    if len(remaining) == 1:
        message = (
            "世帯主が世帯を離れ、世帯員が1人残ります。世帯主変更が必要です。"
            f"残る方（宛名番号 {first}）を職権で世帯主とし、世帯主変更通知書を送付してください。"
        )
        return Alert(field=field, message=message, code=HEAD_BY_EX_OFFICIO)
    message = (
        f"世帯主が世帯を離れ、世帯員が{len(remaining)}人残ります。世帯主変更が必要です。"
        "届出がなければ、世帯主を職権で定める（世帯変更の入力で「職権で世帯主を定める」を選ぶ）か、"
        f"残る世帯員の先頭（宛名番号 {first}）の方に世帯主変更依頼通知書を送付してください"
        "（世帯主変更依頼 対象者一覧に載ります）。"
    )
    return Alert(field=field, message=message, code=HEAD_CHANGE_REQUEST)


def head_left_alert(remaining: Sequence[CurrentMember], leavers: Sequence[str]) -> list[Alert]:
    """The head leaves a household that keeps members: it stays without a head (standard 1.1.10-a)
    until a 世帯主変更 is entered (standard 4.0.4); the clerk is told so (headless_household_alert)."""
    left = set(leavers)
    if not any(m.current.is_head for m in remaining if m.atena_number in left):
        return []
    order = [m.atena_number for m in remaining]
    alert = headless_household_alert(order, [n for n in order if n not in left], field="relationships")
    return [alert] if alert else []


def order_member(member: CurrentMember, relationship: Relationship) -> Member:
    """The member as member ordering (algorithms.md D.2) sees them, with a new 続柄."""
    return Member(
        atena_number=member.atena_number,
        relationship=relationship,
        approx_birth_date=member.current.birth_sort_date,
    )


def prove_relationships(
    members: Sequence[CurrentMember],
    columns: Mapping[str, dict[str, Any]],
    proofs: Mapping[str, RelationshipProof],
    *,
    field: str = "relationship_proofs",
) -> None:
    """Add the 続柄を証する書類 (standard 1.1.11-c) to the columns of each member whose 続柄 is set anew.

    A foreign member whose new 続柄 states a kinship needs the document seen (``proofs`` by 宛名番号),
    else a DomainError naming ``field[i]`` (remedy: the document, or 縁故者); a 続柄 without kinship, or a
    Japanese member's, keeps none. An unchanged 続柄 keeps the document recorded before.
    """
    for index, member in enumerate(members):
        planned = columns.get(member.atena_number)
        if planned is None or planned.get("relationship", member.current.relationship) == (
            member.current.relationship
        ):
            continue
        proof = check_relationship_proof(
            foreign=member.current.kind == ResidentKind.FOREIGN,
            relationship=parse_relationship(planned["relationship"]),
            proof=proofs.get(member.atena_number),
            field=f"{field}[{index}]",
        )
        planned["relationship_proof"] = proof.as_json() if proof else None
