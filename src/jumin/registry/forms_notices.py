"""Clerk input for the 戸籍 notice screens (失踪, 失踪宣告の取消し, 本籍・筆頭者), 改製, 再製. Parse only."""

from __future__ import annotations

from django import forms

from jumin.accounts.forms import PurposeForm
from jumin.domain.resident import ChangeReason
from jumin.registry.forms import AttentionNoteFields, honseki_choice_field
from jumin.registry.forms_corrections import ITEMS_HELP, correction_items
from jumin.registry.widgets import KatagakiAidInput
from jumin.registry.workflows.restoration import RestorationCause

_DATE = forms.DateInput(attrs={"type": "date"})


class NoticeForm(PurposeForm):
    """The 法9条2項 notice every 戸籍 notice screen asks for: when it came and who sent it."""

    notice_date = forms.DateField(label="通知日（本籍地からの通知・届出を受けた日）", widget=_DATE)
    notifying_municipality = forms.CharField(label="通知した市区町村（本籍地）", max_length=60)


class DisappearanceForm(NoticeForm, AttentionNoteFields):
    note_reasons = (ChangeReason.EX_OFFICIO_REMOVAL,)  # a 失踪 is a 職権消除 (its 消除事由 is 失踪宣告)

    atena_number = forms.CharField(label="宛名番号", max_length=16)
    deemed_death_date = forms.CharField(
        label="死亡とみなされる日（例: 令和元年5月1日、令和元年5月上旬、不詳）", max_length=40
    )
    decision_date = forms.DateField(label="失踪宣告の裁判確定日", widget=_DATE)
    findings = forms.CharField(label="確認した事実（任意）", max_length=200, required=False)
    honseki = forms.CharField(
        label="本籍（通知の記載が住民票と異なる場合のみ）", max_length=200, required=False
    )
    hittousha = forms.CharField(label="筆頭者（同上）", max_length=100, required=False)
    honseki_choice = honseki_choice_field()


class RevocationForm(NoticeForm, AttentionNoteFields):
    note_reasons = (ChangeReason.EX_OFFICIO_RECORDING,)

    atena_number = forms.CharField(label="宛名番号（失踪宣告で消除された方）", max_length=16)
    revocation_date = forms.DateField(label="失踪宣告取消しの裁判確定日", widget=_DATE)
    address = forms.CharField(label="住所（現に住んでいる場所）", max_length=200)
    katagaki = forms.CharField(label="方書", max_length=200, required=False, widget=KatagakiAidInput)
    postal_code = forms.CharField(label="郵便番号（7桁）", max_length=7, required=False)
    address_set_date = forms.CharField(label="住所を定めた日（例: 令和8年10月1日）", max_length=40)
    household_number = forms.CharField(
        label="加わる世帯の世帯番号（空欄なら新しい世帯の世帯主）", max_length=16, required=False
    )
    relationship = forms.CharField(label="続柄", max_length=40, initial="世帯主")
    previous_address = forms.CharField(
        label="前住所（分からない場合は「不明」）", max_length=200, initial="不明"
    )
    findings = forms.CharField(label="確認した事実（任意）", max_length=200, required=False)


class HonsekiNoticeForm(NoticeForm):
    atena_numbers = forms.CharField(
        label="対象の方の宛名番号（同じ戸籍の方を1行に1人）", widget=forms.Textarea(attrs={"rows": 3})
    )
    honseki = forms.CharField(
        label="新しい本籍（ない場合は「なし」、分からない場合は「不明」）", max_length=200
    )
    hittousha = forms.CharField(label="新しい筆頭者（「なし」「不明」も可）", max_length=100)
    event_date = forms.DateField(label="戸籍の届出日・事件の日（異動日）", widget=_DATE)
    family_register_event = forms.CharField(label="戸籍の事件（例: 転籍、婚姻、分籍）", max_length=40)


class ReorganisationForm(PurposeForm):
    atena_numbers = forms.CharField(
        label="改製する方の宛名番号（1行に1人。世帯全員を改製する場合は全員）",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reorganised_on = forms.DateField(label="改製日", widget=_DATE)
    reason = forms.CharField(label="改製の理由（例: 記載欄の整理のため）", max_length=200)


def restoration_corrections(text: str) -> dict[str, dict[str, str]]:
    """「宛名番号 項目 正しい内容」 lines as 宛名番号 → item code → text (one item per line)."""
    corrections: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if parts:
            corrections.setdefault(parts[0], {}).update(correction_items(parts[1] if len(parts) > 1 else ""))
    return corrections


class RestorationForm(PurposeForm):
    atena_numbers = forms.CharField(
        label="再製する方の宛名番号（1行に1人。世帯全員を再製する場合は全員）",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    restored_on = forms.DateField(label="再製日", widget=_DATE)
    cause = forms.ChoiceField(label="再製の原因", choices=[(c.value, c.value) for c in RestorationCause])
    cause_detail = forms.CharField(
        label="原因の内容（「その他」のときは必須）", max_length=200, required=False
    )
    sources = forms.CharField(
        label="再製の基礎とした資料（例: 住民票の写しの控え、届書、戸籍の附票）",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    corrections = forms.CharField(
        label="資料により訂正する記載事項（任意）",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="各行の先頭に訂正する方の宛名番号を付けてください（「宛名番号 項目 正しい内容」）。"
        + ITEMS_HELP,
    )
