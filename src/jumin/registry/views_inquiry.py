"""Clerk inquiry screens once a person is identified: 異動履歴 and 文字の拡大表示 (standard 2.2.1, 2.2.3).

Purpose and 宛名番号 arrive by POST (never in a URL); the reads are authorised and audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.registry import inquiry
from jumin.registry.forms_search import PersonForm
from jumin.registry.views_common import acknowledged, clerk_screen, shown_on_screen

# A read of one person: (actor, purpose, atena_number, acknowledged_alerts) → the page's data.
PersonRead = Callable[..., Any]


def _person_inquiry(
    request: HttpRequest, title: str, read: PersonRead, template: str, key: str
) -> HttpResponse:
    """The purpose/宛名番号 form; on a valid POST, ``read``'s result as ``key`` on ``template``."""
    form = PersonForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "title": title}
    if request.method == "POST" and form.is_valid():
        atena_number = form.cleaned_data["atena_number"]
        with shown_on_screen(context, form=form, field="atena_number") as outcome:
            result = read(
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
                atena_number=atena_number,
                acknowledged_alerts=acknowledged(request),
            )
        if outcome.ok:
            return render(request, template, {key: result, "atena_number": atena_number})
    return render(request, "registry/inquiry/person_form.html", context)


@clerk_screen
def timeline_view(request: HttpRequest) -> HttpResponse:
    """異動履歴の照会 (standard 2.2.1-a), 旧氏・通称の履歴 included."""
    return _person_inquiry(
        request, "異動履歴の照会", inquiry.resident_timeline, "registry/inquiry/timeline.html", "timeline"
    )


@clerk_screen
def glyphs_view(request: HttpRequest) -> HttpResponse:
    """文字の拡大表示 (standard 2.2.3-a): each character of each name with its code points (IVS included)."""
    return _person_inquiry(
        request, "文字の拡大表示", inquiry.resident_glyphs, "registry/inquiry/glyphs.html", "names"
    )
