from django.urls import path

from jumin.certificates import views, views_kiosk_tallies

app_name = "certificates"

urlpatterns = [
    path("", views.menu, name="menu"),
    path("issue/", views.issue, name="issue"),
    path("verify/", views.verify, name="verify"),
    path("void/", views.void, name="void"),
    path("history/", views.history, name="history"),
    path("kiosk-tallies/", views_kiosk_tallies.kiosk_tallies_view, name="kiosk_tallies"),
    path("generations/", views.generations, name="generations"),
    path("self-notification/", views.self_notification, name="self_notification"),
    path("notices/", views.notices, name="notices"),
    path("registry-notices/", views.registry_notice, name="registry_notice"),
    path("registry-notices/change/", views.change_code_notice, name="change_code_notice"),
    path("move-out-at-commit/", views.move_out_at_commit, name="move_out_at_commit"),
    path("move-in-notice-inquiry/", views.move_in_notice_inquiry, name="move_in_notice_inquiry"),
    path("card-forms/", views.card_form, name="card_forms"),
    path("card-forms/settings/", views.card_face_setting, name="card_face_setting"),
    path("print-settings/", views.print_setting, name="print_setting"),
    path("settings/", views.settings_screen, name="settings"),
    path("support-end-notices/", views.support_end_notice_batch, name="support_end_notices"),
]
