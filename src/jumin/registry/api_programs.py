"""JSON API of program flags, 個人番号カード status and the daily batch. Thin: parse, call one service
or selector, return. People travel in request bodies, never in URLs (docs/workflows/programs.md,
cards.md, daily-batch.md)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema, Status

from jumin.registry import batch, cards, programs, removed_archive, removed_archive_purge
from jumin.registry.api import ErrorOut, RefusedOut

router = Router(tags=["資格・個人番号カード・日次バッチ"])

ERRORS = {400: ErrorOut, 403: RefusedOut}


class PurposeIn(Schema):
    purpose: str


class PersonIn(PurposeIn):
    atena_number: str


class ProgramIn(PersonIn):
    program: programs.Program
    enrolled: bool
    acquired_on: date | None = None
    lost_on: date | None = None
    basic_pension_number: str = ""
    pension_kind: str = ""
    first_month: str = ""
    last_month: str = ""
    reason: str = ""


class CardStatusIn(PersonIn):
    with_individual_number: bool = False


class CardEventIn(PersonIn):
    card_kind: cards.CardKind = cards.CardKind.INDIVIDUAL_NUMBER
    event: cards.CardEventKind
    event_date: date
    expiry_date: date | None = None
    remarks: str = ""


class CreatedOut(Schema):
    id: int


@router.post("/status", response={200: programs.ProgramStatus, **ERRORS})
def program_status(request: HttpRequest, payload: PersonIn) -> Status[object]:
    """The current program flags of one person and their history (audited)."""
    view = programs.program_status(
        actor=request.user, purpose=payload.purpose, atena_number=payload.atena_number
    )
    return Status(200, view)


@router.post("", response={201: CreatedOut, **ERRORS})
def record_program(request: HttpRequest, payload: ProgramIn) -> Status[object]:
    """Set or clear one program flag; only the department that owns the program may."""
    data = payload.dict(exclude={"purpose"})
    record_id = programs.record_program(
        actor=request.user, purpose=payload.purpose, update=programs.ProgramUpdate(**data)
    )
    return Status(201, {"id": record_id})


@router.post("/cards/status", response={200: cards.CardStatusView, **ERRORS})
def card_status(request: HttpRequest, payload: CardStatusIn) -> Status[object]:
    """個人番号カード status with the 住基カード's beside it; the 個人番号 only with
    ``with_individual_number`` and the right to it."""
    view = cards.card_status(
        actor=request.user,
        purpose=payload.purpose,
        atena_number=payload.atena_number,
        with_individual_number=payload.with_individual_number,
    )
    return Status(200, view)


@router.post("/cards/events", response={201: CreatedOut, **ERRORS})
def record_card_event(request: HttpRequest, payload: CardEventIn) -> Status[object]:
    """Record one event of the 個人番号カード (default) or the 住基カード (``card_kind`` ``juki``)."""
    entry = cards.CardEventInput(**payload.dict(exclude={"purpose"}))
    return Status(
        201, {"id": cards.record_card_event(actor=request.user, purpose=payload.purpose, entry=entry)}
    )


@router.post("/batch/daily", response={200: batch.DailyBatchResult, **ERRORS})
def run_daily_batch(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """Run today's registry batch (once a day; a second run answers with the first one's result)."""
    return Status(200, batch.run_daily_batch(actor=request.user, purpose=payload.purpose))


@router.post("/batch/overdue-move-outs", response={200: list[batch.OverdueMoveOut], **ERRORS})
def overdue_move_outs(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """Planned move-outs past their date without a 転入通知 (audited as a list)."""
    return Status(200, batch.overdue_move_outs(actor=request.user, purpose=payload.purpose))


@router.post(
    "/batch/removed-archive/candidates", response={200: list[removed_archive.ArchiveCandidate], **ERRORS}
)
def removed_archive_candidates(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """The 除票 the archive batch would move now, in 処理日 order (dry run; audited as a list)."""
    return Status(200, removed_archive.list_archive_candidates(actor=request.user, purpose=payload.purpose))


@router.post("/batch/removed-archive/run", response={200: removed_archive.ArchiveMoveResult, **ERRORS})
def run_removed_archive(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """Move the 除票 past ``JUMIN_REMOVED_ARCHIVE_YEARS`` to the 除票データベース (standard 9.3-a)."""
    return Status(200, removed_archive.run_archive_move(actor=request.user, purpose=payload.purpose))


@router.post(
    "/batch/removed-archive/purge-candidates",
    response={200: list[removed_archive_purge.PurgeCandidate], **ERRORS},
)
def removed_archive_purge_candidates(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """The archived 除票 past 150 years that a purge would delete (dry run; audited as a list)."""
    return Status(
        200, removed_archive_purge.list_purge_candidates(actor=request.user, purpose=payload.purpose)
    )


@router.post("/batch/removed-archive/purge", response={200: removed_archive_purge.PurgeResult, **ERRORS})
def purge_removed_archive(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """Delete the archived 除票 past 150 years after removal (standard 1.1.5-e); each person audited."""
    return Status(200, removed_archive_purge.run_purge(actor=request.user, purpose=payload.purpose))
