"""Screens of the 住基ネット 全国サーバ・個人番号カード管理."""

from django.urls import URLPattern, path

from jumin.jukinet.national import views

app_name = "jukinet_national"
urlpatterns: list[URLPattern] = [
    path("", views.overview, name="overview"),
    path("cards/lookup/", views.card_lookup, name="card_lookup"),
    path("fuhyo/lookup/", views.fuhyo_lookup, name="fuhyo_lookup"),
    path("provision-status/", views.provision_status, name="provision_status"),
]
