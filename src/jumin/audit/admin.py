from django.contrib import admin
from django.http import HttpRequest

from jumin.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only view: the audit log is never edited, not even by a superuser."""

    list_display = ("seq", "created_at", "actor_name", "action", "subject_type", "outcome")
    list_filter = ("action", "outcome")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
