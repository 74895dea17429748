"""Staff maintain the preset 留意事項 texts (standard 1.1.14-b) in Django admin, like the masters."""

from __future__ import annotations

from django.contrib import admin

from jumin.registry.models_notes import PresetNote


@admin.register(PresetNote)
class PresetNoteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("reason", "sort_order", "text", "active", "source")
    list_filter = ("reason", "active")
    search_fields = ("text",)
