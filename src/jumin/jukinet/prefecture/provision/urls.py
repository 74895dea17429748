"""Screens of the prefecture's provision, transfer and disclosure terminals."""

from django.urls import URLPattern, path

from jumin.jukinet.prefecture.provision import views

app_name = "jukinet_provision"
urlpatterns: list[URLPattern] = [
    path("", views.terminal, name="terminal"),
    path("bulk/", views.bulk_run, name="bulk"),
    path("disclosure/", views.disclosure_desk, name="disclosure"),
    path("provision-status/", views.provision_status, name="provision_status"),
    path("register/", views.register, name="register"),
    path("statistics/", views.statistics, name="statistics"),
]
