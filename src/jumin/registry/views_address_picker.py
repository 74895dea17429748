"""住所・本籍を住所辞書から選ぶ (standard 1.3.3-d, 1.3.3-a) and 本籍の候補 (4.0.6-a): an htmx panel of the
entry screens, placed inside the screen's form so its requests carry the form's fields.

都道府県 → 市区町村 → 町字 by selects and buttons (keyboard usable, no script of our own); the
address dictionary holds no 小字 level (``AddressArea``: 大字 with 小字 code 000), so the drill-down
ends at the 町字. For a 本籍 the merged municipalities and old 町字 are offered too, marked 「（旧）」:
a 本籍 is written as the 戸籍 has it (1.3.3-a). 「この住所を使う」 fills the screen's field(s) by
out-of-band swaps (the address and its 郵便番号, or the 本籍); the clerk may still edit them.

「本籍の候補を表示」 (本籍 panels with candidates) lists ``honseki_candidates`` from the posted form: the
household or person, the typed address, 転入前住所 and 本籍, and whether the row is a 再転入. The
candidates are personal data: only ever posted (never in a URL), read and audited by the service.
Picking the address reads no personal data, so nothing is audited.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from jumin.accounts.authorization import PERMISSION_MISSING_MESSAGE, AccessRefused, has_permission
from jumin.accounts.permissions import Permission
from jumin.masters.models import AddressArea, Municipality
from jumin.masters.selectors import current_areas_of, current_municipalities_of, prefectures
from jumin.registry.honseki_candidates import CandidateQuery, honseki_candidates
from jumin.registry.views_common import clerk_screen, refused, shown_on_screen

TEMPLATE = "registry/_address_picker.html"
ADDRESS, HONSEKI = "address", "honseki"
_PREFIX = re.compile(r"(form-[0-9]{1,2}-)?")  # a member row of the 転入 screen, or the screen's own field
_SEPARATOR = "\t"  # between 本籍 and 筆頭者 in a candidate's value (neither holds a tab)


def _municipalities(prefecture: str, target: str) -> QuerySet[Municipality]:
    if target == HONSEKI:  # merged municipalities stay enterable for 本籍 (1.3.3-a)
        return Municipality.objects.filter(prefecture_id=prefecture).order_by("-is_current", "code")
    return current_municipalities_of(prefecture)


def _areas(municipality: Municipality, target: str) -> QuerySet[AddressArea]:
    if target == HONSEKI:
        return AddressArea.objects.filter(municipality=municipality).order_by("-is_current", "kana", "name")
    return current_areas_of(municipality.code)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _candidate_query(post: QueryDict, prefix: str) -> CandidateQuery:
    """What the screen's form holds about the person, as the service takes it."""
    return CandidateQuery(
        household_number=post.get("household_number", ""),
        atena_number=post.get("atena_number", "") or _first_line(post.get("atena_numbers", "")),
        address=post.get("address", ""),
        previous_address=post.get("previous_address", ""),
        typed_honseki=post.get(f"{prefix}honseki", ""),
        returning=bool(post.get(f"{prefix}returning_atena_number", "").strip()),
    )


@clerk_screen
@require_http_methods(["GET", "POST"])
def address_picker(request: HttpRequest) -> HttpResponse:
    """The panel at its current step (GET: the first, loaded by the entry screen); a POST with
    「この住所を使う」 or 「この本籍を使う」 also gives the filled-in fields of the screen."""
    if not has_permission(request.user, Permission.RESIDENT_RECORD):
        return refused(request, AccessRefused(PERMISSION_MISSING_MESSAGE, reason_code="permission_missing"))
    params = request.POST if request.method == "POST" else request.GET
    target = params.get("picker_target", "")
    prefix = params.get("picker_prefix", "")
    if target not in (ADDRESS, HONSEKI) or not _PREFIX.fullmatch(prefix):
        target, prefix = ADDRESS, ""
    key = f"picker-{target}-{prefix}"
    prefecture = params.get(f"{key}prefecture", "")
    municipality = (
        _municipalities(prefecture, target)
        .select_related("prefecture")
        .filter(code=params.get(f"{key}municipality", ""))
        .first()
    )
    area_id = params.get(f"{key}area", "")
    area = (
        _areas(municipality, target).filter(pk=int(area_id)).first()
        if municipality is not None and area_id.isascii() and area_id.isdigit()
        else None
    )
    context: dict[str, Any] = {
        "key": key,
        "target": target,
        "prefix": prefix,
        "with_candidates": target == HONSEKI and params.get("picker_candidates") == "1",
        "prefectures": prefectures(),
        "prefecture": prefecture,
        "municipalities": _municipalities(prefecture, target) if prefecture else [],
        "municipality": municipality,
        "areas": _areas(municipality, target) if municipality is not None else [],
        "area": area,
    }
    # The candidates and a picked 本籍 are personal data: only ever by POST, never from a URL.
    action = params.get("picker_action", "") if request.method == "POST" else ""
    if action == "pick" and municipality is not None:
        text = (
            municipality.prefecture.name + municipality.address_name + (area.name if area is not None else "")
        )
        context["picked"] = _filled(target, prefix, text, area.postal_code if area is not None else "")
    if action == "candidates" and context["with_candidates"]:
        _offer_candidates(request, params, prefix, context)
    if action == "use_candidate" and target == HONSEKI:
        honseki, _, hittousha = params.get(f"{key}candidate", "").partition(_SEPARATOR)
        if honseki:
            context["picked"] = _filled(target, prefix, honseki, "", hittousha=hittousha)
    return render(request, TEMPLATE, context)


def _offer_candidates(request: HttpRequest, params: QueryDict, prefix: str, context: dict[str, Any]) -> None:
    """The candidates into the panel; an error or a refusal (no 利用目的 chosen yet …) is told in the panel
    rather than replacing the entry screen's panel with a whole page."""
    try:
        with shown_on_screen(context) as outcome:
            found = honseki_candidates(
                actor=request.user, purpose=params.get("purpose", ""), query=_candidate_query(params, prefix)
            )
    except AccessRefused as refusal:
        context["refusal"] = refusal.message
        return
    if outcome.ok:
        context["candidates"] = [
            (f"{c.honseki}{_SEPARATOR}{c.hittousha}", _label(c.honseki, c.hittousha, c.source))
            for c in found.candidates
        ]
        context["candidates_visible"] = found.visible
        context["candidates_shown"] = True


def _label(honseki: str, hittousha: str, source: str) -> str:
    return f"{honseki}（{source}{'、筆頭者 ' + hittousha if hittousha else ''}）"


def _filled(
    target: str, prefix: str, text: str, postal_code: str, *, hittousha: str = ""
) -> list[dict[str, Any]]:
    """The screen's fields a pick replaces: (name, value, maxlength) of each out-of-band input."""
    if target == HONSEKI:
        fields = [{"name": f"{prefix}honseki", "value": text, "maxlength": 200}]
        if hittousha:
            fields.append({"name": f"{prefix}hittousha", "value": hittousha, "maxlength": 100})
        return fields
    return [
        {"name": f"{prefix}address", "value": text, "maxlength": 200},
        {"name": f"{prefix}postal_code", "value": postal_code, "maxlength": 8},
    ]
