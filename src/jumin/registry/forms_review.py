"""Clerk input for the review screens (確認待ち一覧, 確認画面, 排他ロック, 転入通知, 未着者一覧, outbox).

Forms only parse; the services decide. Change numbers and 宛名番号 travel in POST bodies only.
"""

from __future__ import annotations

from typing import Any

from django import forms

from jumin.accounts.forms import PurposeForm
from jumin.domain.resident import ChangeReason
from jumin.registry.forms_household import atena_lines
from jumin.registry.outbox import MOVE_OUT_CONFIRMED_REASON
from jumin.registry.workflows.move_in_notice import NOTICE_KINDS

_REASONS = [("", "すべて"), *[(r.value, r.value) for r in ChangeReason], (MOVE_OUT_CONFIRMED_REASON,) * 2]


class ChangeIdsField(forms.Field):
    """The change numbers ticked on the list (one checkbox ``change_ids`` per draft)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        """Every ticked value as an int; anything else is a form error, never a crash."""
        try:
            return [int(v) for v in (value or [])]
        except (TypeError, ValueError):
            raise forms.ValidationError("異動番号が正しくありません。一覧から選び直してください。") from None


class PendingFilterForm(forms.Form):
    """Filters of the 確認待ち一覧 (GET: none of them is personal data)."""

    reason = forms.ChoiceField(label="異動事由", choices=_REASONS, required=False)
    made_by = forms.CharField(label="入力者（ログイン名）", max_length=150, required=False)
    made_from = forms.DateField(
        label="入力日（から）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    made_to = forms.DateField(
        label="入力日（まで）", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    terminal_id = forms.CharField(label="入力端末", max_length=64, required=False)


class MoverFilterForm(PurposeForm):
    """「異動者で選ぶ」 of the 確認待ち一覧 (standard 4.0.8-c): 宛名番号 by POST, never in the address bar."""

    movers = forms.CharField(
        label="異動者の宛名番号（1行に1人）",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "宛名番号を1行に1人、100人まで入力してください。"},
    )

    def clean_movers(self) -> list[str]:
        """The 宛名番号 typed, one per line (at most 100)."""
        numbers = atena_lines(self.cleaned_data["movers"])
        if not numbers or len(numbers) > 100:
            raise forms.ValidationError("宛名番号を1行に1人、100人まで入力してください。")
        return numbers


class SelectionForm(PurposeForm):
    """The selected drafts for the 確認画面 and the 一括本登録."""

    change_ids = ChangeIdsField(label="異動番号")


class LockReleaseForm(PurposeForm):
    lock_id = forms.IntegerField(label="ロック番号", min_value=1, required=False)
    reason = forms.CharField(label="解除の理由", max_length=200, required=False)


class MoveInNoticeForm(PurposeForm):
    atena_numbers = forms.CharField(label="宛名番号（1行に1人）", widget=forms.Textarea(attrs={"rows": 3}))
    notice_date = forms.DateField(label="転入通知の日付", widget=forms.DateInput(attrs={"type": "date"}))
    move_in_date = forms.DateField(
        label="転入日（転入通知に記載の日）", widget=forms.DateInput(attrs={"type": "date"})
    )
    destination = forms.CharField(label="転出先（確定）", max_length=200)
    notification_kind = forms.ChoiceField(label="転出確定届出区分", choices=[(k, k) for k in NOTICE_KINDS])

    def atena_list(self) -> list[str]:
        """The 宛名番号 entered, one per line."""
        return atena_lines(self.cleaned_data["atena_numbers"])


class MissingNoticeForm(PurposeForm):
    days = forms.IntegerField(label="消除日から経過した日数（空欄は既定値）", min_value=0, required=False)


class EventListForm(PurposeForm):
    change_id = forms.IntegerField(label="異動番号（空欄はすべて）", min_value=1, required=False)
