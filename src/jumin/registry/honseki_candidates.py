"""本籍・筆頭者 candidates on 出生, 死亡 and 失踪 entry (standard 4.2.0.3-a, 4.0.6-a).

A newborn's 本籍 is usually a parent's, and a 死亡届 or 失踪 notice names the 本籍 the household
already holds: the entry screens and the API offer the household members' 本籍・筆頭者 to pick from
(``honseki_candidates``). 本籍 and 筆頭者 are hidden without ``FIELD_HONSEKI_VIEW`` (C-10): such a
clerk gets no candidates, and nothing is read. Reading them is audited as one list entry naming each
member whose 本籍 was read. Members under a suppression or a 支援措置 are left out (the clerk takes
the 本籍 from the filing). ``honseki_update`` checks a 本籍 entered on a 死亡 or 失踪 for its 除票.
docs/workflows/birth.md, death.md, disappearance.md.
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
from jumin.registry.models import Household, ResidentSnapshot
from jumin.registry.restrictions import marks_of_people
from jumin.registry.snapshots import current_of
from jumin.registry.workflows.honseki_notice import HITTOUSHA_MAX_LENGTH, HONSEKI_MAX_LENGTH, check_text
from jumin.registry.workflows.household import current_members

_UNKNOWN = ("", "不明")


@dataclass(frozen=True)
class HonsekiCandidate:
    """One distinct 本籍・筆頭者 of the household, with the 続柄 of the members who hold it (続柄 is
    never hidden, C-10; names are not repeated here)."""

    honseki: str
    hittousha: str
    relationships: tuple[str, ...]


@dataclass(frozen=True)
class HonsekiCandidates:
    """The pick list: ``visible`` is False for a clerk without the 本籍 grant (then always empty)."""

    visible: bool
    candidates: tuple[HonsekiCandidate, ...]


def _household(household_number: str, atena_number: str) -> tuple[Household, str]:
    """The household asked for, or the household of the person (who is then not a candidate)."""
    if atena_number.strip():
        _, row = current_of(atena_number.strip())
        return row.household, atena_number.strip()
    household = Household.objects.filter(number=household_number.strip()).first()
    if household is None or not household_number.strip():
        raise refusal(
            "household_number",
            "指定された世帯がありません。",
            "世帯番号（出生）または宛名番号（死亡・失踪）を確認してください。",
            "registry.household_not_found",
        )
    return household, ""


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


def honseki_candidates(
    *, actor: Any, purpose: str, household_number: str = "", atena_number: str = ""
) -> HonsekiCandidates:
    """The distinct 本籍・筆頭者 of a household's current members, in member order.

    ``household_number`` for a 出生 (the household the child joins), ``atena_number`` for a 死亡 or
    失踪 (that person's household; their own 本籍 is already on their record).
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_RECORD_LIST,
        purpose=purpose,
        subject_type="household",
    )
    if Permission.FIELD_HONSEKI_VIEW not in visible_fields(actor):
        return HonsekiCandidates(visible=False, candidates=())
    with transaction.atomic():
        household, leaving = _household(household_number, atena_number)
        offered = _offered(current_members(household), leaving)
        grouped: dict[tuple[str, str], list[str]] = {}
        for member in offered:
            grouped.setdefault((member.honseki, member.hittousha), []).append(member.relationship)
        record_results(
            actor,
            "resident",
            [member.resident.atena_number for member in offered],
            purpose,
            "atena_number" if leaving else "household_number",
            action=AuditAction.RESIDENT_RECORD_LIST,
            reason="本籍候補（出生・死亡・失踪の入力）",
        )
    return HonsekiCandidates(
        visible=True,
        candidates=tuple(
            HonsekiCandidate(honseki=honseki, hittousha=hittousha, relationships=tuple(held_by))
            for (honseki, hittousha), held_by in grouped.items()
        ),
    )


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
