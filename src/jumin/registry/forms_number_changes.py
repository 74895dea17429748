"""Clerk input for the 住民票コード and 個人番号 change screens. Forms only parse; the services decide."""

from __future__ import annotations

from django import forms

from jumin.accounts.forms import PurposeForm
from jumin.registry.workflows.number_changes import GROUNDS_MAX_LENGTH, ChangeBasis

_BASES = [(b.value, b.value) for b in ChangeBasis]
_DATE = forms.DateInput(attrs={"type": "date"})


class NumberChangeForm(PurposeForm):
    """One person, 請求 or 職権, the date and the reason."""

    atena_number = forms.CharField(label="宛名番号", max_length=16)
    basis = forms.ChoiceField(label="請求・職権の別", choices=_BASES)
    requested_on = forms.DateField(label="請求日（職権のときは事実を確認した日）", widget=_DATE)
    grounds = forms.CharField(
        label="理由",
        required=False,
        max_length=GROUNDS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CodeCorrectionForm(PurposeForm):
    """住民票コードの修正: the person, the right code, when the error was confirmed and the facts."""

    atena_number = forms.CharField(label="宛名番号", max_length=16)
    correct_code = forms.CharField(label="正しい住民票コード（11桁）", max_length=11)
    found_on = forms.DateField(label="誤りを確認した日", widget=_DATE)
    grounds = forms.CharField(
        label="理由（確認した事実・資料）",
        max_length=GROUNDS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
