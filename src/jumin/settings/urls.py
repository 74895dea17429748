"""URL configuration of a node."""

from django.contrib import admin
from django.urls import include, path

from jumin.settings.api import api

admin.site.site_header = "Jumin 管理"
admin.site.site_title = "Jumin 管理"
admin.site.index_title = "マスタ管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("audit/", include("jumin.audit.urls")),
    path("registry/", include("jumin.registry.urls")),
    path("", include("jumin.web.urls")),
]
