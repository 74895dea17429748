"""除票の誤記訂正 (standard 1.1.5-c): an error in a 除票 is recorded as a type-B note.

A 除票 is closed: no row is added to it and none is rewritten (職権修正・誤記修正 refuse a 除票,
``registry.removed_record_by_note``). The clerk names the item, its correct entry and why; the
note keeps what the 除票 says (the 誤記) beside the correct entry, the day and the clerk. The 照会
screen shows the notes (``selectors.resident_record``) and the 除票の写し prints them
(``certificate_sources``), as 留意事項 (texts by ``registry.removed_record_notes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ResidentStatus, Sex
from jumin.registry.models import ResidentSnapshot
from jumin.registry.models_removed_notes import RemovedRecordNote
from jumin.registry.snapshots import current_of
from jumin.registry.workflows.ex_officio import CORRECTABLE_ITEMS, check_correctable, item_columns

REASON_MAX_LENGTH = 200
_SEX_TEXT = {Sex.MALE.value: "男", Sex.FEMALE.value: "女"}


@dataclass(frozen=True)
class RemovedRecordCorrection:
    """The 誤記 of one item of a person's 除票: the item, its correct entry and why."""

    atena_number: str
    item: str
    correct_text: str
    reason: str


def _item_text(item: str, values: dict[str, Any]) -> str:
    """An item as the record shows it (生年月日 as entered, 性別 as 男/女)."""
    value = values[item]
    if item == "birth_date":
        return recorded_dates.display(recorded_dates.from_json(value))
    if item == "sex":
        return _SEX_TEXT.get(str(value), str(value))
    return str(value)


def _check(correction: RemovedRecordCorrection) -> str:
    reason = correction.reason.strip()
    if not reason:
        raise refusal(
            "reason",
            "訂正の理由が入力されていません。",
            "誤記と判断した理由（例: 戸籍謄本により確認）を入力してください。",
            "registry.reason_required",
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise refusal(
            "reason",
            f"訂正の理由が{REASON_MAX_LENGTH}文字を超えています。",
            "理由を短く入力してください。",
            "registry.reason_too_long",
        )
    check_correctable([correction.item], field="item")
    return reason


def _removed_record(atena_number: str) -> ResidentSnapshot:
    try:
        _, current = current_of(atena_number.strip(), lock=True)
    except DomainError as missing:
        raise refusal("atena_number", missing.reason, missing.remedy, missing.code) from None
    if current.status != ResidentStatus.REMOVED:
        raise refusal(
            "atena_number",
            "この方は除票ではありません。留意事項による訂正は除票の記載だけに使います。",
            "現に住民である方の記載は、職権修正または誤記修正で処理してください。",
            "registry.not_a_removed_record",
        )
    return current


def record_removed_record_note(
    *, actor: Any, purpose: str, correction: RemovedRecordCorrection
) -> RemovedRecordNote:
    """Record the 誤記 of one 除票 item and its correct entry as a type-B note (standard 1.1.5-c).

    Nothing in the 除票 changes; the note, its audit entry and nothing else are written, in one
    transaction. Bad input is refused with the field, the reason and the remedy.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_EX_OFFICIO_RECORD,
        purpose=purpose,
        subject_type="resident",
        subject_id=correction.atena_number,
    )
    reason = _check(correction)
    with transaction.atomic():
        record = _removed_record(correction.atena_number)
        written = {correction.item: getattr(record, correction.item)}
        correct = item_columns(correction.item, correction.correct_text, record)
        wrong_text, correct_text = _item_text(correction.item, written), _item_text(correction.item, correct)
        if wrong_text == correct_text:
            raise refusal(
                "correct_text",
                "入力された内容は除票の記載と同じです。",
                "正しい記載を入力してください。",
                "registry.correction_changes_nothing",
            )
        note = RemovedRecordNote.objects.create(
            resident_id=record.resident_id,
            snapshot=record,
            item=correction.item,
            item_label=CORRECTABLE_ITEMS[correction.item],
            wrong_text=wrong_text,
            correct_text=correct_text,
            reason=reason,
            noted_on=timezone.localdate(),
            made_by=actor,
            made_at=timezone.now(),
        )
        record_event(  # identifiers only: the texts are personal data
            actor=actor,
            action=AuditAction.RESIDENT_EX_OFFICIO_RECORD,
            subject_type="resident",
            subject_id=record.resident.atena_number,
            purpose=purpose,
            reason=f"除票の誤記訂正; item={correction.item}; note={note.pk}",
        )
    return note
