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

#: The duty of the 附票 個人番号 screens (jumin.accounts.duties): the purpose recorded by default.
FUHYO_PURPOSE = "prefecture_fuhyo_number"


class FetchForm(PurposeForm):
    """住民票コード and the purpose, chosen among the user's own duties (as on every other screen)."""

    resident_code = forms.CharField(label="住民票コード", max_length=11)


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
