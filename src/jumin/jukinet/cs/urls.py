"""Screens of the 住基ネット 市町村CS (統合端末, M4). No personal data in any URL."""

from django.urls import URLPattern, path

from jumin.jukinet.cs import views, views_fuhyo_notices

app_name = "jukinet_cs"
urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("card/verify/", views.card_verify, name="card_verify"),
    path("card/events/", views.card_events, name="card_events"),
    path("wide-area/", views.wide_area_issue, name="wide_area"),
    path("wide-area/document/", views.wide_area_by_document, name="wide_area_document"),
    path("wide-area/records/", views.wide_area_records, name="wide_area_records"),
    path("consistency/", views.consistency_runs, name="consistency"),
    path("consistency/<uuid:run_id>/", views.consistency_run, name="consistency_run"),
    path("worklist/", views.worklist, name="worklist"),
    path("sending-addresses/", views.sending_addresses, name="sending_addresses"),
    path("move-out-certificates/", views.move_out_certificates, name="move_out_certificates"),
    path("provision-status/", views.provision_status, name="provision_status"),
    path("fuhyo-notices/", views_fuhyo_notices.fuhyo_notices, name="fuhyo_notices"),
]
