"""JSON API of 異動の取消し and the 職権 actions (Django Ninja), mounted at /api/registry/corrections.

Thin like jumin.registry.api: parse, call one service or selector, return. People and change
numbers travel in bodies, never URLs. An alert must be acknowledged: the first call answers 400
``registry.alerts_not_acknowledged`` naming the alert codes; the clerk resends them in
``acknowledged_alerts`` and the acknowledgment is audited with the draft.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import selectors_corrections
from jumin.registry.api import AddressIn, PersonIn, _person
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, AttentionNoteIn, draft_body, draft_created
from jumin.registry.removed_record_notes import note_text_for
from jumin.registry.services import Address
from jumin.registry.workflows import cancellation, ex_officio, removed_record_note
from jumin.registry.workflows.ex_officio_events import ExOfficioBasis

# The name api_notices imports from here; new APIs use jumin.registry.api_common.draft_created.
_draft_out = draft_body

router = Router(tags=["住民記録（異動の取消し・職権）"])


class HistoryIn(Schema):
    purpose: str
    atena_number: str


class CancellationIn(Schema):
    purpose: str
    change_id: int
    reason: str
    atena_numbers: list[str] = Field(default_factory=list)
    on_application: bool = False
    application_date: date | None = None
    acknowledged_alerts: list[str] = Field(default_factory=list)


class RecordBookIn(Schema):
    """職権記録書: legal basis, the date the fact was found, the grounds and what was found; the
    戸籍届出・通知日 (4.2.0.4-a) or, for an action on application, the 申出日 (4.2.0.5-a)."""

    legal_basis: str
    found_on: date
    grounds: str
    findings: str
    notified_on: date | None = None
    applied_on: date | None = None


class ExOfficioBasisIn(Schema):
    """A 転居, 転出 or 世帯変更 entered by 職権 (standard 4.2.0.2-a): its 職権記録書 and whether a
    職権記載等通知書 is sent. The event then takes no 届出日."""

    record: RecordBookIn
    notice_required: bool = True


def ex_officio_basis(data: ExOfficioBasisIn | None) -> ExOfficioBasis | None:
    """The service's ``ExOfficioBasis`` of an optional ``ex_officio_basis`` body member."""
    if data is None:
        return None
    return ExOfficioBasis(record=_book(data.record), notice_required=data.notice_required)


class RecordingIn(AttentionNoteIn):
    purpose: str
    members: list[PersonIn]
    address: AddressIn
    address_set_date: str
    previous_address: str = "不明"
    household_number: str | None = None
    record: RecordBookIn
    notice_required: bool = True
    acknowledged_alerts: list[str] = Field(default_factory=list)


class RemovalIn(AttentionNoteIn):
    purpose: str
    atena_numbers: list[str]
    removal_date: date
    record: RecordBookIn
    notice_required: bool = True
    acknowledged_alerts: list[str] = Field(default_factory=list)


class CorrectionIn(AttentionNoteIn):
    purpose: str
    action: ex_officio.ExOfficioAction
    atena_numbers: list[str]
    items: dict[str, str]
    change_date: date
    record: RecordBookIn
    minor_case: ex_officio.MinorCase | None = None
    notice_required: bool = True
    acknowledged_alerts: list[str] = Field(default_factory=list)


class NoticeIn(Schema):
    purpose: str
    change_id: int


def _book(data: RecordBookIn) -> ex_officio.RecordBook:
    return ex_officio.RecordBook(**data.dict())


@router.post(
    "/history",
    response={200: list[selectors_corrections.HistoryEntry], **ERRORS},
)
def change_history(request: HttpRequest, payload: HistoryIn) -> Status[object]:
    """A person's committed changes with cancellation and correction marks (audited)."""
    return Status(
        200,
        selectors_corrections.change_history(
            actor=request.user, purpose=payload.purpose, atena_number=payload.atena_number
        ),
    )


