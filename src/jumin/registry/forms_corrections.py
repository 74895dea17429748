"""Clerk input for 異動の取消し and the 職権 screens. Forms only parse; the services decide.

Corrected items are lines 「項目 正しい内容」 using the Japanese item names (e.g. 「方書 八幡荘101号」);
a line with the item name alone clears that item (e.g. 「旧氏」).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils import timezone

from jumin.accounts.forms import PurposeForm
from jumin.domain.resident import ChangeReason
from jumin.registry.forms import AttentionNoteFields, MemberForm
from jumin.registry.widgets import KatagakiAidInput
from jumin.registry.workflows.ex_officio import CORRECTABLE_ITEMS, CORRECTIONS, MinorCase, RecordBook
from jumin.registry.workflows.ex_officio_events import ExOfficioBasis

_DATE = forms.DateInput(attrs={"type": "date"})
_CODE_OF_LABEL = {label: code for code, label in CORRECTABLE_ITEMS.items()}
ITEMS_HELP = "1行に1項目、「項目 正しい内容」の形で入力してください。項目: " + "、".join(
    CORRECTABLE_ITEMS.values()
)
LEGAL_BASIS_HELP = "例: 住民基本台帳法施行令第12条第1項、同条第2項第1号、同条第3項"


def correction_items(text: str) -> dict[str, str]:
    """「項目 内容」 lines as item code → text; an unknown item name is left for the service to refuse."""
    items: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if parts:
            items[_CODE_OF_LABEL.get(parts[0], parts[0])] = parts[1] if len(parts) > 1 else ""
    return items


class CancellationForm(PurposeForm):
    """Step 1: a person's history (宛名番号); step 2: the change to cancel, for whom and why."""

    atena_number = forms.CharField(label="履歴を表示する方の宛名番号", max_length=16, required=False)
    change_id = forms.IntegerField(label="取り消す異動の番号", required=False, min_value=1)
    movers = forms.CharField(
        label="取り消す異動者（宛名番号を1行に1人。空欄なら異動者全員）",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    reason = forms.CharField(label="取消しの理由", max_length=200, required=False)
    on_application = forms.BooleanField(label="申出による取消し", required=False)
    application_date = forms.DateField(label="申出日", widget=_DATE, required=False)


class RecordBookForm(PurposeForm):
    """The 職権記録書 fields every 職権 screen asks for."""

    legal_basis = forms.CharField(label="根拠法令", max_length=200, help_text=LEGAL_BASIS_HELP)
    found_on = forms.DateField(label="事実を確認した日", widget=_DATE)
    grounds = forms.CharField(label="事由（例: 実態調査により居住の事実がないことを確認）", max_length=200)
    findings = forms.CharField(
        label="確認した事実・資料", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    notice_required = forms.BooleanField(
        label="職権記載等通知書を送付する（届出に代わる処理の場合）", required=False, initial=True
    )
    # Standard 4.2.0.4-a: the 戸籍届出・通知日 defaults to today; 4.2.0.5-a: a 申出日 marks the action 申出.
    notified_on = forms.DateField(
        label="戸籍届出・通知日（戸籍の届出・通知によらない場合は空欄）",
        widget=_DATE,
        required=False,
        initial=timezone.localdate,
    )
    on_application = forms.BooleanField(label="本人等の申出による処理", required=False)
    applied_on = forms.DateField(
        label="申出日（申出による処理のとき。空欄なら本日。戸籍届出・通知日は空欄に）",
        widget=_DATE,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        """A 申出日 needs 「申出による処理」; with it a blank 申出日 is today (standard 4.2.0.5-a)."""
        data = super().clean() or {}
        if data.get("on_application"):
            data["applied_on"] = data.get("applied_on") or timezone.localdate()
        elif data.get("applied_on"):
            self.add_error(
                "applied_on", "申出日は「本人等の申出による処理」を選んだときだけ入力してください。"
            )
        return data


# 事由 of a 4.1 event entered by 職権: the triggers of system.md F08 that apply to 転居・転出・世帯変更.
EVENT_GROUNDS = (
    "実態調査により居住・世帯の実態を確認",
    "届出期間経過後も届出がない（催告に応じない）",
    "他の市区町村からの通知（転入通知等）",
    "戸籍の届出・通知",
)


class ExOfficioEventForm(forms.Form):
    """The 職権 choice of the 転居・転出・世帯変更 screens (standard 4.2.0.2-a) and its 職権記録書.

    Ticked, the screen's 届出日 is dropped (a 職権 action has none; no 届出人 is asked) and the 職権記録書
    is required; unticked, its fields are ignored. Field names are RecordBookForm's, so the same
    ``RecordBook`` is built from either."""

    by_ex_officio = forms.BooleanField(
        label="職権による処理（届出によらない。届出日は記録せず、次の職権記録書を作成します）", required=False
    )
    legal_basis = forms.CharField(
        label="根拠法令（職権のとき）",
        max_length=200,
        required=False,
        initial="住民基本台帳法第8条、住民基本台帳法施行令第12条第2項第1号",
        help_text=LEGAL_BASIS_HELP,
    )
    found_on = forms.DateField(label="事実を確認した日（職権のとき）", widget=_DATE, required=False)
    grounds = forms.ChoiceField(
        label="事由（職権のとき）", choices=[("", "－"), *[(g, g) for g in EVENT_GROUNDS]], required=False
    )
    findings = forms.CharField(
        label="確認した事実・資料（職権のとき）",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notice_required = forms.BooleanField(
        label="職権記載等通知書を送付する（職権のとき）", required=False, initial=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in list(ExOfficioEventForm.base_fields):  # after the screen's own fields
            self.fields[name] = self.fields.pop(name)

    def clean(self) -> dict[str, Any]:
        """With 職権: no 届出日, and every 職権記録書 field is required (standard 4.2.0.1-a)."""
        data = super().clean() or {}
        if not data.get("by_ex_officio"):
            return data
        data["notification_date"] = None
        for name in ("legal_basis", "found_on", "grounds", "findings"):
            if not data.get(name):
                self.add_error(name, "職権による処理では職権記録書のこの項目を入力してください。")
        return data


def event_basis(data: Mapping[str, Any]) -> ExOfficioBasis | None:
    """The ``ExOfficioBasis`` of a screen with ``ExOfficioEventForm``, or None for a 届出."""
    if not data.get("by_ex_officio"):
        return None
    return ExOfficioBasis(
        record=RecordBook(
            legal_basis=data["legal_basis"],
            found_on=data["found_on"],
            grounds=data["grounds"],
            findings=data["findings"],
        ),
        notice_required=data["notice_required"],
    )


class ExOfficioRemovalForm(RecordBookForm, AttentionNoteFields):
    note_reasons = (ChangeReason.EX_OFFICIO_REMOVAL,)

    atena_numbers = forms.CharField(
        label="職権消除する方（宛名番号を1行に1人）", widget=forms.Textarea(attrs={"rows": 3})
    )
    removal_date = forms.DateField(label="消除の異動日", widget=_DATE)


class ExOfficioCorrectionForm(RecordBookForm, AttentionNoteFields):
    note_reasons = tuple(CORRECTIONS)

    action = forms.ChoiceField(label="修正の種類", choices=[(a.value, a.value) for a in CORRECTIONS])
    minor_case = forms.ChoiceField(
        label="軽微な修正の区分（軽微な修正のときだけ）",
        choices=[("", "－"), *[(c.value, c.value) for c in MinorCase]],
        required=False,
    )
    atena_numbers = forms.CharField(
        label="修正する方（宛名番号を1行に1人）", widget=forms.Textarea(attrs={"rows": 3})
    )
    items = forms.CharField(
        label="修正する項目", widget=forms.Textarea(attrs={"rows": 4}), help_text=ITEMS_HELP
    )
    change_date = forms.DateField(label="異動日", widget=_DATE)


class ExOfficioRecordingForm(RecordBookForm, MemberForm, AttentionNoteFields):
    """職権記載 of one person (the API takes several)."""

    note_reasons = (ChangeReason.EX_OFFICIO_RECORDING,)

    address = forms.CharField(label="住所", max_length=200)
    katagaki = forms.CharField(label="方書", max_length=200, required=False, widget=KatagakiAidInput)
    postal_code = forms.CharField(label="郵便番号（7桁）", max_length=7, required=False)
    previous_address = forms.CharField(
        label="転入前住所（分からない場合は「不明」）", max_length=200, initial="不明", required=False
    )
    address_set_date = forms.CharField(label="住所を定めた年月日（例: 令和8年11月1日）", max_length=40)
    household_number = forms.CharField(label="既存世帯に入る場合の世帯番号", max_length=16, required=False)


class RemovedRecordNoteForm(PurposeForm):
    """除票の誤記訂正 (standard 1.1.5-c): one item of a 除票, its correct entry and why."""

    atena_number = forms.CharField(label="除票の方の宛名番号", max_length=16)
    item = forms.ChoiceField(label="誤記のある項目", choices=list(CORRECTABLE_ITEMS.items()))
    correct_text = forms.CharField(label="正しい記載", max_length=200, required=False)
    reason = forms.CharField(label="訂正の理由（例: 戸籍謄本により確認）", max_length=200, required=False)
