from django.urls import path

from jumin.audit import search_views, views

app_name = "audit"

urlpatterns = [
    path("review/", views.daily_review, name="review"),
    path("holders/", views.permission_holders, name="holders"),
    path("search/", search_views.audit_search, name="search"),
    path("search/export.csv", search_views.audit_export, name="export"),
    path("retention/", search_views.retention_setting, name="retention"),
]
