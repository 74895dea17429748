"""本籍・筆頭者 candidates on every entry screen that takes a 本籍 (standard 4.0.6-a, 4.2.0.3-a, 1.3.3-a).

A newborn's 本籍 is usually a parent's, a 死亡届 or 失踪 notice names the 本籍 the household already
holds, and a 本籍 is often the address: the entry screens and the API offer, in this order, the
世帯主's 本籍, the other members' 本籍, the current address, the previous address and the old 町字
names (``AddressArea`` no longer current) of the municipality typed or lived in (``honseki_candidates``).
For a returning person (再転入) candidates naming a municipality that no longer exists after a merger
are left out: their 戸籍 was rewritten with the new name.

本籍 and 筆頭者 are hidden without ``FIELD_HONSEKI_VIEW`` (C-10): such a clerk gets no candidates, and
nothing is read. Reading the household is audited as one list entry naming each member whose 本籍 or
address was read; addresses typed on the screen are no read. Members under a suppression or a 支援措置
are left out (the clerk takes the 本籍 from the filing). ``honseki_update`` checks a 本籍 entered on a
死亡 or 失踪 for its 除票. docs/workflows/birth.md, death.md, disappearance.md, docs/input-help.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.domain.errors import refusal
from jumin.domain.resident import ResidentKind
from jumin.masters.selectors import former_area_names, merged_municipality_addresses
from jumin.registry.models import Household, ResidentSnapshot
from jumin.registry.restrictions import marks_of_people
from jumin.registry.snapshots import current_of
from jumin.registry.workflows.honseki_notice import HITTOUSHA_MAX_LENGTH, HONSEKI_MAX_LENGTH, check_text
from jumin.registry.workflows.household import current_members

_UNKNOWN = ("", "不明", "なし")

HEAD = "世帯主の本籍"
MEMBER = "世帯員の本籍"
CURRENT_ADDRESS = "現住所"
PREVIOUS_ADDRESS = "前住所"
FORMER_NAME = "旧町字名"


@dataclass(frozen=True)
class HonsekiCandidate:
    """One distinct 本籍・筆頭者 to pick, where it comes from (``source``: 世帯主の本籍, 世帯員の本籍,
    現住所, 前住所 or 旧町字名) and, for a member's, the 続柄 of the members who hold it (続柄 is never
    hidden, C-10; names are not repeated here). Address candidates have no 筆頭者."""

    honseki: str
    hittousha: str
    relationships: tuple[str, ...]
    source: str = MEMBER


@dataclass(frozen=True)
class HonsekiCandidates:
    """The pick list: ``visible`` is False for a clerk without the 本籍 grant (then always empty)."""

    visible: bool
    candidates: tuple[HonsekiCandidate, ...]


def _household(household_number: str, atena_number: str) -> tuple[Household | None, ResidentSnapshot | None]:
    """The household asked for, or the person (who is then not a candidate) and their household;
    neither when both are blank (a 転入 to a new household: only the typed addresses are offered)."""
    if atena_number.strip():
        _, row = current_of(atena_number.strip())
        return row.household, row
    if not household_number.strip():
        return None, None
    household = Household.objects.filter(number=household_number.strip()).first()
    if household is None or not household_number.strip():
        raise refusal(
            "household_number",
            "指定された世帯がありません。",
            "世帯番号（出生）または宛名番号（死亡・失踪）を確認してください。",
            "registry.household_not_found",
        )
    return household, None


def _offered(members: list[ResidentSnapshot], leaving: str) -> list[ResidentSnapshot]:
    """Japanese members with a known 本籍, not the person themself, none suppressed or protected."""
    marks = marks_of_people({m.resident.atena_number: (m.resident_id, m.household_id) for m in members})
    return [
        m
        for m in members
        if m.kind == ResidentKind.JAPANESE
        and m.honseki.strip() not in _UNKNOWN
        and m.resident.atena_number != leaving
        and not (marks[m.resident.atena_number].suppressed or marks[m.resident.atena_number].support_measure)
    ]


def _may_read_honseki(actor: Any, purpose: str) -> bool:
    """Authorise the entry-screen read (a refusal raises); whether the 本籍 may be shown (C-10)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_RECORD_LIST,
        purpose=purpose,
        subject_type="household",
    )
    return Permission.FIELD_HONSEKI_VIEW in visible_fields(actor)


@dataclass(frozen=True)
class CandidateQuery:
    """What the screen knows: the household (出生, 転入 to an existing household) or the person (死亡,
    失踪, 本籍の通知, 職権修正), the addresses and the 本籍 typed so far, and whether the person returns."""

    household_number: str = ""
    atena_number: str = ""
    address: str = ""  # the current address, or the 転入先 typed on a 転入
    previous_address: str = ""  # the 転入前住所 typed on a 転入
    typed_honseki: str = ""  # the 本籍 typed so far: old 町字 names of its municipality
    returning: bool = False  # 再転入: no candidate of a merged municipality


