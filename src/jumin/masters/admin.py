"""Staff maintain the masters in Django admin (standard 1.3.3-b)."""

from __future__ import annotations

from django.contrib import admin

from jumin.masters.models import AddressArea, Country, Municipality, Prefecture


@admin.register(Prefecture)
class PrefectureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "kana")
    search_fields = ("code", "name", "kana")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "prefecture", "county", "name", "kana", "postal_code", "parent", "is_current")
    list_filter = ("prefecture", "is_designated_city", "is_designated_city_ward", "is_current")
    search_fields = ("=code", "name", "^kana", "county", "=postal_code")
    list_select_related = ("prefecture", "parent")
    raw_id_fields = ("parent",)


@admin.register(AddressArea)
class AddressAreaAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "address_code",
        "municipality",
        "name",
        "kana",
        "postal_code",
        "note",
        "source",
        "is_current",
    )
    list_filter = ("source", "is_current", "municipality__prefecture")
    # Exact postal and address codes and kana prefixes keep searches on the indexes.
    search_fields = ("=postal_code", "^kana", "name", "=address_code")
    list_select_related = ("municipality",)
    raw_id_fields = ("municipality",)
    show_full_result_count = False  # counting 120,000 rows on every search page is wasted work


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "alpha_2", "alpha_3", "name_ja", "name_en", "is_iso")
    list_filter = ("is_iso",)
    search_fields = ("code", "alpha_2", "alpha_3", "name_ja", "name_en")
