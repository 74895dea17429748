"""Screens of the 都道府県サーバ (Japanese, thin: services and selectors only; htmx refreshes the monitor)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.forms import PurposeForm
from jumin.domain.errors import DomainError
from jumin.jukinet.prefecture import statistics, temporary_numbers
from jumin.jukinet.prefecture.fuhyo_search import FuhyoKey, search_fuhyo

#: The duty of the 附票 個人番号 screens (jumin.accounts.duties): the purpose recorded by default.
FUHYO_PURPOSE = "prefecture_fuhyo_number"
#: The duty of 附票の検索・照会: the purpose offered by default.
FUHYO_SEARCH_PURPOSE = "prefecture_fuhyo"


class FetchForm(PurposeForm):
    """住民票コード and the purpose, chosen among the user's own duties (as on every other screen)."""

    resident_code = forms.CharField(label="住民票コード", max_length=11)


class FuhyoSearchForm(PurposeForm):
    """附票の検索: by 住民票コード or by 4情報 (two of name or reading, birth date, address)."""

    by = forms.ChoiceField(
        label="検索の種類", choices=[("resident_code", "住民票コード"), ("four_items", "4情報")]
    )
    resident_code = forms.CharField(label="住民票コード", max_length=11, required=False)
    name = forms.CharField(label="氏名", max_length=200, required=False)
    name_kana = forms.CharField(label="氏名ふりがな", max_length=200, required=False)
    birth_date = forms.CharField(label="生年月日（YYYYMMDD）", max_length=8, required=False)
    sex = forms.ChoiceField(
        label="性別", choices=[("", "指定しない"), ("male", "男"), ("female", "女")], required=False
    )
    address = forms.CharField(label="住所（前方一致）", max_length=200, required=False)
    include_deleted = forms.BooleanField(label="削除された附票も含める", required=False)
    ask_national = forms.BooleanField(label="該当がなければ附票全国サーバに照会する", required=False)


#: The items the result table shows, in the order of records.md §3 (the 外字 counts, flag and pattern and
#: the 通知区分 are left out), with their names.
FUHYO_COLUMNS = (
    ("resident_code", "住民票コード"),
    ("name", "氏名"),
    ("name_kana", "ふりがな"),
    ("birth_date", "生年月日"),
    ("sex", "性別"),
    ("municipality_code", "住所市町村コード"),
    ("address", "住所"),
    ("last_address", "最終住所"),
    ("change_date", "異動年月日"),
    ("former_resident_code", "旧住民票コード"),
    ("fuhyo_municipality_code", "附票管理市町村コード"),
    ("state", "状態"),
)


def _refused(request: HttpRequest, refused: AccessRefused) -> HttpResponse:
    return render(request, "jukinet_prefecture/refused.html", {"message": refused.message}, status=403)


@login_required
@require_GET
def monitor(request: HttpRequest) -> HttpResponse:
    """更新監視: today's counts per municipality, refused updates with reasons, consistency runs."""
    try:
        status = statistics.monitor_status(actor=request.user)
    except AccessRefused as refused:
        return _refused(request, refused)
    template = (
        "jukinet_prefecture/_monitor.html"
        if request.headers.get("HX-Request")
        else "jukinet_prefecture/monitor.html"
    )
    return render(request, template, {"status": status})


@login_required
@require_GET
def statistics_view(request: HttpRequest) -> HttpResponse:
    """更新件数統計: per municipality and month, for the chosen year."""
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() else timezone.localdate().year
    try:
        rows = statistics.view_statistics(year, actor=request.user)
    except AccessRefused as refused:
        return _refused(request, refused)
    except DomainError as error:
        messages.error(request, f"{error.reason}{error.remedy}")
        rows = []
    return render(request, "jukinet_prefecture/statistics.html", {"rows": rows, "year": year})


@login_required
@require_http_methods(["GET", "POST"])
def fuhyo_numbers(request: HttpRequest) -> HttpResponse:
    """附票 個人番号一時保管: fetch a 国外転出者's number into the temporary area; list what is held."""
    form = FetchForm(request.POST or None, initial={"purpose": FUHYO_PURPOSE})
    try:
        if request.method == "POST":
            if not form.is_valid():
                messages.error(request, "住民票コードと利用目的（事務）を選んでください。")
                return redirect("jukinet_prefecture:fuhyo_numbers")
            held = temporary_numbers.fetch_number_for_overseas(
                form.cleaned_data["resident_code"], actor=request.user, purpose=form.cleaned_data["purpose"]
            )
            messages.success(
                request, f"個人番号を一時保管しました（保管番号 {held.pk}）。引渡し後に削除してください。"
            )
            return redirect("jukinet_prefecture:fuhyo_numbers")
        rows = temporary_numbers.list_temporary_numbers(actor=request.user, purpose=FUHYO_PURPOSE)
    except AccessRefused as refused:
        return _refused(request, refused)
    except DomainError as error:
        messages.error(request, f"{error.reason}{error.remedy}")
        return redirect("jukinet_prefecture:fuhyo_numbers")
    return render(request, "jukinet_prefecture/fuhyo_numbers.html", {"rows": rows, "form": form})


@login_required
@require_POST
def confirm_delivery(request: HttpRequest) -> HttpResponse:
    """引渡し確認: delete one held number at once."""
    raw = request.POST.get("temporary_id", "")
    try:
        temporary_numbers.confirm_delivery(
            int(raw) if raw.isdigit() else 0, actor=request.user, purpose=FUHYO_PURPOSE
        )
    except AccessRefused as refused:
        return _refused(request, refused)
    messages.success(request, "引渡しを確認し、一時保管の個人番号を削除しました。")
    return redirect("jukinet_prefecture:fuhyo_numbers")


#: Coded items as the clerk reads them.
_FUHYO_LABELS = {
    "sex": {"male": "男", "female": "女"},
    "state": {"current": "現存", "deleted": "削除"},
}


def _shown(name: str, value: object) -> object:
    return _FUHYO_LABELS.get(name, {}).get(str(value), value)


@login_required
@require_http_methods(["GET", "POST"])
def fuhyo_search_view(request: HttpRequest) -> HttpResponse:
    """附票の検索: this prefecture's 附票 file, then on request the 附票全国サーバ (POST only: the keys
    never appear in a URL)."""
    form = FuhyoSearchForm(request.POST or None, initial={"purpose": FUHYO_SEARCH_PURPOSE})
    context: dict[str, object] = {"form": form, "columns": FUHYO_COLUMNS, "result": None}
    if request.method == "POST":
        if not form.is_valid():
            messages.error(request, "検索の種類と利用目的（事務）を選んでください。")
            return render(request, "jukinet_prefecture/fuhyo_search.html", context)
        data = dict(form.cleaned_data)
        purpose, ask_national = data.pop("purpose"), data.pop("ask_national")
        try:
            result = search_fuhyo(
                actor=request.user, purpose=purpose, key=FuhyoKey(**data), ask_national=ask_national
            )
        except AccessRefused as refused:
            return _refused(request, refused)
        except DomainError as error:
            messages.error(request, f"{error.reason}{error.remedy}")
            return render(request, "jukinet_prefecture/fuhyo_search.html", context)
        context["result"] = result
        context["rows"] = [
            [_shown(name, record.get(name, "")) for name, _label in FUHYO_COLUMNS]
            for record in result.records
        ]
    return render(request, "jukinet_prefecture/fuhyo_search.html", context)
