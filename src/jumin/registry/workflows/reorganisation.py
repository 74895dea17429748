"""改製 (re-compilation) as a draft: standard 1.1.4-a/b, 1.1.5-a, 1.2.2-a; records.md §6.1 改製日.

A clerk remakes a person's record by hand, at any time; nothing ever remakes one automatically
because it is "full" (history is unlimited, 1.1.4-a). The 改製 appends one row per person with
the 異動事由 「改製」 that repeats the current data only: the 改製日 is that change's date, and the
改製連番 (generation) is the number of 改製 rows up to it. The rows before it are not touched: they
stay in history and read as the 改製原住民票 (a 除票 in the sense of 1.1.5-a), one per generation
(``split_generations``). Certificates with history print the current generation only; a copy of
the 改製原住民票 prints an earlier one (docs/workflows/reorganisation.md). A 改製 is administrative,
not a 4.1–4.5 event, so it cannot be cancelled (cancellation.py) and sends no notice.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Protocol, TypeVar

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry import selectors, services_restrictions
from jumin.registry.models import Change
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.ex_officio import _current_people

REASON_MAX_LENGTH = 200


@dataclass(frozen=True)
class Reorganisation:
    """A manual 改製 of these persons' records on ``reorganised_on`` (the 改製日), and why."""

    atena_numbers: Sequence[str]
    reorganised_on: date
    reason: str
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)


def record_reorganisation(*, actor: Any, purpose: str, reorganisation: Reorganisation) -> DraftRecorded:
    """Enter a 改製 as a draft (standard 1.1.4-b); another clerk commits it with ``commit_change``."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_REORGANISATION_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    if reorganisation.reorganised_on > timezone.localdate():
        raise refusal(
            "reorganised_on",
            "改製日が未来の日付です。",
            "本日以前の日付を入力してください（standard 4.0.3-a）。",
            "registry.future_event_date",
        )
    reason = reorganisation.reason.strip()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise refusal(
            "reason",
            f"改製の理由が空欄か、{REASON_MAX_LENGTH}文字を超えています。",
            "改製する理由（例: 記載欄の整理のため）を短く入力してください。",
            "registry.reason_required",
        )
    people = _current_people(reorganisation.atena_numbers)
    if any(current.status == ResidentStatus.REMOVED for _, current in people):
        raise refusal(
            "atena_numbers",
            "既に消除された方（除票）が含まれています。",
            "改製できるのは現に住民である方の住民票だけです。",
            "registry.not_a_resident",
        )
    acknowledged = require_acknowledged([], reorganisation.acknowledged_alerts)
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_REORGANISATION_RECORD,
        atena_numbers=[resident.atena_number for resident, _ in people],
    )
    with transaction.atomic():
        change = Change.objects.create(
            reason=ChangeReason.REORGANISATION,
            change_date=reorganisation.reorganised_on,
            notification_date=None,
            notification_kind="職権",
            made_by=actor,
            made_at=timezone.now(),
        )
        for resident, current in people:
            # The current data, unchanged: the new generation starts from it (1.1.4-b).
            draft_from_current(resident, current, change)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_REORGANISATION_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=audit_reason(reason, acknowledged),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(resident.atena_number for resident, _ in people),
        household_number=people[0][1].household.number,
        alerts=tuple(entry_alerts),
    )


class HistoryRow(Protocol):
    """What ``split_generations`` needs of a history row (selectors.ResidentView has it)."""

    @property
    def change_reason(self) -> str: ...


Row = TypeVar("Row", bound=HistoryRow)


@dataclass(frozen=True)
class Generations(Generic[Row]):
    """A person's history cut at each 改製: the 改製原住民票 (oldest first) and the current record."""

    original_records: tuple[tuple[Row, ...], ...]
    current_record: tuple[Row, ...]

    @property
    def reorganisation_count(self) -> int:
        """改製連番 of the current record: how many times the record was remade."""
        return len(self.original_records)


def split_generations(history: Sequence[Row]) -> Generations[Row]:
    """Cut a history (oldest first) before every 改製 row; the 改製 row opens the new generation."""
    generations: list[list[Row]] = [[]]
    for row in history:
        if row.change_reason == ChangeReason.REORGANISATION and generations[-1]:
            generations.append([])
        generations[-1].append(row)
    return Generations(
        original_records=tuple(tuple(rows) for rows in generations[:-1]),
        current_record=tuple(generations[-1]),
    )


def resident_generations(
    *, actor: Any, purpose: str, atena_number: str, acknowledged_alerts: Collection[str] = ()
) -> Generations[selectors.ResidentView]:
    """A person's 改製原住民票 and current record, read through the audited 履歴照会 selector."""
    history = selectors.resident_history(
        actor=actor, purpose=purpose, atena_number=atena_number, acknowledged_alerts=acknowledged_alerts
    )
    return split_generations(history)
