"""Clerk input for certificates. Forms only parse; the domain rules and the services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from jumin.accounts.forms import PurposeForm
from jumin.domain.card_face import CardFaceKind
from jumin.domain.certificate_settings import (
    BUILTIN_DEFAULTS,
    DEFAULTS_KINDS,
    OptionDefaults,
    SealColor,
    SealKind,
)
from jumin.domain.certificates import (
    DEFAULT_FOREIGN_ITEMS,
    ITEM_FLAGS,
    MOVE_OUT_REQUESTERS,
    CertificateKind,
    CertificateOptions,
    CertificateRequest,
    ForeignItem,
    IdentityCheck,
    Layout,
    RequesterClass,
    ThirdPartyPurpose,
    foreign_items_of,
)


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]


class _CodeListField(forms.Field):
    """A list of alert codes posted under one name (one checkbox or hidden input per code)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in value or () if str(v).strip()]


class _PrintedItemsFields(forms.Form):
    """The choices of 5.1-a/b that a request makes and a per-kind default presets (both forms below)."""

    layout = forms.ChoiceField(label="様式", choices=_choices(Layout))
    whole_household = forms.TypedChoiceField(
        label="範囲", choices=[("1", "世帯全員"), ("0", "世帯の一部")], coerce=lambda v: v == "1", initial="1"
    )
    with_history = forms.BooleanField(label="履歴を記載する", required=False)
    show_head_and_relationship = forms.BooleanField(
        label="世帯主・続柄を記載する", required=False, initial=True
    )
    show_honseki = forms.BooleanField(label="本籍・筆頭者を記載する", required=False)
    show_juminhyo_code = forms.BooleanField(label="住民票コードを記載する", required=False)
    show_individual_number = forms.BooleanField(label="個人番号を記載する", required=False)
    foreign_items = forms.MultipleChoiceField(
        label="記載する外国人住民の記載事項（一つずつ選べます）",
        choices=_choices(ForeignItem),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=sorted(item.value for item in DEFAULT_FOREIGN_ITEMS),
    )


