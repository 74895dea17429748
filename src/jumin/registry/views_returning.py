"""「除票から入力」 on the 転入 screen (再転入, standard 4.1.1.2-b, 1.1.7-b). Thin: a form, one call of
``registry.returning`` (which authorises and audits), the 転入 template.

Two steps by POST on /registry/move-in/, so no identifier reaches a URL: 「除票を検索」 lists the 除票
matching the conditions (audited as a list); 「この除票から入力」 opens one (audited as viewed) and
shows the 転入 form filled from it, with the chosen 宛名番号 in the member row. 「仮登録」 then goes the
ordinary way (``views.move_in``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.domain import recorded_dates
from jumin.domain.resident import Sex
from jumin.registry import returning, views_member_rows
from jumin.registry.forms import MemberFormSet, MoveInForm, ReturningLookupForm
from jumin.registry.views_common import acknowledged, shown_on_screen

_TEMPLATE = "registry/move_in.html"
_PREFIX = "returning"
FIND = "find_returning"
PREFILL = "prefill_returning"


def is_lookup(request: HttpRequest) -> bool:
    """Whether the POST is a step of 「除票から入力」 rather than the 転入 itself."""
    return FIND in request.POST or PREFILL in request.POST


def empty_lookup() -> ReturningLookupForm:
    """The lookup form as the 転入 screen first shows it."""
    return ReturningLookupForm(prefix=_PREFIX)


def _query(data: dict[str, Any]) -> returning.ReturningQuery:
    return returning.ReturningQuery(
        juminhyo_code=data["juminhyo_code"],
        name=data["name"],
        name_kana=data["name_kana"],
        birth_date=data["birth_date"],
        sex=Sex(data["sex"]) if data["sex"] else None,
        address=data["address"],
    )


def member_initial(start: returning.ReturningPrefill) -> dict[str, Any]:
    """The 転入 member row filled from a 除票 (every item editable)."""
    facts = start.facts
    foreign = returning.foreign_initial(facts) or {}
    category = foreign.pop("category", "")
    return {
        **foreign,
        "foreign_category": category,
        "kind": facts.kind,
        "surname": facts.surname,
        "given_name": facts.given_name,
        "surname_kana": facts.surname_kana,
        "given_name_kana": facts.given_name_kana,
        "kana_confirmed": facts.kana_confirmed,
        "former_surname_kana_confirmed": facts.former_surname_kana_confirmed,
        "alias_kana_confirmed": facts.alias_kana_confirmed,
        "birth_date": start.birth_date_text,
        "sex": facts.sex,
        "relationship": facts.relationship.text,
        "honseki": facts.honseki,
        "hittousha": facts.hittousha,
        "former_surname": facts.former_surname,
        "former_surname_kana": facts.former_surname_kana,
        "alias": facts.alias,
        "alias_kana": facts.alias_kana,
        "former_alien_registration_date": (
            recorded_dates.display(facts.former_alien_registration_date)
            if facts.former_alien_registration_date is not None
            else ""
        ),
        "returning_atena_number": start.atena_number,
    }


def lookup_step(request: HttpRequest) -> HttpResponse:
    """Run 「除票を検索」 or 「この除票から入力」 and show the 転入 screen with its outcome."""
    lookup = ReturningLookupForm(request.POST, prefix=_PREFIX)
    context: dict[str, Any] = {
        **views_member_rows.entry_extras(),
        "lookup": lookup,
        "form": MoveInForm(),
        "members": MemberFormSet(),
    }
    if not lookup.is_valid():
        return render(request, _TEMPLATE, context)
    purpose = lookup.cleaned_data["purpose"]
    if FIND in request.POST:
        with shown_on_screen(context, form=lookup):
            context["candidates"] = returning.find_returning(
                actor=request.user, purpose=purpose, query=_query(lookup.cleaned_data)
            )
        return render(request, _TEMPLATE, context)
    with shown_on_screen(context) as outcome:
        start = returning.returning_prefill(
            actor=request.user,
            purpose=purpose,
            atena_number=request.POST.get(PREFILL, ""),
            acknowledged_alerts=tuple(acknowledged(request)),
        )
    if outcome.ok:
        context.update(
            prefill=start,
            form=MoveInForm(initial={"purpose": purpose, "previous_address": start.previous_address}),
            members=MemberFormSet(initial=[member_initial(start)]),
        )
    return render(request, _TEMPLATE, context)
