"""JSON API of the 戸籍 notice workflows, 改製 and 再製 (Django Ninja), mounted at /api/registry/notices.

Thin like jumin.registry.api: parse, call one service, return. People travel in bodies, never URLs.
Alerts that need acknowledgment answer 400 ``registry.alerts_not_acknowledged`` first; the caller
resends their codes in ``acknowledged_alerts`` (as in api_corrections).
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry.api import AddressIn
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, AttentionNoteIn, draft_created
from jumin.registry.selectors import ResidentView
from jumin.registry.services import Address
from jumin.registry.workflows import disappearance, honseki_notice, reorganisation, restoration

router = Router(tags=["住民記録（戸籍の通知・改製・再製）"])


class NoticeIn(Schema):
    """The 法9条2項 notice: when it was received and which 本籍地 sent it."""

    notice_date: date
    notifying_municipality: str
    findings: str = ""


class DisappearanceIn(AttentionNoteIn):
    purpose: str
    atena_number: str
    deemed_death_date: str
    decision_date: date
    notice: NoticeIn
    # 本籍・筆頭者 when the record's differ; pick from /api/registry/events/honseki-candidates.
    honseki: str = ""
    hittousha: str = ""


class RevocationIn(AttentionNoteIn):
    purpose: str
    atena_number: str
    revocation_date: date
    notice: NoticeIn
    address: AddressIn
    address_set_date: str
    household_number: str | None = None
    relationship: str = "世帯主"
    previous_address: str = "不明"
    acknowledged_alerts: list[str] = Field(default_factory=list)


class HonsekiNoticeIn(Schema):
    purpose: str
    atena_numbers: list[str]
    honseki: str
    hittousha: str
    event_date: date
    notice_date: date
    notifying_municipality: str
    family_register_event: str
    acknowledged_alerts: list[str] = Field(default_factory=list)


class ReorganisationIn(Schema):
    purpose: str
    atena_numbers: list[str]
    reorganised_on: date
    reason: str
    acknowledged_alerts: list[str] = Field(default_factory=list)


class RestorationIn(Schema):
    purpose: str
    atena_numbers: list[str]
    restored_on: date
    cause: restoration.RestorationCause
    cause_detail: str = ""
    sources: str
    # 宛名番号 → item code → the text the sources show (as a 職権修正's items)
    corrections: dict[str, dict[str, str]] = Field(default_factory=dict)
    acknowledged_alerts: list[str] = Field(default_factory=list)


class GenerationsIn(Schema):
    purpose: str
    atena_number: str
    acknowledged_alerts: list[str] = Field(default_factory=list)


class GenerationsOut(Schema):
    """履歴番号 of each 改製原住民票 / 再製原住民票 (oldest first), the 異動事由 that closed each, and
    the current record; 改製連番 counts the 改製."""

    reorganisation_count: int
    restoration_count: int
    original_records: list[list[int]]
    closed_by: list[str]
    current_record: list[int]


def _notice(data: NoticeIn) -> disappearance.FamilyRegisterNotice:
    return disappearance.FamilyRegisterNotice(**data.dict())


@router.post("/disappearance", response=DRAFT_RESPONSES)
def record_disappearance(request: HttpRequest, payload: DisappearanceIn) -> Status[object]:
    """Enter a 失踪 (職権消除, 消除事由 失踪宣告) as a draft; the date may be a 不詳 form."""
    deemed = parse_date_input(
        payload.deemed_death_date, field_kind=DateFieldKind.EVENT_DISAPPEARANCE, field="deemed_death_date"
    )
    draft = disappearance.record_disappearance(
        actor=request.user,
        purpose=payload.purpose,
        disappearance=disappearance.Disappearance(
            atena_number=payload.atena_number,
            deemed_death_date=deemed.value,
            decision_date=payload.decision_date,
            notice=_notice(payload.notice),
            honseki=payload.honseki,
            hittousha=payload.hittousha,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft, *deemed.alerts)


@router.post("/disappearance-revocation", response=DRAFT_RESPONSES)
def record_revocation(request: HttpRequest, payload: RevocationIn) -> Status[object]:
    """Enter the 職権記載 after a 失踪宣告 was revoked as a draft."""
    address_set = parse_date_input(
        payload.address_set_date, field_kind=DateFieldKind.ADDRESS_SET, field="address_set_date"
    )
    draft = disappearance.record_disappearance_revocation(
        actor=request.user,
        purpose=payload.purpose,
        revocation=disappearance.DisappearanceRevocation(
            atena_number=payload.atena_number,
            revocation_date=payload.revocation_date,
            notice=_notice(payload.notice),
            address=Address(**payload.address.dict()),
            address_set_date=address_set.value,
            household_number=payload.household_number,
            relationship=payload.relationship,
            previous_address=payload.previous_address,
            acknowledged_alerts=payload.acknowledged_alerts,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft, *address_set.alerts)


@router.post("/honseki", response=DRAFT_RESPONSES)
def record_honseki_notice(request: HttpRequest, payload: HonsekiNoticeIn) -> Status[object]:
    """Enter a 本籍・筆頭者 職権修正 from a 法9条2項 notice as a draft."""
    draft = honseki_notice.record_honseki_notice(
        actor=request.user,
        purpose=payload.purpose,
        notice=honseki_notice.HonsekiNotice(
            atena_numbers=payload.atena_numbers,
            honseki=payload.honseki,
            hittousha=payload.hittousha,
            event_date=payload.event_date,
            notice_date=payload.notice_date,
            notifying_municipality=payload.notifying_municipality,
            family_register_event=payload.family_register_event,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )
    return draft_created(draft)


@router.post("/reorganisation", response=DRAFT_RESPONSES)
def record_reorganisation(request: HttpRequest, payload: ReorganisationIn) -> Status[object]:
    """Enter a manual 改製 as a draft (standard 1.1.4-b)."""
    draft = reorganisation.record_reorganisation(
        actor=request.user,
        purpose=payload.purpose,
        reorganisation=reorganisation.Reorganisation(
            atena_numbers=payload.atena_numbers,
            reorganised_on=payload.reorganised_on,
            reason=payload.reason,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )
    return draft_created(draft)


@router.post("/restoration", response=DRAFT_RESPONSES)
def record_restoration(request: HttpRequest, payload: RestorationIn) -> Status[object]:
    """Enter a 再製 of a lost or damaged record as a draft, with the corrections the sources show."""
    draft = restoration.record_restoration(
        actor=request.user,
        purpose=payload.purpose,
        restoration=restoration.Restoration(
            atena_numbers=payload.atena_numbers,
            restored_on=payload.restored_on,
            cause=payload.cause,
            cause_detail=payload.cause_detail,
            sources=payload.sources,
            corrections=payload.corrections,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )
    return draft_created(draft)


@router.post("/reorganisation/generations", response={200: GenerationsOut, **ERRORS})
def generations(request: HttpRequest, payload: GenerationsIn) -> Status[object]:
    """Which history rows form each 改製原住民票 / 再製原住民票 and the current record (audited 履歴照会)."""
    found = reorganisation.resident_generations(
        actor=request.user,
        purpose=payload.purpose,
        atena_number=payload.atena_number,
        acknowledged_alerts=payload.acknowledged_alerts,
    )

    def numbers(rows: tuple[ResidentView, ...]) -> list[int]:
        return [row.history_no for row in rows if row.history_no is not None]

    return Status(
        200,
        {
            "reorganisation_count": found.reorganisation_count,
            "restoration_count": found.restoration_count,
            "original_records": [numbers(rows) for rows in found.original_records],
            "closed_by": list(found.closing_reasons),
            "current_record": numbers(found.current_record),
        },
    )