class IssueForm(PurposeForm, _PrintedItemsFields):
    """請求の受付: who asks and why, and what to print (standard 5.1; 住基法12条–12条の3)."""

    field_order = (
        "purpose",
        "atena_numbers",
        "kind",
        *(name for name in _PrintedItemsFields.base_fields if name != "foreign_items"),
        "show_foreign_items",
        "foreign_items",
        "foreign_items_shown",
    )

    atena_numbers = forms.CharField(
        label="宛名番号（世帯全員なら世帯のどなたか一人。一部なら記載する方全員を改行・空白で区切る）",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    kind = forms.ChoiceField(label="証明書の種類", choices=_choices(CertificateKind))
    show_foreign_items = forms.BooleanField(
        label="外国人住民の記載事項（国籍・在留資格等）を記載する", required=False, initial=True
    )
    # The screen posts this with the checkboxes above, so that none ticked means none (a client that
    # sends no list gets the kind's defaults).
    foreign_items_shown = forms.BooleanField(widget=forms.HiddenInput, required=False, initial=True)
    omit_katagaki = forms.BooleanField(
        label="方書を省略する（記載事項証明書で請求があった場合のみ）", required=False
    )
    copies = forms.IntegerField(label="通数", min_value=1, max_value=10, initial=1)
    generation = forms.IntegerField(
        label="原住民票の世代（改製原住民票・再製原住民票の写しのみ。1が最も古い）",
        min_value=1,
        required=False,
    )
    requester_class = forms.ChoiceField(label="請求者区分", choices=_choices(RequesterClass))
    requester_name = forms.CharField(
        label="請求者の氏名・機関名（代理人・第三者・公用）", max_length=200, required=False
    )
    requester_atena_number = forms.CharField(
        label="請求者の宛名番号（加害者照合。当市区町村に住民記録がある請求者）",
        max_length=16,
        required=False,
    )
    requester_birth_date = forms.DateField(
        label="請求者の生年月日（加害者照合。氏名とともに照合）",
        widget=forms.DateInput(attrs={"type": "date"}),
        required=False,
    )
    identity_check = forms.ChoiceField(label="本人確認の方法", choices=_choices(IdentityCheck))
    power_of_attorney_checked = forms.BooleanField(label="委任状を確認した（代理人）", required=False)
    third_party_purpose = forms.ChoiceField(
        label="利用目的の区分（第三者・住基法12条の3）",
        choices=[("", "該当なし"), *_choices(ThirdPartyPurpose)],
        required=False,
    )
    purpose_detail = forms.CharField(label="利用目的の内容・公用の請求事由", max_length=400, required=False)
    request_reason = forms.CharField(
        label="請求理由（個人番号を記載する場合は必須）", max_length=200, required=False
    )
    submit_to = forms.CharField(
        label="提出先（個人番号を記載する場合は必須）", max_length=200, required=False
    )
    printer = forms.CharField(label="プリンタ番号（任意）", max_length=40, required=False)
    reissue_of = forms.CharField(
        label="再交付する転出証明書の発行番号（再交付のときのみ。原交付時の内容・記載事項で交付します）",
        max_length=250,
        required=False,
    )
    acknowledged_alerts = _CodeListField(label="確認した注意事項", required=False)

    @staticmethod
    def initial_for(defaults: OptionDefaults, kind: CertificateKind) -> dict[str, Any]:
        """The screen pre-filled with one kind's configured defaults (standard 5.1-a/b)."""
        return {
            "kind": kind.value,
            "layout": defaults.layout.value,
            "whole_household": "1" if defaults.whole_household else "0",
            "with_history": defaults.with_history,
            "show_head_and_relationship": defaults.show_head_and_relationship,
            "show_honseki": defaults.show_honseki,
            "show_juminhyo_code": defaults.show_juminhyo_code,
            "show_individual_number": defaults.show_individual_number,
            "show_foreign_items": bool(defaults.foreign_items),
            "foreign_items": sorted(item.value for item in defaults.foreign_items),
        }

    def options(self, defaults: OptionDefaults = BUILTIN_DEFAULTS) -> CertificateOptions:
        """What the request asks for; ``defaults`` fill in only the foreign items a client did not send."""
        data = self.cleaned_data
        kind = CertificateKind(data["kind"])
        foreign = (
            foreign_items_of(data["foreign_items"]) if data["foreign_items_shown"] else defaults.foreign_items
        )
        return CertificateOptions(
            kind=kind,
            layout=Layout(data["layout"]),
            atena_numbers=tuple(n for n in re.split(r"[\s,、，]+", data["atena_numbers"]) if n),
            whole_household=bool(data["whole_household"]),
            with_history=data["with_history"],
            show_head_and_relationship=data["show_head_and_relationship"],
            show_honseki=data["show_honseki"],
            show_juminhyo_code=data["show_juminhyo_code"],
            show_individual_number=data["show_individual_number"],
            show_foreign_items=data["show_foreign_items"],
            foreign_items=foreign,
            omit_katagaki=data["omit_katagaki"],
            copies=data["copies"],
            generation=data["generation"],
        )

    def request(self) -> CertificateRequest:
        data = self.cleaned_data
        return CertificateRequest(
            requester_class=RequesterClass(data["requester_class"]),
            identity_check=IdentityCheck(data["identity_check"]),
            requester_name=data["requester_name"],
            power_of_attorney_checked=data["power_of_attorney_checked"],
            third_party_purpose=ThirdPartyPurpose(data["third_party_purpose"])
            if data["third_party_purpose"]
            else None,
            purpose_detail=data["purpose_detail"],
            request_reason=data["request_reason"],
            submit_to=data["submit_to"],
            acknowledged_alerts=tuple(data["acknowledged_alerts"] or ()),
            requester_atena_number=data["requester_atena_number"].strip(),
            requester_birth_date=data["requester_birth_date"],
        )


class VerifyForm(PurposeForm):
    """証明書の検証: the PDF as presented."""

    file = forms.FileField(label="証明書のPDF")


class VoidForm(PurposeForm):
    """誤交付・廃棄の記録."""

    copy_number = forms.CharField(
        label="発行番号（頁数を除く。例: 20250404 日野市 本庁1 011）", max_length=250
    )
    reason = forms.CharField(label="理由", max_length=400)


class PersonForm(PurposeForm):
    """A person by 宛名番号 (交付履歴の照会)."""

    atena_number = forms.CharField(label="宛名番号", max_length=16)


class SelfNotificationForm(PersonForm):
    """本人通知の登録・廃止 (standard 8.1)."""

    identity_check = forms.ChoiceField(label="本人確認の方法", choices=_choices(IdentityCheck))
    action = forms.ChoiceField(label="手続", choices=[("register", "登録"), ("withdraw", "廃止")])

    def identity(self) -> IdentityCheck:
        return IdentityCheck(self.cleaned_data["identity_check"])


class NoticeListForm(PurposeForm):
    """本人通知の送付一覧; with a notice number, that notice's PDF."""

    include_printed = forms.BooleanField(label="作成済みも表示する", required=False)
    notice_id = forms.IntegerField(label="通知番号", required=False, widget=forms.HiddenInput)


NOTICE_CHOICES = [
    ("code_assigned", "住民票コード通知票"),
    ("code_changed", "住民票コード変更通知票"),
    ("code_corrected", "住民票コード修正通知票"),
    ("ex_officio", "職権記載等通知書"),
    ("ex_officio_record", "職権記録書"),
    ("move_receipt", "住民異動届受理通知"),
    ("head_change_request", "世帯主変更依頼通知書"),
    ("support_end", "支援措置期間終了通知"),
    ("support_start", "支援措置開始通知"),
]


class RegistryNoticeForm(PurposeForm):
    """通知書の作成: a 住民票コード notice by 宛名番号, a change's notice by 異動番号, or the
    支援措置期間終了通知 by the measure's number."""

    notice = forms.ChoiceField(label="通知書", choices=NOTICE_CHOICES)
    atena_number = forms.CharField(label="宛名番号（住民票コードの通知票）", max_length=16, required=False)
    change_id = forms.IntegerField(
        label="異動番号（職権記載等・職権記録書・受理通知・世帯主変更依頼）", required=False, min_value=1
    )
    notifier_name = forms.CharField(
        label="届出人の氏名（受理通知。届書のとおり。空欄なら異動した方の最初の方）",
        max_length=100,
        required=False,
    )
    notifier_capacity = forms.CharField(
        label="届出人の資格（受理通知。例: 本人、世帯主、代理人。空欄なら本人）",
        max_length=40,
        required=False,
    )
    measure_id = forms.IntegerField(
        label="支援措置の番号（支援措置の開始通知・期間終了通知）", required=False, min_value=1
    )


class ChangeCodeNoticeForm(PurposeForm):
    """「通知書を作成」 on a committed change's screen: the change and the person, posted as hidden fields."""

    change_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    atena_number = forms.CharField(max_length=16, widget=forms.HiddenInput)


class MoveOutAtCommitForm(PurposeForm):
    """「証明書を交付」 on a 転出's 本登録 result (standard 4.1.3.0.3-a): the change (hidden), the kind the
    change allows, and who asks (the 届出人: 本人・同一世帯・代理人) and how they were identified."""

    change_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label="証明書",
        choices=_choices(
            (CertificateKind.MOVE_OUT, CertificateKind.MOVE_OUT_SUBSTITUTE, CertificateKind.REMOVED_COPY)
        ),
    )
    requester_class = forms.ChoiceField(
        label="請求者区分", choices=[c for c in _choices(RequesterClass) if c[0] in MOVE_OUT_REQUESTERS]
    )
    requester_name = forms.CharField(label="請求者の氏名（代理人）", max_length=200, required=False)
    power_of_attorney_checked = forms.BooleanField(label="委任状を確認した（代理人）", required=False)
    identity_check = forms.ChoiceField(
        label="本人確認の方法", choices=[("", "選択してください"), *_choices(IdentityCheck)]
    )

    def request(self) -> CertificateRequest:
        """The request as the 交付履歴 records it."""
        data = self.cleaned_data
        return CertificateRequest(
            requester_class=RequesterClass(data["requester_class"]),
            identity_check=IdentityCheck(data["identity_check"]),
            requester_name=data["requester_name"],
            power_of_attorney_checked=data["power_of_attorney_checked"],
        )