def honseki_candidates(
    *,
    actor: Any,
    purpose: str,
    household_number: str = "",
    atena_number: str = "",
    query: CandidateQuery | None = None,
) -> HonsekiCandidates:
    """The distinct 本籍・筆頭者 candidates, head's first, then members', addresses and old names.

    ``household_number`` for a 出生 (the household the child joins), ``atena_number`` for a 死亡 or
    失踪 (that person's household; their own 本籍 is already on their record); ``query`` for the other
    screens (it takes precedence over the two).
    """
    query = query or CandidateQuery(household_number=household_number, atena_number=atena_number)
    if not _may_read_honseki(actor, purpose):
        return HonsekiCandidates(visible=False, candidates=())
    with transaction.atomic():
        household, person = _household(query.household_number, query.atena_number)
        leaving = person.resident.atena_number if person is not None else ""
        offered = _offered(current_members(household), leaving) if household is not None else []
        grouped: dict[tuple[str, str], list[str]] = {}
        heads: set[tuple[str, str]] = set()
        for member in sorted(offered, key=lambda m: not m.is_head):  # the 世帯主's first
            grouped.setdefault((member.honseki, member.hittousha), []).append(member.relationship)
            if member.is_head:
                heads.add((member.honseki, member.hittousha))
        candidates = [
            HonsekiCandidate(
                honseki, hittousha, tuple(held_by), HEAD if (honseki, hittousha) in heads else MEMBER
            )
            for (honseki, hittousha), held_by in grouped.items()
        ]
        read = [member.resident.atena_number for member in offered]
        current_address, previous_address = query.address.strip(), query.previous_address.strip()
        if not current_address and household is not None:
            current_address, read = _household_address(person, offered, read)
        if not previous_address and person is not None:
            previous_address = person.previous_address.strip()
        candidates += _address_candidates(current_address, previous_address, query.typed_honseki)
        if read:
            record_results(
                actor,
                "resident",
                read,
                purpose,
                "atena_number" if query.atena_number.strip() else "household_number",
                action=AuditAction.RESIDENT_RECORD_LIST,
                reason="本籍候補（本籍の入力）",
            )
    return HonsekiCandidates(visible=True, candidates=tuple(_without_merged(_distinct(candidates), query)))


def _household_address(
    person: ResidentSnapshot | None, offered: list[ResidentSnapshot], read: list[str]
) -> tuple[str, list[str]]:
    """The household's current address (the person's own, or an offered member's): its holder is listed
    among the people read. A household of only suppressed or protected members gives none."""
    holder = person or next(iter(offered), None)
    if holder is None:
        return "", read
    number = holder.resident.atena_number
    return holder.address.strip(), read if number in read else [*read, number]


def _address_candidates(current: str, previous: str, typed: str) -> list[HonsekiCandidate]:
    """The addresses as 本籍 (no 筆頭者), then the old 町字 names of the municipalities named."""
    found = [HonsekiCandidate(current, "", (), CURRENT_ADDRESS)] if current else []
    if previous:
        found.append(HonsekiCandidate(previous, "", (), PREVIOUS_ADDRESS))
    for named in dict.fromkeys(text for text in (typed.strip(), current) if text):
        found += [HonsekiCandidate(name, "", (), FORMER_NAME) for name in former_area_names(named)]
    return found


def _distinct(candidates: list[HonsekiCandidate]) -> list[HonsekiCandidate]:
    """Each 本籍・筆頭者 once, where it first came; an address already offered as a 本籍 is not repeated."""
    seen: dict[tuple[str, str], HonsekiCandidate] = {}
    texts: set[str] = set()
    for candidate in candidates:
        if candidate.hittousha or candidate.honseki not in texts:
            seen.setdefault((candidate.honseki, candidate.hittousha), candidate)
            texts.add(candidate.honseki)
    return list(seen.values())


def _without_merged(candidates: list[HonsekiCandidate], query: CandidateQuery) -> list[HonsekiCandidate]:
    """For a returning person, the candidates of merged municipalities are left out (standard 4.0.6-a)."""
    if not query.returning:
        return candidates
    merged = merged_municipality_addresses(c.honseki for c in candidates)
    return [c for c in candidates if c.honseki not in merged]


def members_sharing_honseki(*, actor: Any, purpose: str, atena_number: str) -> tuple[str, ...]:
    """The person and the current members of their household holding the identical 本籍, in member order,
    for one 本籍 correction of them all (standard 4.0.6-a; ``ex_officio.shares_one_honseki``).

    Only with the 本籍 grant (the answer tells who shares a 本籍, C-10): otherwise a DomainError. Members
    under a suppression or a 支援措置 are left out (corrected on their own); the read is audited as a list.
    """
    if not _may_read_honseki(actor, purpose):
        raise refusal(
            "atena_numbers",
            "本籍を表示する権限がないため、同じ本籍の世帯員を探せません。",
            "修正する方の宛名番号を1行に1人ずつ入力してください。",
            "registry.honseki_not_visible",
        )
    with transaction.atomic():
        _, person = current_of(atena_number.strip())
        sharing = [
            member
            for member in _offered(current_members(person.household), "")
            if member.honseki == person.honseki or member.resident_id == person.resident_id
        ]
        numbers = tuple(member.resident.atena_number for member in sharing)
        record_results(
            actor,
            "resident",
            numbers,
            purpose,
            "atena_number",
            action=AuditAction.RESIDENT_RECORD_LIST,
            reason="同じ本籍の世帯員（本籍の一括修正）",
        )
    return numbers


def honseki_update(honseki: str, hittousha: str, current: ResidentSnapshot) -> dict[str, Any]:
    """The 本籍・筆頭者 a 死亡 or 失踪 records on the 除票: none when both are blank (the record's own
    stay); otherwise both required and checked, and only for a Japanese resident."""
    if not honseki.strip() and not hittousha.strip():
        return {}
    if current.kind != ResidentKind.JAPANESE:
        raise refusal(
            "honseki",
            "外国人住民には本籍・筆頭者を記載できません。",
            "本籍・筆頭者を空欄にしてください。",
            "registry.honseki_japanese_only",
        )
    return {
        "honseki": check_text("honseki", "本籍", honseki, HONSEKI_MAX_LENGTH),
        "hittousha": check_text("hittousha", "筆頭者", hittousha, HITTOUSHA_MAX_LENGTH),
    }
