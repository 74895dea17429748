"""Clerk input for the foreign-resident and name screens. Forms only parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from jumin.accounts.forms import PurposeForm
from jumin.domain.resident import FOREIGN_CATEGORIES, ChangeReason, Sex
from jumin.domain.special_permanent_certificate import CertificateProcedure, ReturnReason
from jumin.registry.forms import AttentionNoteFields, RelationshipProofFields
from jumin.registry.widgets import KatagakiAidInput
from jumin.registry.workflows.foreign_registration import RegistrationBasis
from jumin.registry.workflows.immigration_notices import MAX_FILE_CHARS
from jumin.registry.workflows.names import AliasOperation, FormerSurnameOperation
from jumin.registry.workflows.naturalisation import NATURALISATION_BASIS, NationalityEvent

_DATE = forms.DateInput(attrs={"type": "date"})
_CATEGORIES = [("", "選択してください"), *[(c, c) for c in FOREIGN_CATEGORIES]]
_SEXES = [("", "選択してください"), (Sex.MALE.value, "男"), (Sex.FEMALE.value, "女")]


def _text(label: str, *, required: bool = True, max_length: int = 100, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length, **kwargs)


class NewNameForm(forms.Form):
    """The name of the new record; all blank keeps the current 氏名."""

    surname = _text("新しい氏（空欄なら現在の氏名のまま）", required=False)
    given_name = _text("新しい名", required=False)
    surname_kana = _text("新しい氏（フリガナ）", required=False)
    given_name_kana = _text("新しい名（フリガナ）", required=False)


class RecordBookFields(forms.Form):
    """The 職権記録書 of a 国籍 change: legal basis and the facts found (e.g. the 戸籍 notice)."""

    legal_basis = _text("根拠法令", max_length=200, initial=NATURALISATION_BASIS)
    findings = forms.CharField(
        label="確認した事実・資料（例: 帰化届の受理、本籍地からの通知）",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NaturalisationForm(PurposeForm, NewNameForm, RecordBookFields, AttentionNoteFields):
    note_reasons = (ChangeReason.NATURALISATION,)

    atena_number = _text("宛名番号（外国人住民）", max_length=16)
    event = forms.ChoiceField(
        label="事由",
        choices=[(e.value, e.value) for e in (NationalityEvent.NATURALISATION, NationalityEvent.ACQUISITION)],
    )
    event_date = forms.DateField(label="帰化・国籍取得の日", widget=_DATE)
    notified_on = forms.DateField(label="戸籍届出・通知日", widget=_DATE)
    honseki = _text("本籍", max_length=200)
    hittousha = _text("筆頭者")


class ForeignItemsForm(forms.Form):
    """住基法30条の45 items."""

    nationality_code = _text("国籍・地域コード", max_length=3)
    foreign_category = forms.ChoiceField(label="30条の45区分", choices=_CATEGORIES)
    alphabet_name = _text("氏名（ローマ字）", required=False, max_length=200)
    residence_status = _text("在留資格", required=False, max_length=40)
    period_of_stay = _text("在留期間", required=False, max_length=20)
    stay_expiry_date = _text("在留期間の満了の日（西暦 YYYY-MM-DD）", required=False, max_length=10)
    residence_card_number = _text("在留カード番号", required=False, max_length=12)
    special_permanent_resident_number = _text("特別永住者証明書番号", required=False, max_length=12)
    landing_period = _text("上陸期間（一時庇護許可者）", required=False, max_length=40)
    provisional_stay_period = _text("仮滞在期間（仮滞在許可者）", required=False, max_length=40)


class LossForm(PurposeForm, NewNameForm, ForeignItemsForm, RecordBookFields, AttentionNoteFields):
    note_reasons = (ChangeReason.LOSS_OF_NATIONALITY,)

    atena_number = _text("宛名番号（日本人住民）", max_length=16)
    loss_date = forms.DateField(label="国籍喪失の日", widget=_DATE)
    notified_on = forms.DateField(label="戸籍届出・通知日", widget=_DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["foreign_category"].initial = "経過滞在者"


class ForeignRegistrationForm(PurposeForm, ForeignItemsForm, RelationshipProofFields, AttentionNoteFields):
    """One person of a 30条の46 / 30条の47 notification (the API takes several)."""

    note_reasons = (ChangeReason.MOVE_IN_FROM_ABROAD,)  # recorded as a 国外転入等

    basis = forms.ChoiceField(label="届出の根拠", choices=[(b.value, b.value) for b in RegistrationBasis])
    surname = _text("氏")
    given_name = _text("名", required=False)
    surname_kana = _text("氏（フリガナ）")
    given_name_kana = _text("名（フリガナ）", required=False)
    birth_date = _text("生年月日（西暦 YYYY-MM-DD）", max_length=40)
    sex = forms.ChoiceField(label="性別", choices=_SEXES)
    relationship = _text("続柄", max_length=40, initial="世帯主")
    address = _text("住所", max_length=200)
    katagaki = _text("方書", required=False, max_length=200, widget=KatagakiAidInput)
    postal_code = _text("郵便番号（7桁）", required=False, max_length=7)
    previous_address = _text("転入前住所（国外の場合は国名。なければ空欄）", required=False, max_length=200)
    address_set_date = forms.DateField(label="住所を定めた日", widget=_DATE)
    became_foreign_resident_on = forms.DateField(
        label="中長期在留者等となった日（法30条の47のときだけ）", widget=_DATE, required=False
    )
    notification_date = forms.DateField(label="届出日", initial=timezone.localdate, widget=_DATE)
    household_number = _text("既存世帯に入る場合の世帯番号", required=False, max_length=16)
    landing_permit = forms.BooleanField(label="上陸許可証による転入", required=False)
    former_alien_registration_date = _text(
        "旧外登法登録年月日（平成24年7月8日以前に外国人登録のあった方。不詳の形も可、なければ空欄）",
        required=False,
        max_length=40,
    )


class FormerSurnameForm(PurposeForm, AttentionNoteFields):
    note_reasons = tuple(operation.reason for operation in FormerSurnameOperation)

    atena_number = _text("宛名番号（日本人住民）", max_length=16)
    operation = forms.ChoiceField(
        label="請求の内容", choices=[(o.value, o.value) for o in FormerSurnameOperation]
    )
    request_date = forms.DateField(label="請求日", widget=_DATE)
    former_surname = _text("旧氏（削除のときは空欄）", required=False)
    former_surname_kana = _text("旧氏（フリガナ）", required=False)
    former_surname_kana_confirmed = forms.BooleanField(label="旧氏のフリガナは本人に確認済み", required=False)


class AliasForm(PurposeForm, AttentionNoteFields):
    note_reasons = tuple(operation.reason for operation in AliasOperation)

    atena_number = _text("宛名番号（外国人住民）", max_length=16)
    operation = forms.ChoiceField(label="申出の内容", choices=[(o.value, o.value) for o in AliasOperation])
    application_date = forms.DateField(label="申出日", widget=_DATE)
    municipality_name = _text("記載・削除する市区町村名（例: 佐世保市）")
    alias = _text("通称（削除のときは空欄）", required=False)
    alias_kana = _text("通称（フリガナ）", required=False)
    alias_kana_confirmed = forms.BooleanField(label="通称のフリガナは本人に確認済み", required=False)


class CertificateHandoverForm(PurposeForm, AttentionNoteFields):
    """特別永住者証明書の交付・再交付・有効期間更新 (with the 国籍・地域 or 氏名（ローマ字） the new
    certificate changed), or its 返納 (an event: no 30条の45 item changes)."""

    note_reasons = (ChangeReason.EX_OFFICIO_AMENDMENT,)

    atena_number = _text("宛名番号（特別永住者）", max_length=16)
    procedure = forms.ChoiceField(label="手続", choices=[(p.value, p.value) for p in CertificateProcedure])
    certificate_number = _text(
        "特別永住者証明書番号（交付等は新しい証明書、返納は返納された証明書の番号。英字2桁・数字8桁・英字2桁）",
        required=False,
        max_length=24,
    )
    issued_on = forms.DateField(label="交付年月日", widget=_DATE, required=False)
    expiry = forms.DateField(label="有効期間の満了日", widget=_DATE, required=False)
    nationality_code = _text(
        "新しい国籍・地域コード（新しい証明書で変わったときだけ。変更がなければ空欄）",
        required=False,
        max_length=6,
    )
    alphabet_name = _text(
        "新しい氏名（ローマ字）（新しい証明書で変わったときだけ。変更がなければ空欄）",
        required=False,
        max_length=200,
    )
    returned_on = forms.DateField(label="返納日（返納のときだけ）", widget=_DATE, required=False)
    return_reason = forms.ChoiceField(
        label="返納事由（返納のときだけ）", choices=[(r.value, r.value) for r in ReturnReason]
    )


class AliasHistoryForm(PurposeForm):
    """「履歴を表示」: only the person is needed."""

    atena_number = _text("宛名番号（外国人住民）", max_length=16)


class NoticeFileForm(PurposeForm):
    """Step 1: the notice file (UTF-8 CSV, docs/workflows/immigration-notices.md)."""

    notice_file = forms.FileField(label="出入国在留管理庁からの通知ファイル（CSV）")

    def clean_notice_file(self) -> str:
        """The file's text; a file that is not UTF-8 or too large is refused here."""
        upload = self.cleaned_data["notice_file"]
        raw = upload.read(MAX_FILE_CHARS * 4 + 1)
        try:
            return str(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "通知ファイルの文字コードがUTF-8ではありません。UTF-8のCSVファイルを選んでください。"
            ) from None


class NoticeConfirmForm(PurposeForm):
    """Step 2: one row of the file, confirmed on the 確認票 (the file's text is posted again)."""

    # A hidden textarea, not an <input>: it keeps the file's line breaks exactly.
    content = forms.CharField(widget=forms.Textarea(attrs={"hidden": True}), max_length=MAX_FILE_CHARS)
    notice_id = forms.CharField(widget=forms.HiddenInput, max_length=40)
