"""転出先（予定）を住所辞書から選ぶ (standard 4.1.3.0.2-a): 都道府県 → 市区町村 → 町字, or a country.

An htmx panel of the 転出 screen; it reads no personal data (nothing is audited) but belongs to the
entry screen, so it needs RESIDENT_RECORD. Picking fills the screen's 転出先（予定）, 転入予定地の
市町村コード and 郵便番号 fields (out-of-band swaps); the clerk may still edit them or type free text.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from jumin.accounts.authorization import PERMISSION_MISSING_MESSAGE, AccessRefused, has_permission
from jumin.accounts.permissions import Permission
from jumin.masters.models import AddressArea, Country, Municipality
from jumin.masters.selectors import countries, current_areas_of, current_municipalities_of, prefectures
from jumin.registry.views_common import clerk_screen, refused

TEMPLATE = "registry/_destination_picker.html"


@clerk_screen
@require_http_methods(["GET", "POST"])
def destination_picker(request: HttpRequest) -> HttpResponse:
    """The picker at its current step (GET: the first, loaded by the 転出 screen); a POST with 「選ぶ」
    also gives the filled-in fields of the 転出 form."""
    if not has_permission(request.user, Permission.RESIDENT_RECORD):
        return refused(request, AccessRefused(PERMISSION_MISSING_MESSAGE, reason_code="permission_missing"))
    prefecture = request.POST.get("picker_prefecture", "")
    municipality = (
        Municipality.objects.select_related("prefecture")
        .filter(code=request.POST.get("picker_municipality", ""), prefecture_id=prefecture)
        .first()
    )
    area_id = request.POST.get("picker_area", "")
    area = (
        AddressArea.objects.filter(pk=int(area_id), municipality=municipality, is_current=True).first()
        if municipality is not None and area_id.isascii() and area_id.isdigit()
        else None
    )
    context: dict[str, Any] = {
        "prefectures": prefectures(),
        "prefecture": prefecture,
        "municipalities": current_municipalities_of(prefecture) if prefecture else [],
        "municipality": municipality,
        "areas": current_areas_of(municipality.code) if municipality is not None else [],
        "area": area,
        "countries": countries(),
    }
    if request.POST.get("pick") == "address" and municipality is not None:
        context["picked"] = {
            "destination": municipality.prefecture.name
            + municipality.address_name
            + (area.name if area is not None else ""),
            "municipality_code": municipality.code,
            "postal_code": area.postal_code if area is not None else "",
        }
    country = Country.objects.filter(code=request.POST.get("picker_country", "")).first()
    if request.POST.get("pick") == "country" and country is not None:
        context["picked"] = {"destination": country.name_ja, "municipality_code": "", "postal_code": ""}
    return render(request, TEMPLATE, context)
