"""URL configuration of a node."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from jumin.settings.api import api

admin.site.site_header = "Jumin 管理"
admin.site.site_title = "Jumin 管理"
admin.site.index_title = "マスタ管理"

urlpatterns = [
    # Django admin's own login form would check passwords outside the audited, locked-out two-step
    # login (C-3, C-5); every login goes through web:login instead.
    path("admin/login/", RedirectView.as_view(pattern_name="web:login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("atena/", include("jumin.atena.urls")),
    path("audit/", include("jumin.audit.urls")),
    path("certificates/", include("jumin.certificates.urls")),
    path("jukinet/cs/", include("jumin.jukinet.cs.urls")),
    path("jukinet/national/", include("jumin.jukinet.national.urls")),
    path("jukinet/prefecture/", include("jumin.jukinet.prefecture.urls")),
    path("jukinet/provision/", include("jumin.jukinet.prefecture.provision.urls")),
    path("messaging/", include("jumin.messaging.urls")),
    path("registry/", include("jumin.registry.urls")),
    path("", include("jumin.web.urls")),
]
