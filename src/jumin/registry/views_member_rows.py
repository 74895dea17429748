"""The member rows of the 転入 screen: add, remove and copy (一括入力, standard 4.0.10-a), and the start
from a 転出証明書's QR code (standard 10.8-a). Nothing here writes a draft.

Each action posts the whole form and gets the rows back rebuilt from what was posted: with htmx only the
rows are swapped (``registry:move_in_rows``); without script the whole screen comes back
(``registry:move_in`` with the same buttons). The 個人番号 is never sent back (masked input): a clerk
re-enters it after an action, and the screen says so.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from jumin.accounts.forms import PurposeForm
from jumin.domain.bulk_entry import (
    HONSEKI_SOURCE_LABELS,
    SURNAME_SOURCE_LABELS,
    HonsekiSource,
    SurnameSource,
    copy_between_rows,
)
from jumin.registry import notification_imports
from jumin.registry.forms import MoveInForm, MoveInMemberForm
from jumin.registry.views_common import clerk_screen, shown_on_screen

ROW_ACTIONS = ("rows_add", "rows_remove", "rows_copy")
MAX_ROWS = 10
ROWS_TEMPLATE = "registry/_move_in_rows.html"
# What a row keeps across an action: every member field but the masked 個人番号.
ROW_FIELDS = tuple(name for name in MoveInMemberForm.base_fields if name != "individual_number")


class _RowsFromInitial(forms.BaseFormSet):  # type: ignore[type-arg]
    """Rows shown again from their posted values: all of them count as new rows when posted back, so an
    empty one is skipped as on a first entry (not checked as an existing row)."""

    def initial_form_count(self) -> int:
        return super().initial_form_count() if self.is_bound else 0


def rows_formset(rows: list[dict[str, str]]) -> forms.BaseFormSet:  # type: ignore[type-arg]
    """An unbound member formset showing ``rows`` (at least one row)."""
    factory = forms.formset_factory(
        MoveInMemberForm,
        formset=_RowsFromInitial,
        extra=max(len(rows), 1) - 1,
        min_num=1,
        max_num=MAX_ROWS,
        validate_min=True,
    )
    return factory(initial=rows)


class QrForm(PurposeForm):
    """「転出証明書のQRコードから入力」: the code's text as the reader types it."""

    qr_payload = forms.CharField(
        label="QRコードの内容（読取装置で読み取る）",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: the screen's main form has a 利用目的 too, and two elements may not share an id.
        kwargs.setdefault("auto_id", "qr_%s")
        super().__init__(*args, **kwargs)


def is_row_action(request: HttpRequest) -> bool:
    """The POST is one of the rows' buttons (not the 仮登録)."""
    return any(action in request.POST for action in ROW_ACTIONS)


def posted_rows(post: QueryDict) -> list[dict[str, str]]:
    """The member rows as posted (at most ``MAX_ROWS``), without the 個人番号."""
    try:
        count = min(int(post.get("form-TOTAL_FORMS", "1")), MAX_ROWS)
    except ValueError:
        count = 1
    return [{name: post.get(f"form-{i}-{name}", "") for name in ROW_FIELDS} for i in range(max(count, 1))]


def _index(text: str, count: int) -> int | None:
    return int(text) if text.isdigit() and int(text) < count else None


def rearranged(post: QueryDict) -> dict[str, Any]:
    """The rows after the posted action, and what to tell the clerk about it."""
    rows = posted_rows(post)
    copied: list[str] = []
    if "rows_add" in post and len(rows) < MAX_ROWS:
        rows.append({})
    elif "rows_remove" in post and len(rows) > 1:
        index = _index(post.get("rows_remove", ""), len(rows))
        if index is not None:
            del rows[index]
    elif "rows_copy" in post:
        surname = post.get("surname_source", "")
        honseki = post.get("honseki_source", "")
        rows, items = copy_between_rows(
            rows,
            SurnameSource(surname) if surname in set(SurnameSource) else SurnameSource.PREVIOUS,
            HonsekiSource(honseki) if honseki in set(HonsekiSource) else HonsekiSource.PREVIOUS,
            address=post.get("address", "").strip(),
        )
        copied = [f"{item.row + 1}人目の{MoveInMemberForm.base_fields[item.field].label}" for item in items]
    had_numbers = any(post.get(f"form-{i}-individual_number", "").strip() for i in range(len(rows) + 1))
    return {
        **entry_extras(),
        "members": rows_formset(rows),
        "copied": copied,
        "copy_done": "rows_copy" in post,
        "numbers_dropped": had_numbers,
    }


def entry_extras() -> dict[str, Any]:
    """What every showing of the 転入 screen needs besides its forms: the copy choices and the QR form."""
    return {
        "surname_sources": list(SURNAME_SOURCE_LABELS.items()),
        "honseki_sources": list(HONSEKI_SOURCE_LABELS.items()),
        "max_rows": MAX_ROWS,
        "qr": QrForm(),
    }


@clerk_screen
def move_in_rows(request: HttpRequest) -> HttpResponse:
    """htmx: the member rows after 「追加」「削除」「共通項目を複写」 (POST only; nothing written)."""
    if request.method != "POST":
        return HttpResponse(status=405)
    return render(request, ROWS_TEMPLATE, rearranged(request.POST))


def rows_step(request: HttpRequest, lookup: forms.Form) -> HttpResponse:
    """Without script: the whole 転入 screen again, the main items kept and the rows rearranged."""
    context = {
        "form": MoveInForm(initial=request.POST.dict()),
        "lookup": lookup,
        **rearranged(request.POST),
    }
    return render(request, "registry/move_in.html", context)


def qr_step(request: HttpRequest, lookup: forms.Form) -> HttpResponse:
    """「QRコードから入力」: the form started from the 転出証明書's code, or the error under its field."""
    qr = QrForm(request.POST)
    context: dict[str, Any] = {**entry_extras(), "form": MoveInForm(), "lookup": lookup, "qr": qr}
    context["members"] = rows_formset([])
    if qr.is_valid():
        with shown_on_screen(context, form=qr, field="qr_payload") as outcome:
            start = notification_imports.read_move_out_qr(
                actor=request.user,
                purpose=qr.cleaned_data["purpose"],
                payload=qr.cleaned_data["qr_payload"],
            )
        if outcome.ok:
            context["form"] = MoveInForm(
                initial={"purpose": qr.cleaned_data["purpose"], "previous_address": start.previous_address}
            )
            context["members"] = rows_formset(start.members)
            context["qr_start"] = start
            context["qr"] = QrForm(initial={"purpose": qr.cleaned_data["purpose"]})
    return render(request, "registry/move_in.html", context)
