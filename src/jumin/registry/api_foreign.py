"""JSON API of the foreign-resident and name workflows (Django Ninja), mounted at /api/registry/foreign.

Thin like jumin.registry.api: parse, call one service or selector, return. People and notice files
travel in bodies, never URLs. An alert must be acknowledged: the first call answers 400
``registry.alerts_not_acknowledged``; the clerk resends the codes in ``acknowledged_alerts``.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from jumin.domain.resident import ForeignResidentItems
from jumin.domain.special_permanent_certificate import CertificateProcedure, ReturnReason
from jumin.registry.api import AddressIn, ForeignIn, PersonIn, _person
from jumin.registry.api_common import DRAFT_RESPONSES, ERRORS, AttentionNoteIn, draft_created
from jumin.registry.services import Address
from jumin.registry.workflows import (
    foreign_registration,
    immigration_notices,
    names,
    naturalisation,
    special_permanent_certificate,
)

router = Router(tags=["住民記録（外国人住民・旧氏・通称）"])


class NameIn(Schema):
    surname: str
    given_name: str = ""
    surname_kana: str
    given_name_kana: str = ""


class NaturalisationIn(AttentionNoteIn):
    purpose: str
    atena_number: str
    event: naturalisation.NationalityEvent = naturalisation.NationalityEvent.NATURALISATION
    event_date: date
    notified_on: date
    honseki: str
    hittousha: str
    findings: str
    name: NameIn | None = None
    legal_basis: str = naturalisation.NATURALISATION_BASIS
    acknowledged_alerts: list[str] = Field(default_factory=list)


class LossIn(AttentionNoteIn):
    purpose: str
    atena_number: str
    loss_date: date
    notified_on: date
    foreign: ForeignIn
    findings: str
    name: NameIn | None = None
    legal_basis: str = naturalisation.NATURALISATION_BASIS
    acknowledged_alerts: list[str] = Field(default_factory=list)


class RegistrationIn(AttentionNoteIn):
    purpose: str
    basis: foreign_registration.RegistrationBasis
    members: list[PersonIn]
    address: AddressIn
    address_set_date: date
    notification_date: date
    previous_address: str = ""
    became_foreign_resident_on: date | None = None
    household_number: str | None = None
    landing_permit: bool = False
    acknowledged_alerts: list[str] = Field(default_factory=list)


class FormerSurnameIn(AttentionNoteIn):
    purpose: str
    atena_number: str
    operation: names.FormerSurnameOperation
    request_date: date
    former_surname: str = ""
    former_surname_kana: str = ""
    former_surname_kana_confirmed: bool = False  # フリガナ確認 (standard 1.1.18-a)
    acknowledged_alerts: list[str] = Field(default_factory=list)


class AliasIn(AttentionNoteIn):
    purpose: str
    atena_number: str
    operation: names.AliasOperation
    application_date: date
    municipality_name: str
    alias: str = ""
    alias_kana: str = ""
    alias_kana_confirmed: bool = False  # フリガナ確認 (standard 1.1.18-a)
    acknowledged_alerts: list[str] = Field(default_factory=list)


class CertificateHandoverIn(AttentionNoteIn):
    purpose: str
    atena_number: str
    procedure: CertificateProcedure
    certificate_number: str = ""
    issued_on: date | None = None
    expiry: date | None = None
    # What the new certificate changed (a 変更届出 made with it); blank keeps the record's.
    nationality_code: str = ""
    alphabet_name: str = ""
    # A 返納: the day and why (certificate_number is the returned certificate's).
    returned_on: date | None = None
    return_reason: ReturnReason = ReturnReason.STATUS_ENDED
    acknowledged_alerts: list[str] = Field(default_factory=list)


class PersonLookupIn(Schema):
    purpose: str
    atena_number: str
    acknowledged_alerts: list[str] = Field(default_factory=list)


class NoticeFileIn(Schema):
    purpose: str
    content: str


class NoticeConfirmIn(Schema):
    purpose: str
    content: str
    notice_id: str
    acknowledged_alerts: list[str] = Field(default_factory=list)


def _name(data: NameIn | None) -> naturalisation.PersonName | None:
    return naturalisation.PersonName(**data.dict()) if data else None


@router.post("/naturalisation", response=DRAFT_RESPONSES)
def record_naturalisation(request: HttpRequest, payload: NaturalisationIn) -> Status[object]:
    """Enter a 帰化 or 国籍取得 as a draft (仮登録); another clerk commits it."""
    draft = naturalisation.record_naturalisation(
        actor=request.user,
        purpose=payload.purpose,
        naturalisation=naturalisation.Naturalisation(
            atena_number=payload.atena_number,
            event=payload.event,
            event_date=payload.event_date,
            notified_on=payload.notified_on,
            honseki=payload.honseki,
            hittousha=payload.hittousha,
            findings=payload.findings,
            name=_name(payload.name),
            legal_basis=payload.legal_basis,
            acknowledged_alerts=payload.acknowledged_alerts,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft)


@router.post("/loss-of-nationality", response=DRAFT_RESPONSES)
def record_loss(request: HttpRequest, payload: LossIn) -> Status[object]:
    """Enter a 国籍喪失 as a draft (仮登録); another clerk commits it."""
    draft = naturalisation.record_loss_of_nationality(
        actor=request.user,
        purpose=payload.purpose,
        loss=naturalisation.LossOfNationality(
            atena_number=payload.atena_number,
            loss_date=payload.loss_date,
            notified_on=payload.notified_on,
            foreign=ForeignResidentItems(**payload.foreign.dict()),
            findings=payload.findings,
            name=_name(payload.name),
            legal_basis=payload.legal_basis,
            acknowledged_alerts=payload.acknowledged_alerts,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft)


@router.post("/registration", response=DRAFT_RESPONSES)
def record_registration(request: HttpRequest, payload: RegistrationIn) -> Status[object]:
    """Enter a 法30条の46 or 30条の47 notification as a draft (仮登録)."""
    draft = foreign_registration.record_foreign_registration(
        actor=request.user,
        purpose=payload.purpose,
        registration=foreign_registration.ForeignRegistration(
            basis=payload.basis,
            members=[_person(member, i) for i, member in enumerate(payload.members)],
            address=Address(**payload.address.dict()),
            address_set_date=payload.address_set_date,
            notification_date=payload.notification_date,
            previous_address=payload.previous_address,
            became_foreign_resident_on=payload.became_foreign_resident_on,
            household_number=payload.household_number,
            landing_permit=payload.landing_permit,
            acknowledged_alerts=payload.acknowledged_alerts,
            attention_note=payload.attention_note,
        ),
    )
    return draft_created(draft)


@router.post("/former-surname", response=DRAFT_RESPONSES)
def record_former_surname(request: HttpRequest, payload: FormerSurnameIn) -> Status[object]:
    """Enter a 旧氏の記載・変更・削除 as a draft (仮登録)."""
    draft = names.record_former_surname_request(
        actor=request.user,
        purpose=payload.purpose,
        request=names.FormerSurnameRequest(**payload.dict(exclude={"purpose"})),
    )
    return draft_created(draft)


@router.post("/alias", response=DRAFT_RESPONSES)
def record_alias(request: HttpRequest, payload: AliasIn) -> Status[object]:
    """Enter a 通称の記載・削除 as a draft (仮登録)."""
    draft = names.record_alias_application(
        actor=request.user,
        purpose=payload.purpose,
        application=names.AliasApplication(**payload.dict(exclude={"purpose"})),
    )
    return draft_created(draft)


@router.post("/special-permanent-certificate", response=DRAFT_RESPONSES)
def record_certificate_handover(request: HttpRequest, payload: CertificateHandoverIn) -> Status[object]:
    """Enter a 特別永住者証明書の交付・再交付・有効期間更新 (with a changed 国籍・地域 or 氏名（ローマ字）)
    or its 返納 as a draft 職権修正 (仮登録)."""
    draft = special_permanent_certificate.record_certificate_handover(
        actor=request.user,
        purpose=payload.purpose,
        handover=special_permanent_certificate.CertificateHandover(**payload.dict(exclude={"purpose"})),
    )
    return draft_created(draft)


@router.post("/alias-history", response={200: list[names.AliasEntry], **ERRORS})
def alias_history(request: HttpRequest, payload: PersonLookupIn) -> Status[object]:
    """A person's 通称 with the dates and municipalities of recording and deletion (audited)."""
    return Status(
        200,
        names.alias_history(
            actor=request.user,
            purpose=payload.purpose,
            atena_number=payload.atena_number,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )


@router.post(
    "/immigration-notices/preview",
    response={200: immigration_notices.NoticePreview, **ERRORS},
)
def preview_notices(request: HttpRequest, payload: NoticeFileIn) -> Status[object]:
    """The 確認票 of a 法30条の50 notice file: before/after per matched person, unmatched rows listed."""
    return Status(
        200,
        immigration_notices.preview_immigration_notices(
            actor=request.user, purpose=payload.purpose, content=payload.content
        ),
    )


@router.post("/immigration-notices/confirm", response=DRAFT_RESPONSES)
def confirm_notice(request: HttpRequest, payload: NoticeConfirmIn) -> Status[object]:
    """Enter one confirmed notice as a draft 「法30条の50通知」 change."""
    draft = immigration_notices.record_immigration_notice(
        actor=request.user,
        purpose=payload.purpose,
        confirmation=immigration_notices.NoticeConfirmation(
            content=payload.content,
            notice_id=payload.notice_id,
            acknowledged_alerts=payload.acknowledged_alerts,
        ),
    )
    return draft_created(draft)
