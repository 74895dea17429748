"""Screens of the 住基ネット 都道府県サーバ."""

from django.urls import URLPattern, path

from jumin.jukinet.prefecture import views

app_name = "jukinet_prefecture"
urlpatterns: list[URLPattern] = [
    path("", views.monitor, name="monitor"),
    path("statistics/", views.statistics_view, name="statistics"),
    path("fuhyo/search/", views.fuhyo_search_view, name="fuhyo_search"),
    path("fuhyo-numbers/", views.fuhyo_numbers, name="fuhyo_numbers"),
    path("fuhyo-numbers/delivered/", views.confirm_delivery, name="confirm_delivery"),
]
