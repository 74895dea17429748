"""再製 (restoration) as a draft: standard 1.2.2-a (再製 is both an entry and a removal reason);
records.md §7; 住民基本台帳法施行令 (住民票の再製).

When a 住民票 is lost (滅失) or damaged (毀損) the mayor re-creates it 職権 from the best available
sources. Jumin does it as a sibling of 改製 (reorganisation.py, ``open_generation``): one row per
person with the 異動事由 「再製」 and the 再製日 as its change date opens a new generation; the rows
before it are not touched and read as the 再製原住民票 (``split_generations``), which a
再製原住民票の写し copies. The clerk may correct items as the sources show them; each correction is a
column of the draft row, so the review screen shows it as a before → after diff. The cause and the
sources are kept in the change's 職権記録書 (ExOfficioRecord, action 「再製」; no notice is sent).
Like 改製 it is administrative: it cannot be cancelled (cancellation.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from jumin.audit.actions import AuditAction
from jumin.domain.errors import refusal
from jumin.domain.resident import ChangeReason
from jumin.registry.models import Change, ExOfficioRecord, ResidentSnapshot
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.ex_officio import (
    CORRECTABLE_ITEMS,
    FINDINGS_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    check_correctable,
    item_columns,
)
from jumin.registry.workflows.reorganisation import (
    GenerationOpening,
    authorize_generation,
    check_generation_date,
    generation_people,
    open_generation,
)

LEGAL_BASIS = "住民基本台帳法施行令第10条（住民票の再製）"


class RestorationCause(StrEnum):
    """Why the record is re-created: lost, damaged, or another cause the clerk describes."""

    LOST = "滅失"
    DAMAGED = "毀損"
    OTHER = "その他"


@dataclass(frozen=True)
class Restoration:
    """A 再製 of these persons' records on ``restored_on`` (the 再製日).

    ``sources`` names the documents the items were taken from; ``corrections`` maps a 宛名番号 to the
    items (code name → text, as for a 職権修正) the sources show differently from the current row.
    """

    atena_numbers: Sequence[str]
    restored_on: date
    cause: RestorationCause
    sources: str
    cause_detail: str = ""  # required for その他
    corrections: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)


def _check_text(restoration: Restoration) -> tuple[str, str]:
    """The 事由 and the 資料 of the 職権記録書, or a refusal naming the field."""
    sources = restoration.sources.strip()
    if not sources or len(sources) > FINDINGS_MAX_LENGTH:
        raise refusal(
            "sources",
            f"再製の基礎とした資料が空欄か、{FINDINGS_MAX_LENGTH}文字を超えています。",
            "記載事項を確認した資料（例: 住民票の写しの控え、届書、戸籍の附票）を入力してください。",
            "registry.restoration_sources_required",
        )
    detail = restoration.cause_detail.strip()
    if len(detail) > TEXT_MAX_LENGTH or (restoration.cause is RestorationCause.OTHER and not detail):
        raise refusal(
            "cause_detail",
            f"再製の原因の内容が空欄か、{TEXT_MAX_LENGTH}文字を超えています。",
            "原因が「その他」の場合は、その内容を短く入力してください。",
            "registry.restoration_cause_required",
        )
    grounds = f"{restoration.cause.value}（{detail}）" if detail else restoration.cause.value
    return grounds, sources


def _corrected_columns(
    restoration: Restoration, people: Sequence[tuple[Any, ResidentSnapshot]]
) -> dict[str, dict[str, Any]]:
    """宛名番号 → the columns the sources correct (validated as a 職権修正's), only those that differ."""
    rows = {resident.atena_number: current for resident, current in people}
    columns: dict[str, dict[str, Any]] = {}
    for number, items in restoration.corrections.items():
        current = rows.get(number.strip())
        if current is None:
            raise refusal(
                "corrections",
                "再製する方に含まれない方の記載事項が入力されています。",
                "訂正する方の宛名番号を、再製する方の中から選んでください。",
                "registry.correction_of_unlisted_person",
            )
        check_correctable(items, field="corrections")
        changed: dict[str, Any] = {}
        for item, text in items.items():
            changed.update(item_columns(item, text, current))
        changed = {name: value for name, value in changed.items() if getattr(current, name) != value}
        if changed:
            columns[number.strip()] = changed
    return columns


def record_restoration(*, actor: Any, purpose: str, restoration: Restoration) -> DraftRecorded:
    """Enter a 再製 as a draft; another clerk reviews the corrections and commits it (``commit_change``)."""
    action = AuditAction.RESIDENT_RESTORATION_RECORD
    authorize_generation(actor, purpose, action)
    check_generation_date(restoration.restored_on, ChangeReason.RESTORATION, "restored_on")
    grounds, sources = _check_text(restoration)
    people = generation_people(restoration.atena_numbers, ChangeReason.RESTORATION)
    columns = _corrected_columns(restoration, people)
    corrected = {name for changed in columns.values() for name in changed}
    corrected_items = sorted(corrected & set(CORRECTABLE_ITEMS))  # birth_sort_date goes with birth_date

    def write_record(change: Change) -> None:
        ExOfficioRecord.objects.create(
            change=change,
            action=ChangeReason.RESTORATION.value,
            legal_basis=LEGAL_BASIS,
            found_on=restoration.restored_on,
            grounds=grounds,
            findings=sources,
            notice_required=False,  # an administrative act on the record: nothing to notify
            changed_items=corrected_items,
        )

    return open_generation(
        actor=actor,
        purpose=purpose,
        opening=GenerationOpening(
            reason=ChangeReason.RESTORATION,
            action=action,
            opened_on=restoration.restored_on,
            audit_text=f"再製（{restoration.cause.value}）",
            acknowledged_alerts=restoration.acknowledged_alerts,
        ),
        people=people,
        columns=columns,
        write_record=write_record,
    )
