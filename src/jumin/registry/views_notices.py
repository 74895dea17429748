"""Clerk screens of the 戸籍 notice workflows (失踪, 失踪宣告の取消し, 本籍・筆頭者), 改製 and 再製.

Thin: a form, one service call, a template; everything by POST (宛名番号 never in URLs). Alerts come
back as checkboxes, as on the 職権 screens (views_common.enter_draft).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import views_honseki
from jumin.registry.forms_household import atena_lines
from jumin.registry.forms_notices import (
    DisappearanceForm,
    HonsekiNoticeForm,
    ReorganisationForm,
    RestorationForm,
    RevocationForm,
    restoration_corrections,
)
from jumin.registry.services import Address, DraftRecorded
from jumin.registry.views_common import acknowledged, clerk_screen, enter_draft
from jumin.registry.workflows import disappearance, honseki_notice, reorganisation, restoration


def _notice(data: dict[str, Any]) -> disappearance.FamilyRegisterNotice:
    return disappearance.FamilyRegisterNotice(
        notice_date=data["notice_date"],
        notifying_municipality=data["notifying_municipality"],
        findings=data.get("findings", ""),
    )


@clerk_screen
def disappearance_view(request: HttpRequest) -> HttpResponse:
    """失踪（失踪宣告による職権消除）の入力 (draft)."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        deemed = parse_date_input(
            data["deemed_death_date"], field_kind=DateFieldKind.EVENT_DISAPPEARANCE, field="deemed_death_date"
        )
        honseki, hittousha = views_honseki.picked(data)
        return disappearance.record_disappearance(
            actor=request.user,
            purpose=data["purpose"],
            disappearance=disappearance.Disappearance(
                atena_number=data["atena_number"],
                deemed_death_date=deemed.value,
                decision_date=data["decision_date"],
                notice=_notice(data),
                honseki=honseki,
                hittousha=hittousha,
                attention_note=data["attention_note"],
            ),
        )

    template = "registry/notices/disappearance.html"
    offered = views_honseki.offer(request, DisappearanceForm, template, person_field="atena_number")
    return offered or enter_draft(request, DisappearanceForm(request.POST or None), template, submit)


@clerk_screen
def revocation_view(request: HttpRequest) -> HttpResponse:
    """失踪宣告の取消し（職権記載）の入力 (draft)."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        address_set = parse_date_input(
            data["address_set_date"], field_kind=DateFieldKind.ADDRESS_SET, field="address_set_date"
        )
        return disappearance.record_disappearance_revocation(
            actor=request.user,
            purpose=data["purpose"],
            revocation=disappearance.DisappearanceRevocation(
                atena_number=data["atena_number"],
                revocation_date=data["revocation_date"],
                notice=_notice(data),
                address=Address(
                    address=data["address"], katagaki=data["katagaki"], postal_code=data["postal_code"]
                ),
                address_set_date=address_set.value,
                household_number=data["household_number"] or None,
                relationship=data["relationship"],
                previous_address=data["previous_address"],
                acknowledged_alerts=acknowledged(request),
                attention_note=data["attention_note"],
            ),
        )

    form = RevocationForm(request.POST or None)
    return enter_draft(request, form, "registry/notices/revocation.html", submit)


@clerk_screen
def honseki_notice_view(request: HttpRequest) -> HttpResponse:
    """本籍・筆頭者の職権修正（法9条2項通知）の入力 (draft)."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return honseki_notice.record_honseki_notice(
            actor=request.user,
            purpose=data["purpose"],
            notice=honseki_notice.HonsekiNotice(
                atena_numbers=atena_lines(data["atena_numbers"]),
                honseki=data["honseki"],
                hittousha=data["hittousha"],
                event_date=data["event_date"],
                notice_date=data["notice_date"],
                notifying_municipality=data["notifying_municipality"],
                family_register_event=data["family_register_event"],
                acknowledged_alerts=acknowledged(request),
            ),
        )

    form = HonsekiNoticeForm(request.POST or None)
    return enter_draft(request, form, "registry/notices/honseki.html", submit)


@clerk_screen
def reorganisation_view(request: HttpRequest) -> HttpResponse:
    """改製の入力 (draft; manual only, standard 1.1.4-b)."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return reorganisation.record_reorganisation(
            actor=request.user,
            purpose=data["purpose"],
            reorganisation=reorganisation.Reorganisation(
                atena_numbers=atena_lines(data["atena_numbers"]),
                reorganised_on=data["reorganised_on"],
                reason=data["reason"],
                acknowledged_alerts=acknowledged(request),
            ),
        )

    form = ReorganisationForm(request.POST or None)
    return enter_draft(request, form, "registry/notices/reorganisation.html", submit)


@clerk_screen
def restoration_view(request: HttpRequest) -> HttpResponse:
    """再製の入力 (draft): a lost or damaged record re-created from the sources, corrections included."""

    def submit(data: dict[str, Any]) -> DraftRecorded:
        return restoration.record_restoration(
            actor=request.user,
            purpose=data["purpose"],
            restoration=restoration.Restoration(
                atena_numbers=atena_lines(data["atena_numbers"]),
                restored_on=data["restored_on"],
                cause=restoration.RestorationCause(data["cause"]),
                cause_detail=data["cause_detail"],
                sources=data["sources"],
                corrections=restoration_corrections(data["corrections"]),
                acknowledged_alerts=acknowledged(request),
            ),
        )

    form = RestorationForm(request.POST or None)
    return enter_draft(request, form, "registry/notices/restoration.html", submit)
