"""JSON API of 抑止 and 支援措置 (standard 3.1, 3.4). Thin: parse, call one service or selector.

Identifiers of people travel in request bodies; paths carry at most a suppression or measure id.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from jumin.registry import (
    selectors_restrictions,
    selectors_support_end,
    selectors_suppressed,
    services_restrictions,
    support_database,
    support_forwarding,
)
from jumin.registry.api_common import ERRORS
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.services_restrictions import (
    ReleaseTarget,
    SupportEndReason,
    SuppressionReason,
    SuppressionScope,
)

router = Router(tags=["抑止・支援措置"])


class PurposeIn(Schema):
    purpose: str


class PersonIn(PurposeIn):
    atena_number: str


class SuppressionIn(PurposeIn):
    scope: SuppressionScope
    target_number: str
    process: RestrictedProcess
    level: RestrictionLevel
    start_date: date
    end_date: date | None = None
    reason: SuppressionReason
    reason_text: str = ""


class CreatedOut(Schema):
    id: int


class ReasonIn(PurposeIn):
    reason: str


class ReleaseIn(PurposeIn):
    atena_number: str
    process: RestrictedProcess
    target: ReleaseTarget
    reason: str


class ReleaseOut(Schema):
    release_id: int
    expires_at: datetime


class PerpetratorFields(Schema):
    """A 加害者 as separate fields (standard 1.1.16-a); every item may be left empty when unknown."""

    surname: str = ""
    given_name: str = ""
    surname_kana: str = ""
    given_name_kana: str = ""
    atena_number: str = ""
    birth_date: str = ""
    sex: Literal["male", "female", "unknown"] = "unknown"
    address: str = ""
    note: str = ""


class SupportIn(PurposeIn):
    applicant: str
    co_applicants: list[str] = Field(default_factory=list)
    covered_services: list[str]
    received_on: date
    provisional: bool = False
    period_start: date | None = None
    period_end: date | None = None
    perpetrator: str = ""
    start_reason: str = ""
    original_municipality: str = ""
    remarks: str = ""
    perpetrators: list[PerpetratorFields] = Field(default_factory=list)


class PerpetratorIn(PurposeIn, PerpetratorFields):
    perpetrator_no: int | None = None  # the 加害者 to correct; None adds one


class PerpetratorOut(Schema):
    perpetrator_no: int


class ForwardingIn(PurposeIn):
    direction: Literal["outgoing", "incoming"]
    municipality_code: str = ""
    municipality_name: str = ""
    moved_on: date | None = None
    notified_on: date | None = None
    note: str = ""


class PerpetratorCheckIn(PurposeIn):
    requester_atena_number: str
    atena_numbers: list[str] = Field(default_factory=list)


class StartIn(PurposeIn):
    start: date
    end: date | None = None


class EndDateIn(PurposeIn):
    end: date


class EndIn(PurposeIn):
    reason: SupportEndReason
    ended_on: date | None = None


class PeriodOut(Schema):
    start: date
    end: date


class DoneOut(Schema):
    done: bool


class WindowIn(PurposeIn):
    window_start: date | None = None
    window_end: date | None = None


@router.post("/person", response={200: selectors_restrictions.PersonRestrictions, **ERRORS})
def person_restrictions(request: HttpRequest, payload: PersonIn) -> Status[object]:
    """One person's suppressions, releases and support measures (audited)."""
    return Status(
        200,
        selectors_restrictions.person_restrictions(
            actor=request.user, purpose=payload.purpose, atena_number=payload.atena_number
        ),
    )


@router.post("/suppressions", response={200: CreatedOut, **ERRORS})
def set_suppression(request: HttpRequest, payload: SuppressionIn) -> Status[object]:
    """Set a 抑止 on a person or household (standard 3.1-a, 3.1-b)."""
    data = payload.dict(exclude={"purpose"})
    suppression_id = services_restrictions.set_suppression(
        actor=request.user,
        purpose=payload.purpose,
        request=services_restrictions.SuppressionRequest(**data),
    )
    return Status(200, {"id": suppression_id})


