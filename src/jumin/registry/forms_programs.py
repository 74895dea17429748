"""Clerk input for the program flags, 個人番号カード and daily batch screens. Forms only parse."""

from __future__ import annotations

from django import forms

from jumin.accounts.forms import PurposeForm
from jumin.registry.cards import CardEventKind, CardKind
from jumin.registry.programs import PENSION_KINDS, PROGRAM_LABELS

_DATE = forms.DateInput(attrs={"type": "date"})
_DATED_LABEL = "国保・後期高齢・介護・国民年金"
PROGRAM_CHOICES = [(program.value, label) for program, label in PROGRAM_LABELS.items()]


class ProgramPersonForm(PurposeForm):
    atena_number = forms.CharField(label="宛名番号", max_length=16)


class ProgramUpdateForm(PurposeForm):
    atena_number = forms.CharField(label="宛名番号", max_length=16)
    program = forms.ChoiceField(
        label="制度", choices=[(p.value, label) for p, label in PROGRAM_LABELS.items()]
    )
    enrolled = forms.TypedChoiceField(
        label="資格・登録",
        choices=[("1", "あり（取得・登録）"), ("0", "なし（喪失・抹消）")],
        coerce=lambda value: value == "1",
    )
    acquired_on = forms.DateField(
        label="資格取得日（国保・後期高齢・介護・国民年金。成年被後見人は後見開始日）",
        widget=_DATE,
        required=False,
    )
    lost_on = forms.DateField(
        label="資格喪失日（国保・後期高齢・介護・国民年金。成年被後見人は後見終了日）",
        widget=_DATE,
        required=False,
    )
    basic_pension_number = forms.CharField(
        label="基礎年金番号（国民年金。例: 1234-567890）", max_length=11, required=False
    )
    pension_kind = forms.ChoiceField(
        label="国民年金の種別",
        choices=[("", "（国民年金以外）"), *[(kind, kind) for kind in PENSION_KINDS]],
        required=False,
    )
    first_month = forms.CharField(label="支給開始月（児童手当。例: 2026-04）", max_length=7, required=False)
    last_month = forms.CharField(label="支給終了月（児童手当）", max_length=7, required=False)
    reason = forms.CharField(label="事由", max_length=200, required=False)


class CardStatusForm(PurposeForm):
    atena_number = forms.CharField(label="宛名番号", max_length=16)
    with_individual_number = forms.BooleanField(
        label="個人番号も表示する（特定個人情報の権限が必要。表示は記録されます）", required=False
    )
    fetch_serial = forms.BooleanField(
        label="利用者証明用電子証明書シリアル番号を住基ネットから取得する（CSカード業務の権限が必要）",
        required=False,
    )


class CardEventForm(PurposeForm):
    atena_number = forms.CharField(label="宛名番号", max_length=16)
    # Optional so that a post without it (older clients) stays about the 個人番号カード.
    card_kind = forms.TypedChoiceField(
        label="カード種別",
        choices=CardKind.choices,
        coerce=CardKind,
        required=False,
        empty_value=CardKind.INDIVIDUAL_NUMBER,
        initial=CardKind.INDIVIDUAL_NUMBER,
    )
    event = forms.ChoiceField(label="カード運用状況", choices=CardEventKind.choices)
    event_date = forms.DateField(label="発生日", widget=_DATE)
    expiry_date = forms.DateField(label="カード有効期限（交付の場合）", widget=_DATE, required=False)
    remarks = forms.CharField(label="備考", max_length=200, required=False)


class DailyBatchForm(PurposeForm):
    """The purpose only: the buttons say whether to list or to run."""
