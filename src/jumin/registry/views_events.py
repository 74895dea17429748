"""Clerk screens of the 転出・死亡・出生 workflows. Thin: a form, one service call, a template."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from jumin.accounts.forms import PurposeForm
from jumin.domain.eras import Calendar
from jumin.domain.errors import Alert
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import ChangeReason, ForeignResidentItems, PersonFacts, ResidentKind, Sex
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import views_honseki
from jumin.registry.forms import AttentionNoteFields, honseki_choice_field
from jumin.registry.forms_corrections import ExOfficioEventForm, event_basis
from jumin.registry.services import DraftRecorded
from jumin.registry.views_common import clerk_screen, enter_draft
from jumin.registry.workflows import birth, death, move_out

_DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


class MoveOutForm(PurposeForm, AttentionNoteFields, ExOfficioEventForm):
    note_reasons = (ChangeReason.DOMESTIC_MOVE_OUT, ChangeReason.MOVE_OUT_ABROAD)

    atena_numbers = forms.CharField(
        label="転出する方の宛名番号（複数は改行・空白・読点で区切る）",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.ChoiceField(
        label="異動事由",
        choices=[(ChangeReason.DOMESTIC_MOVE_OUT, "国内転出"), (ChangeReason.MOVE_OUT_ABROAD, "国外転出")],
    )
    planned_date = forms.DateField(label="転出予定日", widget=_DATE_WIDGET)
    # Blank only for an adoptee under 特別養子縁組 (1.1.5-b): the workflow checks the 留意事項.
    destination = forms.CharField(
        label="転出先（予定）（市区町村名だけでも可。特別養子縁組で留意事項が「特別養子縁組」のときは空欄可）",
        max_length=200,
        required=False,
    )
    destination_municipality_code = forms.CharField(
        label="転入予定地の市町村コード（6桁。カードをお持ちの方は特例転出になります）",
        max_length=6,
        required=False,
    )
    destination_postal_code = forms.CharField(
        label="転出先（予定）の郵便番号（空欄なら住所辞書から）", max_length=8, required=False
    )
    notification_date = forms.DateField(
        label="届出日（職権のときは記録しません）",
        initial=timezone.localdate,
        widget=_DATE_WIDGET,
        required=False,
    )


class DeathForm(PurposeForm, AttentionNoteFields):
    note_reasons = (ChangeReason.DEATH,)

    atena_number = forms.CharField(label="宛名番号", max_length=16)
    death_date = forms.CharField(label="死亡日（例: 令和8年11月1日、令和8年11月上旬）", max_length=40)
    notification_date = forms.DateField(
        label="届出日（戸籍の届出を受けた日）", initial=timezone.localdate, widget=_DATE_WIDGET
    )
    informant = forms.CharField(label="届出人の資格（例: 同居の親族）", max_length=40, required=False)
    honseki = forms.CharField(
        label="本籍（死亡届の記載が住民票と異なる場合のみ）", max_length=200, required=False
    )
    hittousha = forms.CharField(label="筆頭者（同上）", max_length=100, required=False)
    honseki_choice = honseki_choice_field()


class BirthForm(PurposeForm, AttentionNoteFields):
    note_reasons = (ChangeReason.BIRTH,)

    household_number = forms.CharField(label="世帯番号", max_length=16)
    notification_date = forms.DateField(
        label="届出日（戸籍の届出を受けた日）", initial=timezone.localdate, widget=_DATE_WIDGET
    )
    kind = forms.ChoiceField(
        label="住民種別", choices=[(ResidentKind.JAPANESE, "日本人"), (ResidentKind.FOREIGN, "外国人")]
    )
    surname = forms.CharField(label="氏", max_length=100)
    given_name = forms.CharField(label="名", max_length=100, required=False)
    surname_kana = forms.CharField(label="氏（フリガナ）", max_length=100)
    given_name_kana = forms.CharField(label="名（フリガナ）", max_length=100, required=False)
    birth_date = forms.CharField(label="出生日（例: 令和8年11月1日）", max_length=40)
    sex = forms.ChoiceField(label="性別", choices=[(Sex.MALE, "男"), (Sex.FEMALE, "女")])
    relationship = forms.CharField(label="続柄（子、子の子など）", max_length=40, initial="子")
    honseki = forms.CharField(label="本籍（空欄なら世帯主と同じ）", max_length=200, required=False)
    hittousha = forms.CharField(label="筆頭者（空欄なら世帯主と同じ）", max_length=100, required=False)
    honseki_choice = honseki_choice_field()
    nationality_code = forms.CharField(label="国籍・地域コード（外国人）", max_length=3, required=False)
    foreign_category = forms.CharField(
        label="30条の45区分（外国人、例: 経過滞在者）", max_length=20, required=False
    )


def _screen(
    request: HttpRequest,
    form: PurposeForm,
    template: str,
    submit: Callable[[dict[str, Any]], tuple[DraftRecorded, tuple[Alert, ...]]],
) -> HttpResponse:
    """Show the form; on a valid POST call the service and show the draft, or the error in full."""

    def with_date_alerts(data: dict[str, Any]) -> DraftRecorded:
        draft, date_alerts = submit(data)
        return dataclasses.replace(draft, alerts=(*date_alerts, *draft.alerts))

    return enter_draft(request, form, template, with_date_alerts, pending_alerts=False)


@clerk_screen
def move_out_view(request: HttpRequest) -> HttpResponse:
    """転出届の入力 (draft)."""

    def submit(data: dict[str, Any]) -> tuple[DraftRecorded, tuple[Alert, ...]]:
        numbers = [n for n in re.split(r"[\s,、，]+", data["atena_numbers"]) if n]
        draft = move_out.record_move_out(
            actor=request.user,
            purpose=data["purpose"],
            move_out=move_out.MoveOut(
                atena_numbers=numbers,
                planned_date=data["planned_date"],
                destination=data["destination"],
                notification_date=data["notification_date"],
                reason=ChangeReason(data["reason"]),
                destination_municipality_code=data["destination_municipality_code"],
                destination_postal_code=data["destination_postal_code"],
                ex_officio=event_basis(data),
                attention_note=data["attention_note"],
            ),
        )
        return draft, ()

    template = "registry/move_out.html"
    return _screen(request, MoveOutForm(request.POST or None), template, submit)


@clerk_screen
def death_view(request: HttpRequest) -> HttpResponse:
    """死亡の入力 (draft, 職権 from the 戸籍 filing)."""

    def submit(data: dict[str, Any]) -> tuple[DraftRecorded, tuple[Alert, ...]]:
        died = parse_date_input(data["death_date"], field_kind=DateFieldKind.EVENT_DEATH, field="death_date")
        honseki, hittousha = views_honseki.picked(data)
        draft = death.record_death(
            actor=request.user,
            purpose=data["purpose"],
            death=death.Death(
                atena_number=data["atena_number"],
                death_date=died.value,
                notification_date=data["notification_date"],
                informant=data["informant"],
                honseki=honseki,
                hittousha=hittousha,
                attention_note=data["attention_note"],
            ),
        )
        return draft, tuple(died.alerts)

    template = "registry/death.html"
    offered = views_honseki.offer(request, DeathForm, template, person_field="atena_number")
    return offered or _screen(request, DeathForm(request.POST or None), template, submit)


@clerk_screen
def birth_view(request: HttpRequest) -> HttpResponse:
    """出生の入力 (draft, 職権 from the 戸籍 filing)."""

    def submit(data: dict[str, Any]) -> tuple[DraftRecorded, tuple[Alert, ...]]:
        foreign = data["kind"] == ResidentKind.FOREIGN
        born = parse_date_input(
            data["birth_date"],
            field_kind=DateFieldKind.EVENT_BIRTH,
            calendar=Calendar.GREGORIAN if foreign else Calendar.WAREKI,
            field="birth_date",
        )
        items = (
            ForeignResidentItems(nationality_code=data["nationality_code"], category=data["foreign_category"])
            if foreign
            else None
        )
        honseki, hittousha = views_honseki.picked(data)
        child = PersonFacts(
            kind=ResidentKind(data["kind"]),
            surname=data["surname"],
            given_name=data["given_name"],
            surname_kana=data["surname_kana"],
            given_name_kana=data["given_name_kana"],
            birth_date=born.value,
            sex=Sex(data["sex"]),
            relationship=parse_relationship(data["relationship"]),
            honseki=honseki,
            hittousha=hittousha,
            foreign=items,
        )
        draft = birth.record_birth(
            actor=request.user,
            purpose=data["purpose"],
            birth=birth.Birth(
                child=child,
                household_number=data["household_number"],
                notification_date=data["notification_date"],
                attention_note=data["attention_note"],
            ),
        )
        return draft, tuple(born.alerts)

    template = "registry/birth.html"
    offered = views_honseki.offer(request, BirthForm, template, household_field="household_number")
    return offered or _screen(request, BirthForm(request.POST or None), template, submit)
