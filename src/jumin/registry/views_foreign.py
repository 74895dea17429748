"""Clerk screens of 帰化・国籍取得, 国籍喪失, 法30条の46・47, 旧氏, 通称 and the 法30条の50 notice import.

Thin: a form, one service or selector call, a template. Everything travels by POST (宛名番号 and
notice files never appear in URLs). An alert comes back as a checkbox per alert; ticking it and
sending again is the clerk's audited acknowledgment.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.domain.eras import Calendar
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import (
    ForeignResidentItems,
    PersonFacts,
    ResidentKind,
    Sex,
    parse_former_alien_registration_date,
)
from jumin.domain.special_permanent_certificate import CertificateProcedure, ReturnReason
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry.forms_foreign import (
    AliasForm,
    AliasHistoryForm,
    CertificateHandoverForm,
    ForeignRegistrationForm,
    FormerSurnameForm,
    LossForm,
    NaturalisationForm,
    NoticeConfirmForm,
    NoticeFileForm,
)
from jumin.registry.member_rows import relationship_proof_from
from jumin.registry.services import Address, DraftRecorded
from jumin.registry.views_common import (
    DONE_TEMPLATE,
    acknowledged,
    clerk_screen,
    enter_draft,
    shown_on_screen,
)
from jumin.registry.workflows import (
    foreign_registration,
    immigration_notices,
    names,
    naturalisation,
    special_permanent_certificate,
)

FORM_TEMPLATE = "registry/foreign/form.html"
NOTICES_TEMPLATE = "registry/foreign/notices.html"


def _screen(title: str, lead: str) -> dict[str, str]:
    return {"title": title, "lead": lead}


def _new_name(data: dict[str, Any]) -> naturalisation.PersonName | None:
    if not any(data[key] for key in ("surname", "given_name", "surname_kana", "given_name_kana")):
        return None
    return naturalisation.PersonName(
        data["surname"], data["given_name"], data["surname_kana"], data["given_name_kana"]
    )


def _foreign_items(data: dict[str, Any]) -> ForeignResidentItems:
    return ForeignResidentItems(
        nationality_code=data["nationality_code"],
        category=data["foreign_category"],
        alphabet_name=data["alphabet_name"],
        residence_status=data["residence_status"],
        period_of_stay=data["period_of_stay"],
        stay_expiry_date=data["stay_expiry_date"],
        residence_card_number=data["residence_card_number"],
        special_permanent_resident_number=data["special_permanent_resident_number"],
        landing_period=data["landing_period"],
        provisional_stay_period=data["provisional_stay_period"],
    )


@clerk_screen
def naturalisation_view(request: HttpRequest) -> HttpResponse:
    """帰化・国籍取得の入力 (draft): the foreign record becomes a Japanese one."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return naturalisation.record_naturalisation(
            actor=request.user,
            purpose=data["purpose"],
            naturalisation=naturalisation.Naturalisation(
                atena_number=data["atena_number"],
                event=naturalisation.NationalityEvent(data["event"]),
                event_date=data["event_date"],
                notified_on=data["notified_on"],
                honseki=data["honseki"],
                hittousha=data["hittousha"],
                findings=data["findings"],
                name=_new_name(data),
                legal_basis=data["legal_basis"],
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    context = _screen(
        "帰化・国籍取得の入力（仮登録）",
        "外国人住民票を日本人住民票にします。宛名番号・住民票コード・個人番号はそのまま引き継ぎます。",
    )
    return enter_draft(request, NaturalisationForm(request.POST or None), FORM_TEMPLATE, submit, context)


@clerk_screen
def loss_view(request: HttpRequest) -> HttpResponse:
    """国籍喪失の入力 (draft): the Japanese record becomes a foreign one."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return naturalisation.record_loss_of_nationality(
            actor=request.user,
            purpose=data["purpose"],
            loss=naturalisation.LossOfNationality(
                atena_number=data["atena_number"],
                loss_date=data["loss_date"],
                notified_on=data["notified_on"],
                foreign=_foreign_items(data),
                findings=data["findings"],
                name=_new_name(data),
                legal_basis=data["legal_basis"],
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    context = _screen(
        "国籍喪失の入力（仮登録）",
        "日本人住民票を外国人住民票にします。30条の45区分は通常「経過滞在者」です。",
    )
    return enter_draft(request, LossForm(request.POST or None), FORM_TEMPLATE, submit, context)


def _registrant(data: dict[str, Any]) -> PersonFacts:
    birth = parse_date_input(
        data["birth_date"], field_kind=DateFieldKind.BIRTH, calendar=Calendar.GREGORIAN, field="birth_date"
    )
    return PersonFacts(
        kind=ResidentKind.FOREIGN,
        surname=data["surname"],
        given_name=data["given_name"],
        surname_kana=data["surname_kana"],
        given_name_kana=data["given_name_kana"],
        birth_date=birth.value,
        sex=Sex(data["sex"]),
        relationship=parse_relationship(data["relationship"], field="relationship"),
        relationship_proof=relationship_proof_from(data),
        foreign=_foreign_items(data),
        former_alien_registration_date=parse_former_alien_registration_date(
            data["former_alien_registration_date"], field="former_alien_registration_date"
        ),
    )


@clerk_screen
def registration_view(request: HttpRequest) -> HttpResponse:
    """法30条の46・47の届出の入力 (draft, one person)."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return foreign_registration.record_foreign_registration(
            actor=request.user,
            purpose=data["purpose"],
            registration=foreign_registration.ForeignRegistration(
                basis=foreign_registration.RegistrationBasis(data["basis"]),
                members=[_registrant(data)],
                address=Address(
                    address=data["address"], katagaki=data["katagaki"], postal_code=data["postal_code"]
                ),
                address_set_date=data["address_set_date"],
                notification_date=data["notification_date"],
                previous_address=data["previous_address"],
                became_foreign_resident_on=data["became_foreign_resident_on"],
                household_number=data["household_number"] or None,
                landing_permit=data["landing_permit"],
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    context = _screen(
        "外国人住民の届出（法30条の46・47）の入力（仮登録）",
        "国外から転入して住所を定めた方（30条の46）、住民となった後に中長期在留者等となった方（30条の47）。"
        "14日を超えた届出は確認が必要です。",
    )
    return enter_draft(request, ForeignRegistrationForm(request.POST or None), FORM_TEMPLATE, submit, context)


@clerk_screen
def former_surname_view(request: HttpRequest) -> HttpResponse:
    """旧氏の記載・変更・削除の入力 (draft, on request)."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return names.record_former_surname_request(
            actor=request.user,
            purpose=data["purpose"],
            request=names.FormerSurnameRequest(
                atena_number=data["atena_number"],
                operation=names.FormerSurnameOperation(data["operation"]),
                request_date=data["request_date"],
                former_surname=data["former_surname"],
                former_surname_kana=data["former_surname_kana"],
                former_surname_kana_confirmed=data["former_surname_kana_confirmed"],
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    context = _screen(
        "旧氏の記載・変更・削除（仮登録）", "日本人住民の方の請求により旧氏を記載・変更・削除します。"
    )
    return enter_draft(request, FormerSurnameForm(request.POST or None), FORM_TEMPLATE, submit, context)


@clerk_screen
def alias_view(request: HttpRequest) -> HttpResponse:
    """通称の記載・削除の入力 (draft, on application); 「履歴を表示」 shows the 通称 history (audited)."""
    context: dict[str, Any] = _screen(
        "通称の記載・削除（仮登録）",
        "外国人住民の方の申出により通称を記載・削除します。記載・削除の年月日と市区町村は履歴に残ります。",
    )
    context["alias_screen"] = True
    if request.method == "POST" and "show" in request.POST:
        lookup = AliasHistoryForm(request.POST)
        context["form"] = AliasForm(request.POST)
        if lookup.is_valid():
            with shown_on_screen(context, pending_alerts=False):
                context["alias_history"] = names.alias_history(
                    actor=request.user,
                    purpose=lookup.cleaned_data["purpose"],
                    atena_number=lookup.cleaned_data["atena_number"],
                    acknowledged_alerts=acknowledged(request),
                )
        return render(request, FORM_TEMPLATE, context)

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return names.record_alias_application(
            actor=request.user,
            purpose=data["purpose"],
            application=names.AliasApplication(
                atena_number=data["atena_number"],
                operation=names.AliasOperation(data["operation"]),
                application_date=data["application_date"],
                municipality_name=data["municipality_name"],
                alias=data["alias"],
                alias_kana=data["alias_kana"],
                alias_kana_confirmed=data["alias_kana_confirmed"],
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    return enter_draft(request, AliasForm(request.POST or None), FORM_TEMPLATE, submit, context)


@clerk_screen
def certificate_view(request: HttpRequest) -> HttpResponse:
    """特別永住者証明書の交付・再交付・有効期間更新の入力 (draft 職権修正 of the number and expiry)."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return special_permanent_certificate.record_certificate_handover(
            actor=request.user,
            purpose=data["purpose"],
            handover=special_permanent_certificate.CertificateHandover(
                atena_number=data["atena_number"],
                procedure=CertificateProcedure(data["procedure"]),
                certificate_number=data["certificate_number"],
                issued_on=data["issued_on"],
                expiry=data["expiry"],
                nationality_code=data["nationality_code"],
                alphabet_name=data["alphabet_name"],
                returned_on=data["returned_on"],
                return_reason=ReturnReason(data["return_reason"]),
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    context = _screen(
        "特別永住者証明書の交付・再交付・有効期間更新・返納（仮登録）",
        "交付した証明書の番号と有効期間の満了日（証明書で変わった国籍・地域、氏名（ローマ字）も）を住民票に記載します"
        "（職権修正）。返納は記載事項を変えずに返納日と番号を記録します。本登録すると出入国在留管理庁への"
        "市町村通知（入管法）、国籍・氏名が変わったときは市町村伝達（住基法・入管法）を作ります。",
    )
    return enter_draft(request, CertificateHandoverForm(request.POST or None), FORM_TEMPLATE, submit, context)


@clerk_screen
def notices_view(request: HttpRequest) -> HttpResponse:
    """法30条の50通知の取込: upload → 確認票 (before/after per person) → 仮登録 per confirmed person."""
    context: dict[str, Any] = {}
    if request.method == "POST" and "confirm" in request.POST:
        confirm = NoticeConfirmForm(request.POST)
        if confirm.is_valid():
            data = confirm.cleaned_data
            with shown_on_screen(context, pending_alerts=False) as outcome:
                draft = immigration_notices.record_immigration_notice(
                    actor=request.user,
                    purpose=data["purpose"],
                    confirmation=immigration_notices.NoticeConfirmation(
                        content=data["content"],
                        notice_id=data["notice_id"],
                        acknowledged_alerts=acknowledged(request),
                    ),
                )
            if outcome.ok:
                return render(request, DONE_TEMPLATE, {"draft": draft})
            return _preview(request, data["purpose"], data["content"], context)
        context["error_text"] = "確認票から通知を選び直してください。"
    form = NoticeFileForm(request.POST or None, request.FILES or None)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        return _preview(request, form.cleaned_data["purpose"], form.cleaned_data["notice_file"], context)
    return render(request, NOTICES_TEMPLATE, context)


def _preview(request: HttpRequest, purpose: str, content: str, context: dict[str, Any]) -> HttpResponse:
    with shown_on_screen(context, pending_alerts=False):
        context["preview"] = immigration_notices.preview_immigration_notices(
            actor=request.user, purpose=purpose, content=content
        )
    context.update(purpose=purpose, content=content)
    context.setdefault("form", NoticeFileForm(initial={"purpose": purpose}))
    return render(request, NOTICES_TEMPLATE, context)
