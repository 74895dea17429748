"""Clerk input for the support database's 加害者, 転送情報 and 加害者照合 screens. Forms only parse."""

from __future__ import annotations

from django import forms

from jumin.accounts.forms import PurposeForm
from jumin.registry.support_database import FORWARDING_DIRECTIONS, PERPETRATOR_SEXES

_DATE = forms.DateInput(attrs={"type": "date"})


class PerpetratorForm(PurposeForm):
    """One 加害者 as separate fields (standard 1.1.16-a); unknown items stay empty."""

    perpetrator_no = forms.IntegerField(
        label="修正する加害者番号（新しい加害者の登録は空欄）", min_value=1, required=False
    )
    surname = forms.CharField(label="氏", max_length=100, required=False)
    given_name = forms.CharField(label="名", max_length=100, required=False)
    surname_kana = forms.CharField(label="氏フリガナ", max_length=100, required=False)
    given_name_kana = forms.CharField(label="名フリガナ", max_length=100, required=False)
    atena_number = forms.CharField(
        label="宛名番号（当市区町村の住民・除票の場合のみ）", max_length=16, required=False
    )
    birth_date = forms.CharField(
        label="生年月日（和暦・西暦・不詳。例：昭和50年頃、空欄は不明）", max_length=40, required=False
    )
    sex = forms.ChoiceField(label="性別", choices=PERPETRATOR_SEXES, initial="unknown")
    address = forms.CharField(label="住所", max_length=200, required=False)
    note = forms.CharField(
        label="その他（特徴・勤務先等）", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ForwardingForm(PurposeForm):
    """One 転送情報 row: the municipality the support moved to or came from (no address)."""

    direction = forms.ChoiceField(label="区分", choices=FORWARDING_DIRECTIONS)
    municipality_code = forms.CharField(label="相手方の市区町村コード（6桁）", max_length=6, required=False)
    municipality_name = forms.CharField(label="相手方の市区町村名", max_length=100, required=False)
    moved_on = forms.DateField(label="異動日", widget=_DATE, required=False)
    notified_on = forms.DateField(label="連絡日", widget=_DATE, required=False)
    note = forms.CharField(label="備考（住所は入力しないでください）", max_length=200, required=False)


class ForwardingResendForm(PurposeForm):
    """「再送」 of a waiting 転送情報 row (転入先 now a peer): its number on the detail screen."""

    forwarding_id = forms.IntegerField(label="転送情報の番号", min_value=1)


class PerpetratorCheckForm(PurposeForm):
    """加害者照合: the requester's 宛名番号 and, optionally, whom the request is about."""

    requester_atena_number = forms.CharField(label="請求者の宛名番号", max_length=16)
    atena_numbers = forms.CharField(
        label="請求の対象者の宛名番号（複数は改行・空白で区切る。空欄なら支援措置全体）",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
