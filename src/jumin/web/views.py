"""Login, logout and the home page. Thin: authentication is Django's, auditing is the audit service's."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.masters.selectors import node_municipality_name


class JapaneseAuthenticationForm(AuthenticationForm):
    """Django's form with Japanese labels and a message that does not say which part was wrong."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_messages = {
            **self.error_messages,
            "invalid_login": "職員IDまたはパスワードが正しくありません。入力を確認してください。",
            "inactive": "このアカウントは利用できません。管理者に連絡してください。",
        }
        self.fields["username"].label = "職員ID"
        self.fields["password"].label = "パスワード"


class LoginView(auth_views.LoginView):
    """The login page; every success and failure is audited (standard 10.2: failed logins report)."""

    template_name = "web/login.html"
    authentication_form = JapaneseAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        record_event(
            actor=form.get_user(),
            action=AuditAction.STAFF_LOGIN_SUCCEED,
            subject_type="staff",
            subject_id=str(form.get_user().pk),
        )
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        # The typed user name is not recorded: a mistyped password in that field would leak it.
        record_event(
            actor=None,
            action=AuditAction.STAFF_LOGIN_FAIL,
            outcome=Outcome.REFUSED,
            outcome_reason="invalid_credentials",
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """Logout by POST only (Django 5), audited."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            record_event(
                actor=request.user,
                action=AuditAction.STAFF_LOGOUT_SUCCEED,
                subject_type="staff",
                subject_id=str(request.user.pk),
            )
        return super().post(request, *args, **kwargs)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The clerk's start page."""
    return render(request, "web/home.html", {"municipality_name": node_municipality_name()})
