"""抑止対象者一覧 (standard 9.2-a): every person a 抑止 holds today, one row per person and 抑止.

A household 抑止 is listed once for each of the household's current members (the commit that moves a
person keeps its hold on them exactly so, docs/workflows/suppression.md). A 抑止 set by a 支援措置
is listed only to a user who may view 支援措置 (``SUPPORT_MEASURE_VIEW``); for anyone else the list
says how many such rows it leaves out, never whose. The free-text reason and who set the 抑止 are not
in the list: the person's 抑止・支援措置 screen shows them to those who manage them.

Needs ``SUPPRESSION_MANAGE``; one audit entry names every person listed ("appeared in the results").
Not built: splitting the list by 行政区 (9.2-b, designated cities only).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q

from jumin.accounts import clock
from jumin.accounts.authorization import authorize, has_permission
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.domain.errors import refusal
from jumin.domain.resident import ResidentStatus
from jumin.registry.models import Resident
from jumin.registry.models_restrictions import (
    RestrictedProcessChoice,
    RestrictionLevelChoice,
    Suppression,
    SuppressionReason,
    SuppressionScope,
)

QUERY_SUMMARY = "suppression_in_force"


@dataclass(frozen=True)
class SuppressedPerson:
    """One person held by one 抑止 in force."""

    atena_number: str
    name: str
    household_number: str
    removed: bool  # 除票: a 抑止 on a removed person still holds its 除票の写し
    suppression_id: int
    scope: str  # 個人 / 世帯
    process: str  # 異動入力 / 証明書発行 / 照会
    level: str  # エラー / アラート
    reason: str  # 支援措置 / 排他（編集中） / その他 (the category, not the free text)
    start_date: date
    end_date: date | None  # informative only: it never lifts the 抑止 (3.1-c)


@dataclass(frozen=True)
class SuppressedPersons:
    """The list as of ``on``, the process asked for ("" = all), and how many rows the user may not see."""

    on: date
    process: str
    rows: tuple[SuppressedPerson, ...]
    support_rows_hidden: int

    @property
    def person_count(self) -> int:
        """How many different people the list holds (a person under two 抑止 has two rows)."""
        return len({row.atena_number for row in self.rows})


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label)


def _row(resident: Resident, suppression: Suppression) -> SuppressedPerson:
    current = resident.current
    assert current is not None
    return SuppressedPerson(
        atena_number=resident.atena_number,
        name=f"{current.surname} {current.given_name}".strip(),
        household_number=current.household.number,
        removed=current.status == ResidentStatus.REMOVED,
        suppression_id=suppression.pk,
        scope=_label(SuppressionScope, suppression.scope),
        process=_label(RestrictedProcessChoice, suppression.process),
        level=_label(RestrictionLevelChoice, suppression.level),
        reason=_label(SuppressionReason, suppression.reason),
        start_date=suppression.start_date,
        end_date=suppression.end_date,
    )


def suppressed_persons(*, actor: Any, purpose: str, process: str = "") -> SuppressedPersons:
    """The 抑止対象者一覧 as of today, optionally for one process (``change_entry``, ``certificate``,
    ``inquiry``); sorted by 宛名番号 then 抑止. Authorised and audited as the module says."""
    authorize(
        actor=actor,
        permission=Permission.SUPPRESSION_MANAGE,
        action=AuditAction.RESIDENT_SUPPRESSION_LIST,
        purpose=purpose,
        subject_type="resident",
    )
    if process and process not in RestrictedProcessChoice.values:
        raise refusal(
            "process",
            "抑止業務の指定が正しくありません。",
            "異動入力・証明書発行・照会のいずれかを選ぶか、空欄（すべて）にしてください。",
            "registry.suppression_list_process",
        )
    today = clock.today()
    in_force = Suppression.objects.filter(lifted_at__isnull=True, start_date__lte=today)
    if process:
        in_force = in_force.filter(process=process)
    may_see_support = has_permission(actor, Permission.SUPPORT_MEASURE_VIEW)
    with transaction.atomic():
        hidden = 0
        if not may_see_support:
            hidden = in_force.filter(reason=SuppressionReason.SUPPORT_MEASURE).count()
            in_force = in_force.exclude(reason=SuppressionReason.SUPPORT_MEASURE)
        on_person: dict[int, list[Suppression]] = defaultdict(list)
        on_household: dict[int, list[Suppression]] = defaultdict(list)
        for suppression in in_force.order_by("pk"):
            if suppression.resident_id:
                on_person[suppression.resident_id].append(suppression)
            elif suppression.household_id:
                on_household[suppression.household_id].append(suppression)
        people = Resident.objects.select_related("current__household").filter(
            Q(pk__in=list(on_person))
            | Q(current__household_id__in=list(on_household), current__status=ResidentStatus.RESIDENT)
        )
        rows: list[SuppressedPerson] = []
        for resident in people:
            current = resident.current
            assert current is not None  # only committed people are held
            holding = list(on_person.get(resident.pk, ()))
            if current.status == ResidentStatus.RESIDENT:  # a household 抑止 holds its living members
                holding += on_household.get(current.household_id, [])
            rows.extend(_row(resident, suppression) for suppression in holding)
        rows.sort(key=lambda row: (row.atena_number, row.suppression_id))
        listed = sorted({row.atena_number for row in rows})
        record_results(
            actor,
            "resident",
            listed,
            purpose,
            QUERY_SUMMARY,
            action=AuditAction.RESIDENT_SUPPRESSION_LIST,
            reason=f"process={process or 'all'} rows={len(rows)} support_hidden={hidden}",
            support_measure=any(row.reason == SuppressionReason.SUPPORT_MEASURE.label for row in rows),
        )
    return SuppressedPersons(on=today, process=process, rows=tuple(rows), support_rows_hidden=hidden)
