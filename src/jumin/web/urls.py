from django.urls import path

from jumin.web import views, views_masters, views_screen

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.verify_view, name="verify"),
    path("login/webauthn/options/", views.webauthn_auth_options, name="webauthn_auth_options"),
    path("login/webauthn/verify/", views.webauthn_auth_verify, name="webauthn_auth_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("account/factors/", views.enrol_view, name="enrol"),
    path(
        "account/factors/webauthn/options/", views.webauthn_register_options, name="webauthn_register_options"
    ),
    path("account/factors/webauthn/verify/", views.webauthn_register_verify, name="webauthn_register_verify"),
    path("account/password/", views.password_change, name="password_change"),
    path("terminal/enrol/", views.terminal_enrol, name="terminal_enrol"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/create/", views.staff_create, name="staff_create"),
    path("staff/<int:user_id>/unlock/", views.staff_unlock, name="staff_unlock"),
    path("staff/<int:user_id>/password-reset/", views.staff_password_reset, name="staff_password_reset"),
    path("terminals/", views.terminals, name="terminals"),
    path("terminals/register/", views.terminal_register, name="terminal_register"),
    path("terminals/biometric/", views.terminal_biometric, name="terminal_biometric"),
    path("terminals/place/", views_masters.terminal_place, name="terminal_place"),
    path("input-places/", views_masters.input_place_list, name="input_places"),
    path("input-places/register/", views_masters.input_place_register, name="input_place_register"),
    path("input-places/end/", views_masters.input_place_end, name="input_place_end"),
    path("masters/lots/", views_masters.address_lots, name="address_lots"),
    path("masters/lots/action/", views_masters.address_lot_action, name="address_lot_action"),
    path("grants/", views.grant_list, name="grants"),
    path("grants/apply/", views.grant_apply, name="grant_apply"),
    path("grants/reapply/", views.grant_reapply, name="grant_reapply"),
    path("grants/applications/<int:application_id>/decide/", views.grant_decide, name="grant_decide"),
    path("grants/reconciliation/", views.grant_reconciliation, name="grant_reconciliation"),
    path("personnel/", views.personnel, name="personnel"),
    path("personnel/hr-events/", views.hr_event_record, name="hr_event_record"),
    path("personnel/training/", views.training_record, name="training_record"),
    path("api/accounts/hr-events/", views.api_hr_event, name="api_hr_event"),
    path("contracts/", views.contracts, name="contracts"),
    path("contracts/register/", views.contract_register, name="contract_register"),
    path("contracts/roster/remove/", views.roster_remove, name="roster_remove"),
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/request/", views.approval_request, name="approval_request"),
    path("approvals/<int:approval_id>/decide/", views.approval_decide, name="approval_decide"),
    path("approvals/<int:approval_id>/output/", views.media_output, name="media_output"),
    path("approvals/media/", views.media_register, name="media_register"),
    path("approvals/outputs/<int:output_id>/check/", views.media_use_check, name="media_use_check"),
    path("screen-hardcopy/", views_screen.screen_hardcopy, name="screen_hardcopy"),
]
