"""Clerk screens of 住民検索, the search history and the input aids. Thin: a form, one call, a template.

Conditions travel by POST only, never in a URL (personal data). The input aids read only the
address dictionary, the era master and the Unicode/MJ tables; they answer htmx requests
(``HX-Request``) with a fragment and plain form posts with the whole page, so every screen also works
by keyboard without scripts.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from jumin.accounts.authorization import PERMISSION_MISSING_MESSAGE, AccessRefused, has_permission
from jumin.accounts.permissions import Permission
from jumin.registry import input_help, removed_archive_search, search_history
from jumin.registry.forms_search import (
    AddressKanaForm,
    DateInputForm,
    GlyphEntryForm,
    HistoryActionForm,
    KatagakiHelpForm,
    PostalCodeForm,
    SearchForm,
)
from jumin.registry.views_common import clerk_screen, refused, shown_on_screen


@clerk_screen
def search_view(request: HttpRequest) -> HttpResponse:
    """住民検索 (standard 2.1.2, 2.1.3): conditions by POST only; each row opens 照会 by POST too."""
    form = SearchForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        purpose = form.cleaned_data["purpose"]
        with shown_on_screen(context, form=form, pending_alerts=False):
            # Live first, then the 除票データベース when a search admitting 除票 finds nobody (1.1.5-f).
            context["result"] = removed_archive_search.search_live_then_archive(
                actor=request.user, purpose=purpose, criteria=form.criteria()
            )
        context["purpose"] = purpose
    return render(request, "registry/search/search.html", context)


@clerk_screen
def history_view(request: HttpRequest) -> HttpResponse:
    """検索履歴 (standard 2.1.1-a): the clerk's own searches; re-run one, or start a new search from it."""
    form = HistoryActionForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "entries": search_history.history_of(request.user)}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with shown_on_screen(context, form=form, pending_alerts=False):
            if data["rerun"]:
                context["result"] = removed_archive_search.replay_live_then_archive(
                    actor=request.user,
                    purpose=data["purpose"],
                    entry_id=data["rerun"],
                    individual_number=data["individual_number"],
                )
                context["purpose"] = data["purpose"]
                context["entries"] = search_history.history_of(request.user)
            else:
                saved = search_history.saved_criteria(
                    actor=request.user, purpose=data["purpose"], entry_id=data["load"]
                )
                initial = SearchForm.initial_from(saved.criteria, data["purpose"])
                return render(request, "registry/search/search.html", {"form": SearchForm(initial=initial)})
    return render(request, "registry/search/history.html", context)


def _help_page(request: HttpRequest, fragment: str, context: dict[str, Any]) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, fragment, context)
    page = {
        "postal_form": PostalCodeForm(),
        "kana_form": AddressKanaForm(),
        "date_form": DateInputForm(),
        "glyph_form": GlyphEntryForm(),
        "katagaki_form": KatagakiHelpForm(),
        "fragment": fragment,
        **context,
    }
    return render(request, "registry/search/input_help.html", page)


@login_required
def input_help_view(request: HttpRequest) -> HttpResponse:
    """入力補助: the four aids on one page (also reachable from the entry screens)."""
    return _help_page(request, "", {})


@login_required
@require_POST
def postal_help(request: HttpRequest) -> HttpResponse:
    """郵便番号 → 住所 (standard 1.3.3-d)."""
    form = PostalCodeForm(request.POST)
    context: dict[str, Any] = {"postal_form": form}
    if form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["suggestions"] = input_help.postal_address_suggestions(form.cleaned_data["postal_code"])
    return _help_page(request, "registry/search/address_suggestions.html", context)


@login_required
@require_POST
def kana_help(request: HttpRequest) -> HttpResponse:
    """住所の読みの先頭 → 住所の候補 (standard 1.3.3-d: 「ナガサキ サセボ」 → 長崎県佐世保市…)."""
    form = AddressKanaForm(request.POST)
    context: dict[str, Any] = {"kana_form": form}
    if form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["suggestions"] = input_help.kana_address_suggestions(form.cleaned_data["address_kana"])
    return _help_page(request, "registry/search/address_suggestions.html", context)


@login_required
@require_POST
def date_help(request: HttpRequest) -> HttpResponse:
    """和暦の入力補助: shows how a date input (shortcuts included) is read, in 和暦 and 西暦."""
    form = DateInputForm(request.POST)
    context: dict[str, Any] = {"date_form": form}
    if form.is_valid():
        with shown_on_screen(context, pending_alerts=False):
            context["preview"] = input_help.preview_date(form.cleaned_data["date_text"])
    return _help_page(request, "registry/search/date_preview.html", context)


@login_required
@require_POST
def glyph_help(request: HttpRequest) -> HttpResponse:
    """外字入力補助 (standard 2.1.3-e): a code point or a kanji → the glyph and its variants to pick.

    Reads no personal data (nothing is audited) but belongs to the search and entry screens, so it
    needs the permission of one of them: RESIDENT_SEARCH or RESIDENT_RECORD.
    """
    if not any(
        has_permission(request.user, p) for p in (Permission.RESIDENT_SEARCH, Permission.RESIDENT_RECORD)
    ):
        return refused(request, AccessRefused(PERMISSION_MISSING_MESSAGE, reason_code="permission_missing"))
    form = GlyphEntryForm(request.POST)
    context: dict[str, Any] = {"glyph_form": form}
    if form.is_valid():
        context["target"] = form.cleaned_data["target"]
        with shown_on_screen(context, pending_alerts=False):
            context["choices"] = input_help.glyph_choices(form.cleaned_data["glyph_entry"])
    return _help_page(request, "registry/search/glyph_choices.html", context)


@login_required
@require_POST
def katagaki_help(request: HttpRequest) -> HttpResponse:
    """方書の候補 (standard 4.0.7-a): the address up to the lot → the 方書 of the master to pick.

    Reads the masters only (nothing is audited); an entry-screen aid, so it needs RESIDENT_RECORD.
    """
    if not has_permission(request.user, Permission.RESIDENT_RECORD):
        return refused(request, AccessRefused(PERMISSION_MISSING_MESSAGE, reason_code="permission_missing"))
    form = KatagakiHelpForm(request.POST)
    context: dict[str, Any] = {"katagaki_form": form}
    if form.is_valid():
        context["target"] = form.cleaned_data["target"]
        with shown_on_screen(context, pending_alerts=False):
            context["katagaki"] = input_help.katagaki_suggestions(form.cleaned_data["address"])
    return _help_page(request, "registry/search/katagaki_choices.html", context)
