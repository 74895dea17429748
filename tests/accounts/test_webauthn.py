"""WebAuthn ceremonies with real signatures (issue 3 item 1; controls.md C-2, C-3)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from webauthn import base64url_to_bytes

from jumin.accounts import services
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import User, WebAuthnCredential
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import PASSWORD, log_in, make_user, terminal_client
from tests.helpers.webauthn import SoftAuthenticator

pytestmark = pytest.mark.django_db


def enrol(user: User, key: SoftAuthenticator) -> None:
    _, challenge = services.webauthn_registration_options(user=user)
    services.enrol_webauthn(user=user, credential_json=key.register(challenge), challenge=challenge)


def test_a_registered_authenticator_passes_the_second_factor_and_its_sign_count_is_stored() -> None:
    user = make_user(totp=False)
    key = SoftAuthenticator()
    enrol(user, key)
    _, challenge = services.webauthn_authentication_options(user=user)
    services.verify_webauthn(user=user, credential_json=key.sign_assertion(challenge), challenge=challenge)
    assert WebAuthnCredential.objects.get(user=user).sign_count == 1
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_LOGIN_SUCCEED, actor_id=user.pk).count() == 1


def test_an_assertion_signed_by_another_key_is_refused() -> None:
    user = make_user(totp=False)
    key = SoftAuthenticator()
    enrol(user, key)
    impostor = SoftAuthenticator(credential_id=key.credential_id)
    _, challenge = services.webauthn_authentication_options(user=user)
    with pytest.raises(RuleRefused):
        services.verify_webauthn(
            user=user, credential_json=impostor.sign_assertion(challenge), challenge=challenge
        )
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_FACTOR_FAIL, outcome="refused").count() == 1


def test_a_replayed_assertion_is_refused_even_with_a_fresh_challenge() -> None:
    user = make_user(totp=False)
    key = SoftAuthenticator()
    enrol(user, key)
    _, challenge = services.webauthn_authentication_options(user=user)
    captured = key.sign_assertion(challenge)
    services.verify_webauthn(user=user, credential_json=captured, challenge=challenge)
    _, fresh = services.webauthn_authentication_options(user=user)
    with pytest.raises(RuleRefused) as refused:
        services.verify_webauthn(user=user, credential_json=captured, challenge=fresh)
    assert "認証器" in refused.value.message


def test_an_assertion_that_does_not_increase_the_sign_count_is_refused() -> None:
    user = make_user(totp=False)
    key = SoftAuthenticator()
    enrol(user, key)
    _, first = services.webauthn_authentication_options(user=user)
    services.verify_webauthn(user=user, credential_json=key.sign_assertion(first), challenge=first)
    _, second = services.webauthn_authentication_options(user=user)
    with pytest.raises(RuleRefused):
        services.verify_webauthn(
            user=user, credential_json=key.sign_assertion(second, count_up=False), challenge=second
        )


def test_an_assertion_from_another_origin_is_refused() -> None:
    user = make_user(totp=False)
    key = SoftAuthenticator()
    enrol(user, key)
    _, challenge = services.webauthn_authentication_options(user=user)
    with pytest.raises(RuleRefused):
        services.verify_webauthn(
            user=user,
            credential_json=key.sign_assertion(challenge, origin="https://evil.example"),
            challenge=challenge,
        )


def test_an_authenticator_bound_to_one_account_cannot_be_enrolled_for_another() -> None:
    key = SoftAuthenticator()
    enrol(make_user(totp=False), key)
    other = make_user(totp=False)
    with pytest.raises(RuleRefused) as refused:
        enrol(other, key)
    assert refused.value.reason_code == "credential_bound"
    assert not WebAuthnCredential.objects.filter(user=other).exists()


def test_login_over_http_with_webauthn_and_the_challenge_is_single_use() -> None:
    make_user(username="wa01", totp=False)
    key = SoftAuthenticator()
    client = terminal_client()
    response = client.post(reverse("web:login"), {"username": "wa01", "password": PASSWORD})
    assert response["Location"] == reverse("web:verify")
    # No factor yet: everything but enrolment is closed.
    assert client.get(reverse("web:home"))["Location"] == reverse("web:enrol")
    options = json.loads(client.post(reverse("web:webauthn_register_options")).content)
    challenge = base64url_to_bytes(options["challenge"])
    response = client.post(
        reverse("web:webauthn_register_verify"), key.register(challenge), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert client.get(reverse("web:home")).status_code == 200
    client.post(reverse("web:logout"))

    client.post(reverse("web:login"), {"username": "wa01", "password": PASSWORD})
    options = json.loads(client.post(reverse("web:webauthn_auth_options")).content)
    challenge = base64url_to_bytes(options["challenge"])
    assertion = key.sign_assertion(challenge)
    response = client.post(reverse("web:webauthn_auth_verify"), assertion, content_type="application/json")
    assert response.status_code == 200
    assert json.loads(response.content)["redirect"] == reverse("web:home")
    replay = client.post(reverse("web:webauthn_auth_verify"), assertion, content_type="application/json")
    assert replay.status_code == 400
    assert (
        "有効期限が切れたか" in json.loads(replay.content)["detail"]
        or "認証器" in json.loads(replay.content)["detail"]
    )


def test_webauthn_endpoints_need_a_password_login_first() -> None:
    client = terminal_client()
    assert client.post(reverse("web:webauthn_auth_options")).status_code == 401
    assert client.post(reverse("web:webauthn_register_options")).status_code == 401
    log_in(client, make_user(), second_factor_verified=False)
    assert client.post(reverse("web:webauthn_auth_options")).status_code == 200
