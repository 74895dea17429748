"""Clerk input for registry screens. Forms only parse; the domain validates and the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from jumin.accounts.forms import PurposeForm
from jumin.domain.relationship_proof import RELATIONSHIP_PROOF_KINDS
from jumin.domain.resident import TRANSITIONAL_REASONS, ChangeReason, ResidentKind, Sex
from jumin.registry.preset_notes import NOTE_MAX_CHARS, preset_texts
from jumin.registry.widgets import GlyphAidInput, KatagakiAidInput

# The 異動事由 a 転入 screen enters: their preset 留意事項 are offered (standard 1.1.14-b).
MOVE_IN_REASONS = (ChangeReason.DOMESTIC_MOVE_IN, ChangeReason.MOVE_IN_FROM_ABROAD)

# Alerts are acknowledged one by one: the screen shows a checkbox ``acknowledged_alerts`` per alert
# the service raised (registry/review/_pending_alerts.html; workflows/acknowledgement.py).


NO_HONSEKI_CHOICE = (("", "（候補から選ばない）"),)


def honseki_choice_field() -> forms.CharField:
    """「本籍の候補」 of the 出生, 死亡 and 失踪 forms: a select filled by 「本籍の候補を表示」
    (``views_honseki``); a posted value is only text to copy, like a typed 本籍."""
    return forms.CharField(
        label="本籍の候補（世帯員の本籍・筆頭者。空欄の本籍・筆頭者に使います）",
        required=False,
        widget=forms.Select(choices=NO_HONSEKI_CHOICE),
    )


class LookupForm(PurposeForm):
    atena_number = forms.CharField(label="宛名番号", max_length=16)


class DecisionForm(PurposeForm):
    reason = forms.CharField(label="理由（破棄する場合）", required=False, max_length=200)


class AttentionNoteFields(forms.Form):
    """留意事項 (type B, standard 1.1.14-a/b): the preset texts of ``note_reasons`` to insert
    (「定型文を入れる」, ``views_common.with_preset_inserted``) and the editable note itself."""

    note_reasons: tuple[str, ...] = ()
    preset_note = forms.ChoiceField(label="留意事項の定型文", required=False)
    attention_note = forms.CharField(
        label="留意事項（定型文を入れて編集できます）",
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["preset_note"]
        assert isinstance(field, forms.ChoiceField)
        presets = preset_texts(self.note_reasons)
        field.choices = [("", "（選ばない）"), *((text, f"{reason}：{text}") for reason, text in presets)]
        note_fields = ["preset_note", "attention_note"]  # shown last, after the event's own items
        self.order_fields([name for name in self.fields if name not in note_fields] + note_fields)


class MoveInForm(PurposeForm, AttentionNoteFields):
    note_reasons = MOVE_IN_REASONS

    address = forms.CharField(label="住所", max_length=200)
    katagaki = forms.CharField(label="方書", max_length=200, required=False, widget=KatagakiAidInput)
    postal_code = forms.CharField(label="郵便番号", max_length=8, required=False)
    previous_address = forms.CharField(
        label="転入前住所（未届転入では転出証明書の住所＝最後の住民登録地）", max_length=200
    )
    previous_postal_code = forms.CharField(
        label="転入前住所の郵便番号（空欄なら住所辞書から）", max_length=8, required=False
    )
    move_in_date = forms.CharField(label="転入日（例: 令和8年11月1日、R8.11.1）", max_length=40)
    notification_date = forms.DateField(
        label="届出日", initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    household_number = forms.CharField(label="既存世帯に入る場合の世帯番号", max_length=16, required=False)
    # 未届転入 (standard 4.1.1.4-a; docs/workflows/move-in.md).
    unreported = forms.BooleanField(label="未届転入", required=False)
    unreported_address = forms.CharField(
        label="最後の未届住所（未届転入のみ）", max_length=200, required=False
    )
    unreported_moved_on = forms.DateField(
        label="未届住所に住み始めた日（わかる場合）",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # 転出地 市町村コード: where the commit sends the 転入通知 (国内転入; not asked for 国外転入等).
    former_municipality_code = forms.CharField(
        label="転出地の市町村コード（6桁、転出証明書の市町村。未届転入では最後の住民登録地）",
        max_length=6,
        required=False,
    )
    former_municipality_unknown = forms.BooleanField(
        label="転出地の市町村コード不明（転入通知は送信待ちになります）", required=False
    )


class SpecialMoveInForm(MoveInForm):
    """The 特例転入 form: the 転出地 is the sender of the held 転出証明書情報, so it is not asked."""

    former_municipality_code = None  # type: ignore[assignment]
    former_municipality_unknown = None  # type: ignore[assignment]


class RelationshipProofFields(forms.Form):
    """続柄を証する書類 (standard 1.1.11-c): needed for a foreign resident's kinship 続柄, else 縁故者."""

    relationship_proof_kind = forms.ChoiceField(
        label="続柄を証する書類（外国人住民の続柄が世帯主・縁故者・同居人以外のとき）",
        choices=[("", "（なし）"), *((kind, kind) for kind in RELATIONSHIP_PROOF_KINDS)],
        required=False,
    )
    relationship_proof_reference = forms.CharField(
        label="続柄を証する書類の番号・日付", max_length=100, required=False
    )


