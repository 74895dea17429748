"""改製 (re-compilation) as a draft: standard 1.1.4-a/b, 1.1.5-a, 1.2.2-a; records.md §6.1 改製日.

A clerk remakes a person's record by hand, at any time; nothing ever remakes one automatically
because it is "full" (history is unlimited, 1.1.4-a). The 改製 appends one row per person with
the 異動事由 「改製」 that repeats the current data only: the 改製日 is that change's date, and the
改製連番 (generation) is the number of 改製 rows up to it. The rows before it are not touched: they
stay in history and read as the 改製原住民票 (a 除票 in the sense of 1.1.5-a), one per generation
(``split_generations``). Certificates with history print the current generation only; a copy of
the 改製原住民票 prints an earlier one (docs/workflows/reorganisation.md). A 改製 is administrative,
not a 4.1–4.5 event, so it cannot be cancelled (cancellation.py) and sends no notice.

再製 (restoration.py) opens a generation the same way (``open_generation``); ``split_generations``
cuts at both, and each earlier generation is a 改製原住民票 or a 再製原住民票 by the row that closed it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
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
from jumin.domain.resident import GENERATION_REASONS, ChangeReason, ResidentStatus
from jumin.registry import selectors, services_restrictions
from jumin.registry.models import Change, Resident, ResidentSnapshot
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
    action = AuditAction.RESIDENT_REORGANISATION_RECORD
    authorize_generation(actor, purpose, action)
    check_generation_date(reorganisation.reorganised_on, ChangeReason.REORGANISATION, "reorganised_on")
    reason = reorganisation.reason.strip()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise refusal(
            "reason",
            f"改製の理由が空欄か、{REASON_MAX_LENGTH}文字を超えています。",
            "改製する理由（例: 記載欄の整理のため）を短く入力してください。",
            "registry.reason_required",
        )
    people = generation_people(reorganisation.atena_numbers, ChangeReason.REORGANISATION)
    # The current data, unchanged: the new generation starts from it (1.1.4-b).
    return open_generation(
        actor=actor,
        purpose=purpose,
        opening=GenerationOpening(
            reason=ChangeReason.REORGANISATION,
            action=action,
            opened_on=reorganisation.reorganised_on,
            audit_text=reason,
            acknowledged_alerts=reorganisation.acknowledged_alerts,
        ),
        people=people,
    )


def authorize_generation(actor: Any, purpose: str, action: AuditAction) -> None:
    """Refuse (and audit) a clerk without ``resident:record`` before a 改製 or 再製 is read or checked."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=action,
        purpose=purpose,
        subject_type="change",
    )


def check_generation_date(opened_on: date, reason: ChangeReason, field_name: str) -> None:
    """Refuse a 改製日 or 再製日 in the future (standard 4.0.3-a)."""
    if opened_on > timezone.localdate():
        raise refusal(
            field_name,
            f"{reason.value}日が未来の日付です。",
            "本日以前の日付を入力してください（standard 4.0.3-a）。",
            "registry.future_event_date",
        )


def generation_people(
    atena_numbers: Sequence[str], reason: ChangeReason
) -> list[tuple[Resident, ResidentSnapshot]]:
    """The persons whose records a 改製 or 再製 remakes, with their current rows; a 除票 is refused."""
    people = _current_people(atena_numbers)
    if any(current.status == ResidentStatus.REMOVED for _, current in people):
        raise refusal(
            "atena_numbers",
            "既に消除された方（除票）が含まれています。",
            f"{reason.value}できるのは現に住民である方の住民票だけです。",
            "registry.not_a_resident",
        )
    return people


@dataclass(frozen=True)
class GenerationOpening:
    """The change that opens a new generation (改製 or 再製) and what its audit entry says."""

    reason: ChangeReason
    action: AuditAction
    opened_on: date  # the 改製日 or 再製日: the change date, and the date the old generation ends
    audit_text: str
    acknowledged_alerts: Collection[str] = ()


def open_generation(
    *,
    actor: Any,
    purpose: str,
    opening: GenerationOpening,
    people: Sequence[tuple[Resident, ResidentSnapshot]],
    columns: Mapping[str, Mapping[str, Any]] | None = None,
    write_record: Callable[[Change], object] | None = None,
) -> DraftRecorded:
    """Draft one row per person opening a new generation: the current row with ``columns`` (宛名番号 →
    corrected columns) applied. ``write_record`` adds the change's own record (the 再製's 職権記録書).

    異動入力 抑止 are checked on the persons first (standard 3.1-b): an error refuses the draft.
    """
    acknowledged = require_acknowledged([], opening.acknowledged_alerts)
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=opening.action,
        atena_numbers=[resident.atena_number for resident, _ in people],
    )
    corrected = columns or {}
    with transaction.atomic():
        change = Change.objects.create(
            reason=opening.reason,
            change_date=opening.opened_on,
            notification_date=None,
            notification_kind="職権",
            made_by=actor,
            made_at=timezone.now(),
        )
        if write_record is not None:
            write_record(change)
        for resident, current in people:
            draft_from_current(resident, current, change, **corrected.get(resident.atena_number, {}))
        record_event(
            actor=actor,
            action=opening.action,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=audit_reason(opening.audit_text, acknowledged),
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
    """A person's history cut at each 改製 and 再製: the 改製原住民票 / 再製原住民票 (oldest first) and
    the current record."""

    original_records: tuple[tuple[Row, ...], ...]
    current_record: tuple[Row, ...]

    @property
    def closing_reasons(self) -> tuple[str, ...]:
        """The 異動事由 (改製 or 再製) that closed each original record, oldest first."""
        return tuple(rows[0].change_reason for rows in (*self.original_records, self.current_record)[1:])

    @property
    def reorganisation_count(self) -> int:
        """改製連番 of the current record: how many times the record was remade by 改製."""
        return self.closing_reasons.count(ChangeReason.REORGANISATION)

    @property
    def restoration_count(self) -> int:
        """How many times the record was re-created by 再製."""
        return self.closing_reasons.count(ChangeReason.RESTORATION)


def split_generations(history: Sequence[Row]) -> Generations[Row]:
    """Cut a history (oldest first) before every 改製 and 再製 row; that row opens the new generation."""
    generations: list[list[Row]] = [[]]
    for row in history:
        if row.change_reason in GENERATION_REASONS and generations[-1]:
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
