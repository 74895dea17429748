"""「届出データの取込」: a CSV of 転入・転居・転出・世帯変更 forms into drafts, and
「証明書交付申請・券面事項の取込」 with its review list (standard 10.8-a)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.registry import item_imports, notification_imports
from jumin.registry.models_imported_items import ImportedItem
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


class ItemCsvForm(MoveInCsvForm):
    kind = forms.ChoiceField(label="取込の種類", choices=ImportedItem.Kind.choices)
    file = forms.FileField(
        label="証明書交付申請または券面事項のCSVファイル（UTF-8 または Shift_JIS、1行目は列名）"
    )

    field_order = ("purpose", "kind", "file")


@clerk_screen
def item_import_view(request: HttpRequest) -> HttpResponse:
    """「証明書交付申請・券面事項の取込」: upload; the items stored for review or the rows refused."""
    form = ItemCsvForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "form": form,
        "layouts": {
            label: list(item_imports.LAYOUTS[ImportedItem.Kind(kind)].columns)
            for kind, label in ImportedItem.Kind.choices
        },
    }
    if request.method == "POST" and form.is_valid():
        with shown_on_screen(context, form=form, field="file"):
            context["result"] = item_imports.import_items(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                kind=form.cleaned_data["kind"],
                content=form.cleaned_data["file"].read(),
            )
    return render(request, "registry/item_import.html", context)


@clerk_screen
def item_review_view(request: HttpRequest) -> HttpResponse:
    """「取込データの確認」: the items 確認待ち (POST with the purpose), each confirmed or refused."""
    form = PurposeForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "items": None}
    if request.method == "POST" and form.is_valid():
        purpose = form.cleaned_data["purpose"]
        context["purpose"] = purpose
        decision = request.POST.get("decision", "")
        if decision in ("accept", "refuse") and request.POST.get("item_id", "").isdigit():
            with shown_on_screen(context, form=form, field="purpose"):
                item_imports.decide_item(
                    actor=request.user,
                    purpose=purpose,
                    item_id=int(request.POST["item_id"]),
                    accept=decision == "accept",
                    reason=request.POST.get("reason", ""),
                )
                context["decided"] = "確認済にしました。" if decision == "accept" else "不受理にしました。"
        with shown_on_screen(context, form=form, field="purpose"):
            context["items"] = item_imports.pending_items(actor=request.user, purpose=purpose)
    return render(request, "registry/item_review.html", context)