@router.post("/suppressions/{suppression_id}/lift", response={200: DoneOut, **ERRORS})
def lift_suppression(request: HttpRequest, suppression_id: int, payload: ReasonIn) -> Status[object]:
    """Lift a 抑止; the row stays with who, when and why."""
    services_restrictions.lift_suppression(
        actor=request.user, purpose=payload.purpose, suppression_id=suppression_id, reason=payload.reason
    )
    return Status(200, {"done": True})


@router.post("/releases", response={200: ReleaseOut, **ERRORS})
def release(request: HttpRequest, payload: ReleaseIn) -> Status[object]:
    """一時解除 for one person and process; lapses by itself, never propagated (standard 3.1-d)."""
    granted = services_restrictions.release_temporarily(
        actor=request.user,
        purpose=payload.purpose,
        atena_number=payload.atena_number,
        process=payload.process,
        target=payload.target,
        reason=payload.reason,
    )
    return Status(200, {"release_id": granted.release_id, "expires_at": granted.expires_at})


@router.post("/support-measures", response={200: CreatedOut, **ERRORS})
def create_support_measure(request: HttpRequest, payload: SupportIn) -> Status[object]:
    """Record a 支援措置 request, or a 仮支援措置 while it is examined (standard 3.4)."""
    data = payload.dict(exclude={"purpose", "perpetrators"})
    perpetrators = [support_database.PerpetratorEntry(**p.dict()) for p in payload.perpetrators]
    measure_id = services_restrictions.create_support_measure(
        actor=request.user,
        purpose=payload.purpose,
        application=services_restrictions.SupportApplication(**data, perpetrators=perpetrators),
    )
    return Status(200, {"id": measure_id})


@router.post(
    "/support-measures/perpetrator-check", response={200: support_database.PerpetratorCheck, **ERRORS}
)
def perpetrator_check(request: HttpRequest, payload: PerpetratorCheckIn) -> Status[object]:
    """Is the requester (宛名番号) the 加害者 of a measure protecting one of these persons? Measure numbers
    only; view permission; audited (standard 1.1.16-a)."""
    return Status(
        200,
        support_database.perpetrator_check(
            actor=request.user,
            purpose=payload.purpose,
            requester_atena_number=payload.requester_atena_number,
            atena_numbers=payload.atena_numbers,
        ),
    )


@router.post(
    "/support-measures/incoming-notices", response={200: list[support_database.IncomingNotice], **ERRORS}
)
def incoming_notices(request: HttpRequest, payload: PurposeIn) -> Status[object]:
    """支援措置 notices received from 転出元 municipalities (standard 3.4-h); view permission; audited."""
    return Status(200, list(support_database.incoming_notices(actor=request.user, purpose=payload.purpose)))


@router.post("/support-measures/{measure_id}/perpetrators", response={200: PerpetratorOut, **ERRORS})
def record_perpetrator(request: HttpRequest, measure_id: int, payload: PerpetratorIn) -> Status[object]:
    """Add a 加害者, or correct one (a new version; history kept). Manage permission; audited."""
    number = support_database.record_perpetrator(
        actor=request.user,
        purpose=payload.purpose,
        measure_id=measure_id,
        entry=support_database.PerpetratorEntry(**payload.dict(exclude={"purpose", "perpetrator_no"})),
        perpetrator_no=payload.perpetrator_no,
    )
    return Status(200, {"perpetrator_no": number})


@router.post("/support-measures/{measure_id}/forwardings", response={200: CreatedOut, **ERRORS})
def record_forwarding(request: HttpRequest, measure_id: int, payload: ForwardingIn) -> Status[object]:
    """Add one 転送情報 row (where the support moved to or came from). Manage permission; audited."""
    row_id = support_database.record_forwarding(
        actor=request.user,
        purpose=payload.purpose,
        measure_id=measure_id,
        entry=support_database.ForwardingEntry(**payload.dict(exclude={"purpose"})),
    )
    return Status(200, {"id": row_id})