class MoveInNoticeInquiryForm(PurposeForm):
    """「転入通知未着照会書を作成」 of the 未着者一覧: the persons ticked (宛名番号) and the 転入先."""

    # Every ticked box posts one 宛名番号 (a list); the service checks each one is on the 未着者一覧.
    atena_numbers = forms.Field(label="照会する方", required=False, widget=forms.MultipleHiddenInput)
    destination_municipality = forms.CharField(label="転入先の市区町村名", max_length=40, required=False)

    def clean_atena_numbers(self) -> list[str]:
        """The 宛名番号 ticked, as text, in the order posted."""
        numbers = self.cleaned_data["atena_numbers"] or []
        if not isinstance(numbers, list) or any(len(str(n)) > 16 for n in numbers):
            raise forms.ValidationError("照会する方を未着者一覧から選んでください。")
        return [str(n) for n in numbers]


class SupportEndNoticesForm(PurposeForm):
    """「まとめて作成」 of the 期間終了予定一覧: the listed measures' numbers, separated by spaces."""

    measure_ids = forms.CharField(label="支援措置の番号（空白区切り）", max_length=2000)

    def clean_measure_ids(self) -> list[int]:
        """The numbers as integers, in the order given; anything else is a clear field error."""
        text: str = self.cleaned_data["measure_ids"]
        if not re.fullmatch(r"\s*\d+(\s+\d+)*\s*", text):
            raise forms.ValidationError("支援措置の番号を空白で区切って入力してください。")
        return [int(n) for n in text.split()]


