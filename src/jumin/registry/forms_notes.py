"""Clerk input for the 統合記載欄 screen (standard 1.1.14-a): the person, then one action on their remarks."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from jumin.registry.forms_search import PersonForm
from jumin.registry.remarks import REMARK_MAX_CHARS

_DATE = forms.DateInput(attrs={"type": "date"})


class NotesForm(PersonForm):
    """「表示」 lists the notes; 「備考を追加」 and 「備考を削除」 append a remark or its withdrawal."""

    action = forms.ChoiceField(
        required=False,
        choices=[("", "表示"), ("add", "備考を追加"), ("withdraw", "備考を削除")],
        widget=forms.HiddenInput,
    )
    remark_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label=f"備考（{REMARK_MAX_CHARS}文字以内）", required=False, max_length=400)
    reason = forms.CharField(label="理由", required=False, max_length=400)
    recorded_on = forms.DateField(
        label="記載日・削除日", required=False, initial=timezone.localdate, widget=_DATE
    )
