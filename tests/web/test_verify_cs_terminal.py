"""The second-factor page on a CS terminal (C-4): no TOTP form, an explanation and a remedy."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jumin.accounts import services
from jumin.accounts.models import Terminal, User
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import log_in, make_user, terminal_client, totp_now
from tests.helpers.webauthn import SoftAuthenticator

pytestmark = pytest.mark.django_db
CS_TERMINAL = "CS-20"


def user_with_key_and_totp() -> User:
    user = make_user()  # TOTP enrolled
    key = SoftAuthenticator()
    _, challenge = services.webauthn_registration_options(user=user)
    services.enrol_webauthn(user=user, credential_json=key.register(challenge), challenge=challenge)
    return user


def verify_page(terminal_id: str, user: User) -> str:
    client = log_in(terminal_client(terminal_id), user, second_factor_verified=False)
    response = client.get(reverse("web:verify"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_cs_terminal_shows_no_totp_form_and_says_what_to_do() -> None:
    user = user_with_key_and_totp()
    terminal_client(CS_TERMINAL)
    Terminal.objects.filter(terminal_id=CS_TERMINAL).update(biometric_only=True)
    body = verify_page(CS_TERMINAL, user)
    assert 'name="code"' not in body
    assert "確認コード（認証アプリ）やパスワードだけでは認証できません" in body
    assert "生体認証" in body
    assert "端末機担当者に連絡してください" in body
    assert "認証器で確認" in body


def test_an_ordinary_terminal_still_offers_the_totp_form() -> None:
    body = verify_page("T-ORD-01", user_with_key_and_totp())
    assert 'name="code"' in body
    assert "この端末はCS端末です" not in body


def test_a_code_posted_anyway_on_a_cs_terminal_is_refused_and_audited() -> None:
    user = user_with_key_and_totp()
    client = log_in(terminal_client(CS_TERMINAL), user, second_factor_verified=False)
    Terminal.objects.filter(terminal_id=CS_TERMINAL).update(biometric_only=True)
    response = client.post(reverse("web:verify"), {"code": totp_now(user)})
    assert response.status_code == 200
    assert "生体認証" in response.content.decode()
    assert 'name="code"' not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.STAFF_LOGIN_SUCCEED).exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.STAFF_FACTOR_FAIL, outcome_reason="biometric_required"
    ).exists()
