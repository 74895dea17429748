from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from jumin.accounts.models import User


@admin.register(User)
class StaffAdmin(UserAdmin):  # type: ignore[type-arg]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("所属", {"fields": ("display_name", "department")}))
    list_display = ("username", "display_name", "department", "is_active", "is_staff")