@router.post(
    "/support-measures/{measure_id}/forwardings/{forwarding_id}/resend", response={200: CreatedOut, **ERRORS}
)
def resend_forwarding(
    request: HttpRequest, measure_id: int, forwarding_id: int, payload: PurposeIn
) -> Status[object]:
    """「再送」: send a waiting 転送情報 row once its 転入先 is a peer (3.4-h). Manage permission; audited."""
    support_forwarding.resend_forwarding(
        actor=request.user, purpose=payload.purpose, measure_id=measure_id, forwarding_id=forwarding_id
    )
    return Status(200, {"id": forwarding_id})


class SuppressedListIn(PurposeIn):
    process: Literal["", "change_entry", "certificate", "inquiry"] = ""


@router.post("/suppressed-persons", response={200: selectors_suppressed.SuppressedPersons, **ERRORS})
def suppressed_persons(request: HttpRequest, payload: SuppressedListIn) -> Status[object]:
    """抑止対象者一覧 (standard 9.2-a): every person a 抑止 holds today, or of one process (audited)."""
    return Status(
        200,
        selectors_suppressed.suppressed_persons(
            actor=request.user, purpose=payload.purpose, process=payload.process
        ),
    )


@router.post("/support-measures/ending", response={200: selectors_support_end.EndingMeasures, **ERRORS})
def support_measures_ending(request: HttpRequest, payload: WindowIn) -> Status[object]:
    """期間終了予定一覧: measures in force whose period ends in the window, not extended (standard 3.4-d)."""
    return Status(
        200,
        selectors_support_end.measures_ending(
            actor=request.user,
            purpose=payload.purpose,
            window_start=payload.window_start,
            window_end=payload.window_end,
        ),
    )


@router.post(
    "/support-measures/{measure_id}/detail",
    response={200: selectors_restrictions.SupportMeasureDetail, **ERRORS},
)
def support_measure_detail(request: HttpRequest, measure_id: int, payload: PurposeIn) -> Status[object]:
    """The measure in full, 加害者 included: view permission only (controls.md C-38); audited."""
    return Status(
        200,
        selectors_restrictions.support_measure_detail(
            actor=request.user, purpose=payload.purpose, measure_id=measure_id
        ),
    )


@router.post("/support-measures/{measure_id}/start", response={200: PeriodOut, **ERRORS})
def start_support(request: HttpRequest, measure_id: int, payload: StartIn) -> Status[object]:
    """Start support after a 仮支援措置 (standard 3.4-b, 3.4-g)."""
    period = services_restrictions.start_support(
        actor=request.user,
        purpose=payload.purpose,
        measure_id=measure_id,
        start=payload.start,
        end=payload.end,
    )
    return Status(200, {"start": period.start, "end": period.end})


@router.post("/support-measures/{measure_id}/extend", response={200: PeriodOut, **ERRORS})
def extend_support(request: HttpRequest, measure_id: int, payload: PurposeIn) -> Status[object]:
    """Extend from the day after the old end, accepted from 1 month before it (standard 3.4-c)."""
    period = services_restrictions.extend_support(
        actor=request.user, purpose=payload.purpose, measure_id=measure_id
    )
    return Status(200, {"start": period.start, "end": period.end})


@router.post("/support-measures/{measure_id}/end-date", response={200: PeriodOut, **ERRORS})
def edit_support_end(request: HttpRequest, measure_id: int, payload: EndDateIn) -> Status[object]:
    """Edit the end date of the period in force (standard 3.4-b)."""
    period = services_restrictions.edit_support_end(
        actor=request.user, purpose=payload.purpose, measure_id=measure_id, end=payload.end
    )
    return Status(200, {"start": period.start, "end": period.end})


@router.post("/support-measures/{measure_id}/end", response={200: DoneOut, **ERRORS})
def end_support(request: HttpRequest, measure_id: int, payload: EndIn) -> Status[object]:
    """End the measure on request, after expiry or by decision (standard 3.4-f)."""
    services_restrictions.end_support(
        actor=request.user,
        purpose=payload.purpose,
        measure_id=measure_id,
        reason=payload.reason,
        ended_on=payload.ended_on,
    )
    return Status(200, {"done": True})