class CardFormsForm(PurposeForm):
    """カード関係の様式: the 交付申請書 / 再交付申請書 of a resident, or the card-face print of a change."""

    FORMS = (
        ("application", "個人番号カード交付申請書"),
        ("reapplication", "個人番号カード再交付申請書"),
        ("card_face", "券面の追記（カードプリンタ）"),
    )
    atena_number = forms.CharField(label="宛名番号", max_length=16)
    form = forms.ChoiceField(label="様式", choices=FORMS)
    change_id = forms.IntegerField(label="異動番号（券面の追記）", min_value=1, required=False)
    card_kind = forms.ChoiceField(
        label="カードの種類（券面の追記）",
        choices=[(kind.value, kind.label) for kind in CardFaceKind],
        required=False,
        initial=CardFaceKind.INDIVIDUAL_NUMBER.value,
    )
    start_line = forms.IntegerField(
        label="印字開始行（券面の追記）", min_value=1, max_value=20, initial=1, required=False
    )


class CardFaceSettingForm(PurposeForm):
    """券面印字の調整 of one terminal or office (standard 7.1.1.3-b)."""

    scope = forms.ChoiceField(label="範囲", choices=[("terminal", "端末"), ("office", "庁舎（入力場所）")])
    key = forms.CharField(label="端末ID または 入力場所コード", max_length=64)
    font_size_pt = forms.DecimalField(
        label="文字の大きさ（ポイント）", max_digits=4, decimal_places=1, initial=7
    )
    line_pitch_mm = forms.DecimalField(label="行の間隔（mm）", max_digits=4, decimal_places=1, initial=4)
    offset_top_mm = forms.DecimalField(
        label="上下の位置調整（mm）", max_digits=4, decimal_places=1, initial=0
    )
    offset_left_mm = forms.DecimalField(
        label="左右の位置調整（mm）", max_digits=4, decimal_places=1, initial=0
    )
    seal_size_mm = forms.DecimalField(label="公印の大きさ（mm）", max_digits=4, decimal_places=1, initial=7)


class PrintSettingForm(PurposeForm):
    """端末の印刷設定 (standard 10.7-a): the printer, its tray and PDF or paper as the default."""

    terminal_id = forms.CharField(label="端末ID", max_length=64)
    printer = forms.CharField(label="プリンタ名", max_length=40, required=False)
    tray = forms.CharField(label="トレイ（例: 1、手差し）", max_length=20, required=False)
    output = forms.ChoiceField(
        label="既定の出力先",
        choices=[("pdf", "PDF（保存）"), ("paper", "紙（プリンタで印刷）")],
        initial="pdf",
    )


class OptionDefaultsForm(_PrintedItemsFields):
    """記載事項の既定値 of one kind (standard 5.1-a/b); a request still overrides them per issue."""

    field_order = ("kind",)

    kind = forms.ChoiceField(
        label="証明書の種類", choices=[(kind.value, kind.label) for kind in DEFAULTS_KINDS]
    )
    individual_number_confirmed = forms.BooleanField(
        label="個人番号を「記載する」を既定値にすることを確認した（個人番号は請求があった場合に限り記載するのが原則です）",
        required=False,
    )
    reason = forms.CharField(label="理由", max_length=300, required=False)

    def defaults(self) -> OptionDefaults:
        data = self.cleaned_data
        return OptionDefaults(
            layout=Layout(data["layout"]),
            foreign_items=foreign_items_of(data["foreign_items"]),
            **{flag: bool(data[flag]) for flag in ITEM_FLAGS},
        )


class PhrasesForm(forms.Form):
    """定型文言 of one certificate kind (standard 5.6-b), one phrase per line."""

    kind = forms.ChoiceField(label="証明書の種類", choices=_choices(CertificateKind))
    phrases = forms.CharField(
        label="定型文言（1行に一つ、4行まで。例: この印は黒色です。／公印省略）",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(label="理由", max_length=300, required=False)


class SealForm(forms.Form):
    """A certificate-only or card-face 電子公印 (standard 5.6-b)."""

    kind = forms.ChoiceField(
        label="公印の種類",
        choices=[(k.value, k.label) for k in (SealKind.CERTIFICATE_ONLY, SealKind.CARD_FACE)],
    )
    color = forms.ChoiceField(label="色（赤は券面記載用のみ）", choices=_choices(SealColor), initial="black")
    seal_png = forms.FileField(label="公印の画像（PNG、正方形）", required=False)
    seal_size_mm = forms.DecimalField(
        label="公印の大きさ（mm、25以下）", max_digits=4, decimal_places=1, initial=21, required=False
    )
    withdraw = forms.BooleanField(label="この種類の公印の使用をやめる（認証者の公印に戻す）", required=False)
    reason = forms.CharField(label="理由", max_length=300, required=False)
