"""Clerk input of 住民検索, the search history, the inquiry screens and the input aids (parse only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator

from jumin.accounts.forms import PurposeForm
from jumin.domain.resident import Sex
from jumin.registry.search import REMOVAL_REASONS, EmptyField, NameMatch, SearchCriteria
from jumin.registry.widgets import GlyphAidInput

NAME_MODE_CHOICES = [
    (NameMatch.EXACT.value, "完全一致"),
    (NameMatch.PREFIX.value, "前方一致"),
    (NameMatch.PARTIAL.value, "部分一致"),
    (NameMatch.SURNAME.value, "氏のみ"),
    (NameMatch.GIVEN_NAME.value, "名のみ"),
]


class SearchForm(PurposeForm):
    """住民検索の条件 (standard 2.1.2, 2.1.3). Every given condition must hold."""

    kana_name = forms.CharField(label="フリガナ（ひらがな・半角可）", max_length=100, required=False)
    kanji_name = forms.CharField(
        label="氏名（漢字・英字、異体字も検索）", max_length=100, required=False, widget=GlyphAidInput
    )
    name_mode = forms.ChoiceField(label="一致方法", choices=NAME_MODE_CHOICES, initial=NameMatch.EXACT.value)
    birth_date = forms.CharField(
        label="生年月日（例: 昭和35年4月1日、S35.4、1960）", max_length=40, required=False
    )
    sex = forms.ChoiceField(
        label="性別", choices=[("", "指定なし"), (Sex.MALE, "男"), (Sex.FEMALE, "女")], required=False
    )
    relationship = forms.CharField(label="続柄（例: 子、妻）", max_length=40, required=False)
    address_code = forms.CharField(label="住所コード（11桁）", max_length=11, required=False)
    address = forms.CharField(label="住所（前方一致）", max_length=200, required=False)
    katagaki = forms.CharField(label="方書（部分一致）", max_length=200, required=False)
    atena_number = forms.CharField(label="宛名番号", max_length=16, required=False)
    household_number = forms.CharField(label="世帯番号", max_length=16, required=False)
    juminhyo_code = forms.CharField(label="住民票コード", max_length=11, required=False)
    residence_card_number = forms.CharField(label="在留カード番号", max_length=12, required=False)
    special_permanent_resident_number = forms.CharField(
        label="特別永住者証明書番号", max_length=12, required=False
    )
    individual_number = forms.CharField(
        label="個人番号（特定個人情報アクセス権限が必要）",
        max_length=12,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    removal_reason = forms.ChoiceField(
        label="消除事由（除票を検索）",
        choices=[("", "指定なし"), *((reason, reason) for reason in REMOVAL_REASONS)],
        required=False,
    )
    empty_fields = forms.MultipleChoiceField(
        label="空欄の項目",
        choices=[(item.value, item.label) for item in EmptyField],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    include_removed = forms.BooleanField(label="除票も検索する", required=False)
    include_past_names = forms.BooleanField(label="過去の氏名も検索する", required=False, initial=True)
    include_past_addresses = forms.BooleanField(label="過去の住所も検索する", required=False, initial=True)

    def criteria(self) -> SearchCriteria:
        """The validated form as search criteria (call after ``is_valid``)."""
        data: dict[str, Any] = {k: v for k, v in self.cleaned_data.items() if k != "purpose"}
        data["name_mode"] = NameMatch(data["name_mode"])
        data["empty_fields"] = tuple(EmptyField(name) for name in data["empty_fields"])
        return SearchCriteria(**data)

    @classmethod
    def initial_from(cls, criteria: SearchCriteria, purpose: str) -> dict[str, Any]:
        """Initial values from saved criteria, to start a new search from them (2.1.1-a)."""
        names = [name for name in cls.base_fields if name not in {"purpose", "individual_number"}]
        initial = {name: getattr(criteria, name) for name in names}
        initial["name_mode"] = criteria.name_mode.value
        initial["empty_fields"] = [item.value for item in criteria.empty_fields]
        initial["purpose"] = purpose
        return initial


class HistoryActionForm(PurposeForm):
    """Re-run a saved search (button ``rerun``) or open it in the search form (``load``) (2.1.1-a)."""

    individual_number = forms.CharField(
        label="個人番号（個人番号で検索した履歴を再検索する場合のみ）",
        max_length=12,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    rerun = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    load = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("rerun") and not data.get("load"):
            raise forms.ValidationError("再検索または条件の編集を、履歴の行から選んでください。")
        return data


class PersonForm(PurposeForm):
    """Purpose and 宛名番号 by POST for the inquiry screens (the number never goes in a URL)."""

    atena_number = forms.CharField(label="宛名番号", max_length=16)
    # 抑止 alerts are acknowledged one by one, a checkbox ``acknowledged_alerts`` per alert shown.


class MemoForm(PersonForm):
    """メモ (1.1.15-a): the person, then one action on their memos; empty ``action`` only lists them."""

    action = forms.ChoiceField(
        required=False,
        choices=[("", "表示"), ("add", "追加"), ("edit", "変更"), ("delete", "削除")],
        widget=forms.HiddenInput,
    )
    memo_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label="メモ", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    with_history = forms.BooleanField(label="変更・削除の履歴も表示する", required=False)


class PostalCodeForm(forms.Form):
    postal_code = forms.CharField(label="郵便番号", max_length=10)


class AddressKanaForm(forms.Form):
    address_kana = forms.CharField(label="住所の読み（各段階の先頭、空白区切り）", max_length=60)


class DateInputForm(forms.Form):
    date_text = forms.CharField(label="日付（例: 3350401、S350401、S35.4.1、R8.11.1）", max_length=40)


class GlyphEntryForm(forms.Form):
    """外字入力補助 (2.1.3-e): a code point or the kanji to list variants of; ``target`` is the id of the
    name field a picked glyph goes into (set by the widget; empty on the 入力補助 page)."""

    glyph_entry = forms.CharField(
        label="外字（符号位置 例: U+9AD9、U+8FBB U+E0100、または異体字を探す漢字）",
        max_length=60,
        required=False,
    )
    target = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^id_[A-Za-z0-9_-]+$")],
    )


class KatagakiHelpForm(forms.Form):
    """方書の候補 (4.0.7-a): the address typed up to the lot; ``target`` is the id of the 方書 field a
    picked 方書 goes into (set by the widget; empty on the 入力補助 page)."""

    address = forms.CharField(
        label="住所（番地まで。例: 長崎県佐世保市相生町1番2号）", max_length=200, required=False
    )
    target = forms.CharField(
        required=False,
        max_length=100,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^id_[A-Za-z0-9_-]+$")],
    )
