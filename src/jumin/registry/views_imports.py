"""「届出データの取込」: a CSV of 転入・転居・転出・世帯変更 forms into drafts (standard 10.8-a)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import notification_imports
from jumin.registry.views_common import clerk_screen, shown_on_screen

# An upload larger than this is refused before it is read (MAX_ROWS rows fit well within it).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024


class MoveInCsvForm(PurposeForm):
    file = forms.FileField(
        label="転入・転居・転出・世帯変更の届出CSVファイル（UTF-8 または Shift_JIS、1行目は列名）"
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                "ファイルが大きすぎます（4MBまで）。ファイルを分けて取り込んでください。"
            )
        return upload


@clerk_screen
def notification_csv_view(request: HttpRequest) -> HttpResponse:
    """Upload, then the drafts entered (for review by another clerk) and the rows refused."""
    form = MoveInCsvForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "columns": notification_imports.ALL_COLUMNS}
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, field="file"):
            context["result"] = notification_imports.import_notification_csv(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                content=form.cleaned_data["file"].read(),
            )
    return render(request, "registry/notification_csv_import.html", context)
