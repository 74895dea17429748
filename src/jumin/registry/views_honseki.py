"""The 本籍 pick list of the 出生, 死亡 and 失踪 screens (standard 4.2.0.3-a; ``honseki_candidates``).

「本籍の候補を表示」 posts the form as it stands; the household's 本籍・筆頭者 come back as the choices
of 「本籍の候補」 (audited, only with the 本籍 grant, C-10) and the form is shown again unvalidated.
On 「仮登録」 a picked candidate fills 本籍・筆頭者 left blank; typed values win, field by field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.registry import honseki_candidates
from jumin.registry.forms import NO_HONSEKI_CHOICE
from jumin.registry.views_common import shown_on_screen

SHOW = "show_honseki_candidates"
_SEPARATOR = "\t"  # between 本籍 and 筆頭者 in a choice's value (neither holds a tab)
_NONE = list(NO_HONSEKI_CHOICE)


def picked(data: dict[str, Any]) -> tuple[str, str]:
    """本籍 and 筆頭者 to enter: each as typed, else the picked candidate's (an address candidate has no
    筆頭者, so the clerk types it beside the picked address)."""
    honseki, hittousha = data.get("honseki", ""), data.get("hittousha", "")
    chosen_honseki, _, chosen_hittousha = data.get("honseki_choice", "").partition(_SEPARATOR)
    return (
        honseki if honseki.strip() else chosen_honseki,
        hittousha if hittousha.strip() else chosen_hittousha,
    )


def offer(
    request: HttpRequest,
    make_form: Callable[..., forms.Form],
    template: str,
    *,
    household_field: str = "",
    person_field: str = "",
) -> HttpResponse | None:
    """Show the form again with the candidates when 「本籍の候補を表示」 was pressed, else None."""
    if request.method != "POST" or SHOW not in request.POST:
        return None
    form = make_form(initial=request.POST.dict())  # unbound: no "required" errors for the rest yet
    context: dict[str, Any] = {"form": form}
    with shown_on_screen(context) as outcome:
        found = honseki_candidates.honseki_candidates(
            actor=request.user,
            purpose=request.POST.get("purpose", ""),
            household_number=request.POST.get(household_field, "") if household_field else "",
            atena_number=request.POST.get(person_field, "") if person_field else "",
        )
    if outcome.ok:
        form.fields["honseki_choice"].widget.choices = _NONE + [
            (f"{c.honseki}{_SEPARATOR}{c.hittousha}", _label(c)) for c in found.candidates
        ]
        context["honseki_note"] = _note(found)
    return render(request, template, context)


def _label(candidate: honseki_candidates.HonsekiCandidate) -> str:
    if not candidate.relationships:  # an address or an old 町字 name
        return f"{candidate.honseki}（{candidate.source}）"
    held_by = "・".join(candidate.relationships)
    return f"{candidate.honseki}（筆頭者 {candidate.hittousha}、{held_by}の本籍）"


def _note(found: honseki_candidates.HonsekiCandidates) -> str:
    if not found.visible:
        return "本籍を表示する権限がないため、候補は表示されません。"
    if not found.candidates:
        return "候補はありません。"
    return f"「本籍の候補」に{len(found.candidates)}件を表示しました。"