@router.post("/cancellation", response=DRAFT_RESPONSES)
def record_cancellation(request: HttpRequest, payload: CancellationIn) -> Status[object]:
    """Enter a 異動の取消し as a draft (仮登録); another clerk commits it."""
    draft = cancellation.record_cancellation(
        actor=request.user,
        purpose=payload.purpose,
        cancellation=cancellation.Cancellation(
            change_id=payload.change_id,
            reason=payload.reason,
            atena_numbers=payload.atena_numbers,
            on_application=payload.on_application,
            application_date=payload.application_date,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )
    return draft_created(draft)


@router.post("/ex-officio/recording", response=DRAFT_RESPONSES)
def record_recording(request: HttpRequest, payload: RecordingIn) -> Status[object]:
    """Enter a 職権記載 as a draft."""
    address_set = parse_date_input(
        payload.address_set_date, field_kind=DateFieldKind.ADDRESS_SET, field="address_set_date"
    )
    draft = ex_officio.record_ex_officio_recording(
        actor=request.user,
        purpose=payload.purpose,
        recording=ex_officio.ExOfficioRecording(
            members=[_person(member, i) for i, member in enumerate(payload.members)],
            address=Address(**payload.address.dict()),
            address_set_date=address_set.value,
            previous_address=payload.previous_address,
            household_number=payload.household_number,
            record=_book(payload.record),
            notice_required=payload.notice_required,
            acknowledged_alerts=payload.acknowledged_alerts,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft, *address_set.alerts)


@router.post("/ex-officio/removal", response=DRAFT_RESPONSES)
def record_removal(request: HttpRequest, payload: RemovalIn) -> Status[object]:
    """Enter a 職権消除 as a draft."""
    draft = ex_officio.record_ex_officio_removal(
        actor=request.user,
        purpose=payload.purpose,
        removal=ex_officio.ExOfficioRemoval(
            atena_numbers=payload.atena_numbers,
            removal_date=payload.removal_date,
            record=_book(payload.record),
            notice_required=payload.notice_required,
            acknowledged_alerts=payload.acknowledged_alerts,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft)


@router.post("/ex-officio/correction", response=DRAFT_RESPONSES)
def record_correction(request: HttpRequest, payload: CorrectionIn) -> Status[object]:
    """Enter a 職権修正, 軽微な修正 or 誤記修正 as a draft."""
    draft = ex_officio.record_ex_officio_correction(
        actor=request.user,
        purpose=payload.purpose,
        correction=ex_officio.ExOfficioCorrection(
            action=payload.action,
            atena_numbers=payload.atena_numbers,
            items=payload.items,
            change_date=payload.change_date,
            record=_book(payload.record),
            minor_case=payload.minor_case,
            notice_required=payload.notice_required,
            acknowledged_alerts=payload.acknowledged_alerts,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft)


@router.post(
    "/ex-officio/notice",
    response={200: selectors_corrections.ExOfficioNotice, **ERRORS},
)
def ex_officio_notice(request: HttpRequest, payload: NoticeIn) -> Status[object]:
    """The 職権記載等通知書 data of a committed ex officio change (audited)."""
    return Status(
        200,
        selectors_corrections.ex_officio_notice(
            actor=request.user, purpose=payload.purpose, change_id=payload.change_id
        ),
    )


class RemovedRecordNoteIn(Schema):
    purpose: str
    atena_number: str
    item: str
    correct_text: str
    reason: str


class RemovedRecordNoteOut(Schema):
    note_id: int
    text: str


@router.post("/ex-officio/removed-record-note", response={201: RemovedRecordNoteOut, **ERRORS})
def record_removed_record_note(request: HttpRequest, payload: RemovedRecordNoteIn) -> Status[object]:
    """Record the 誤記 of a 除票 item and its correct entry as a type-B note (standard 1.1.5-c)."""
    note = removed_record_note.record_removed_record_note(
        actor=request.user,
        purpose=payload.purpose,
        correction=removed_record_note.RemovedRecordCorrection(
            atena_number=payload.atena_number,
            item=payload.item,
            correct_text=payload.correct_text,
            reason=payload.reason,
        ),
    )
    return Status(201, RemovedRecordNoteOut(note_id=note.pk, text=note_text_for(note, request.user)))