class MemberForm(RelationshipProofFields):
    """One person of a 転入 or 出生. A browser always posts the selects of the unused extra rows, so
    their untouched values must equal the initial ones (kind) or be empty (sex) for the row to count
    as unused rather than as a half-filled person."""

    kind = forms.ChoiceField(
        label="住民種別",
        choices=[(ResidentKind.JAPANESE, "日本人"), (ResidentKind.FOREIGN, "外国人")],
        initial=ResidentKind.JAPANESE,
    )
    surname = forms.CharField(label="氏", max_length=100, widget=GlyphAidInput)
    given_name = forms.CharField(label="名", max_length=100, required=False, widget=GlyphAidInput)
    surname_kana = forms.CharField(label="氏（フリガナ）", max_length=100)
    given_name_kana = forms.CharField(label="名（フリガナ）", max_length=100, required=False)
    kana_confirmed = forms.BooleanField(label="氏名のフリガナは本人に確認済み", required=False)
    birth_date = forms.CharField(label="生年月日", max_length=40)
    sex = forms.ChoiceField(
        label="性別", choices=[("", "選択してください"), (Sex.MALE, "男"), (Sex.FEMALE, "女")]
    )
    relationship = forms.CharField(label="続柄", max_length=40)
    honseki = forms.CharField(label="本籍", max_length=200, required=False)
    hittousha = forms.CharField(label="筆頭者", max_length=100, required=False)
    nationality_code = forms.CharField(label="国籍・地域コード", max_length=3, required=False)
    foreign_category = forms.CharField(label="30条の45区分", max_length=20, required=False)
    residence_status = forms.CharField(label="在留資格", max_length=40, required=False)
    period_of_stay = forms.CharField(label="在留期間", max_length=20, required=False)
    stay_expiry_date = forms.CharField(
        label="在留期間の満了の日（西暦 YYYY-MM-DD）", max_length=10, required=False
    )
    residence_card_number = forms.CharField(label="在留カード番号", max_length=12, required=False)
    special_permanent_resident_number = forms.CharField(
        label="特別永住者証明書番号", max_length=12, required=False
    )
    landing_period = forms.CharField(label="上陸期間（一時庇護許可者）", max_length=40, required=False)
    provisional_stay_period = forms.CharField(
        label="仮滞在期間（仮滞在許可者）", max_length=40, required=False
    )
    transitional_reason = forms.ChoiceField(
        label="経過滞在者の別",
        choices=[("", "（経過滞在者以外）"), *((reason, reason) for reason in TRANSITIONAL_REASONS)],
        required=False,
    )
    former_alien_registration_date = forms.CharField(
        label="旧外登法登録年月日（不詳の形も可、なければ空欄）", max_length=40, required=False
    )
    alphabet_name = forms.CharField(label="氏名（アルファベット表記）", max_length=100, required=False)
    alias = forms.CharField(label="通称（外国人住民）", max_length=100, required=False, widget=GlyphAidInput)
    alias_kana = forms.CharField(label="通称（フリガナ）", max_length=100, required=False)
    alias_kana_confirmed = forms.BooleanField(label="通称のフリガナは本人に確認済み", required=False)


class MoveInMemberForm(MemberForm):
    """One person of a 転入, with the 個人番号 from the 転出証明書 (masked input, never echoed back)."""

    individual_number = forms.CharField(
        label="個人番号（転出証明書の記載。特定個人情報の権限が必要）",
        max_length=14,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    former_surname = forms.CharField(label="旧氏（日本人住民）", max_length=100, required=False)
    former_surname_kana = forms.CharField(label="旧氏（フリガナ）", max_length=100, required=False)
    former_surname_kana_confirmed = forms.BooleanField(label="旧氏のフリガナは本人に確認済み", required=False)
    # From the 転出証明書 (its QR code fills it, standard 10.8-a): the 転入通知 goes to the 転出地.
    juminhyo_code = forms.CharField(label="住民票コード（転出証明書の記載）", max_length=11, required=False)
    # 再転入 (standard 4.1.1.2-b): the 除票 picked from 「除票から入力」, set by the prefill.
    returning_atena_number = forms.CharField(
        label="再転入の除票（宛名番号）", max_length=16, required=False, widget=forms.HiddenInput
    )


class ReturningLookupForm(PurposeForm):
    """「除票から入力」: find a returning person's 除票 by 住民票コード, or 氏名 and 生年月日 (4情報)."""

    juminhyo_code = forms.CharField(label="住民票コード", max_length=11, required=False)
    name = forms.CharField(label="氏名", max_length=200, required=False)
    name_kana = forms.CharField(label="氏名（フリガナ）", max_length=200, required=False)
    birth_date = forms.DateField(
        label="生年月日", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sex = forms.ChoiceField(
        label="性別",
        choices=[("", "指定しない"), (Sex.MALE, "男"), (Sex.FEMALE, "女")],
        required=False,
    )
    address = forms.CharField(label="除票の住所（前方一致）", max_length=200, required=False)


MemberFormSet = forms.formset_factory(MoveInMemberForm, extra=4, max_num=10, min_num=1, validate_min=True)
