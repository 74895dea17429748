"""Clerk input for the 抑止 and 支援措置 screens. Forms only parse; the services decide."""

from __future__ import annotations

import re

from django import forms

from jumin.accounts.forms import PurposeForm
from jumin.registry.restrictions import PROCESS_LABELS, RestrictedProcess, RestrictionLevel
from jumin.registry.services_restrictions import (
    CoveredService,
    ReleaseTarget,
    SupportEndReason,
    SuppressionReason,
    SuppressionScope,
)

_DATE = forms.DateInput(attrs={"type": "date"})
PROCESS_CHOICES = [(p.value, PROCESS_LABELS[p]) for p in RestrictedProcess]
LEVEL_CHOICES = [
    (RestrictionLevel.ERROR.value, "エラー（処理不可）"),
    (RestrictionLevel.ALERT.value, "アラート（警告）"),
]


def split_numbers(text: str) -> list[str]:
    """宛名番号 typed one per line or separated by spaces or 読点."""
    return [n for n in re.split(r"[\s,、，]+", text) if n]


class PersonForm(PurposeForm):
    atena_number = forms.CharField(label="宛名番号", max_length=16)


class SuppressionForm(PurposeForm):
    scope = forms.ChoiceField(label="対象範囲", choices=SuppressionScope.choices)
    target_number = forms.CharField(label="宛名番号（個人）または世帯番号（世帯）", max_length=16)
    process = forms.ChoiceField(label="抑止業務", choices=PROCESS_CHOICES)
    level = forms.ChoiceField(label="抑止レベル", choices=LEVEL_CHOICES)
    start_date = forms.DateField(label="開始日", widget=_DATE)
    end_date = forms.DateField(
        label="終了予定日（経過しても自動では解除されません）", widget=_DATE, required=False
    )
    reason = forms.ChoiceField(label="抑止理由", choices=SuppressionReason.choices)
    reason_text = forms.CharField(
        label="抑止理由の詳細（その他の場合は必須）", max_length=200, required=False
    )


class LiftForm(PurposeForm):
    reason = forms.CharField(label="解除理由", max_length=200)


class ReleaseForm(PurposeForm):
    atena_number = forms.CharField(label="宛名番号", max_length=16)
    process = forms.ChoiceField(label="業務", choices=PROCESS_CHOICES)
    target = forms.ChoiceField(label="一時解除の対象", choices=ReleaseTarget.choices)
    reason = forms.CharField(label="一時解除の理由（審査の結果）", max_length=200)


class SupportMeasureForm(PurposeForm):
    applicant = forms.CharField(label="申出者の宛名番号", max_length=16)
    co_applicants = forms.CharField(
        label="併せて支援を求める者の宛名番号（複数は改行・空白で区切る）",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    covered_services = forms.MultipleChoiceField(
        label="対象事務", choices=CoveredService.choices, widget=forms.CheckboxSelectMultiple
    )
    received_on = forms.DateField(label="受付日", widget=_DATE)
    provisional = forms.BooleanField(label="仮支援措置（審査中）として登録する", required=False)
    period_start = forms.DateField(label="支援開始日（仮支援措置の場合は空欄）", widget=_DATE, required=False)
    period_end = forms.DateField(label="支援終了予定日（空欄なら1年後の前日）", widget=_DATE, required=False)
    perpetrator = forms.CharField(
        label="加害者（氏名・生年月日・住所等。詳細画面のみに表示）",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    start_reason = forms.CharField(label="支援開始理由", max_length=200, required=False)
    original_municipality = forms.CharField(
        label="最初に申出を受けた市区町村", max_length=100, required=False
    )
    remarks = forms.CharField(label="支援申請備考", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class SupportActionForm(PurposeForm):
    """One form for the lifecycle buttons; each button names its action."""

    start = forms.DateField(label="支援開始日（仮支援措置の開始時）", widget=_DATE, required=False)
    end = forms.DateField(
        label="支援終了予定日（開始時は空欄で1年後の前日／修正時は必須）", widget=_DATE, required=False
    )
    end_reason = forms.ChoiceField(
        label="終了理由（終了する場合）",
        choices=[("", "選択してください"), *SupportEndReason.choices],
        required=False,
    )


class SupportEndingForm(PurposeForm):
    """期間終了予定一覧: the window of end dates; empty fields take the defaults (today, about a month on)."""

    window_start = forms.DateField(label="終了予定日（から）空欄なら本日", widget=_DATE, required=False)
    window_end = forms.DateField(
        label="終了予定日（まで）空欄なら延長の受付が始まっている終了日まで", widget=_DATE, required=False
    )


class SuppressedListForm(PurposeForm):
    """抑止対象者一覧 (9.2-a): optionally one process; empty lists every 抑止 in force."""

    process = forms.ChoiceField(
        label="抑止業務",
        required=False,
        choices=[("", "すべて"), *((p.value, PROCESS_LABELS[p]) for p in RestrictedProcess)],
    )
