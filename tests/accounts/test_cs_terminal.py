"""CS / integrated terminals accept only biometric login: WebAuthn with user verification (C-4).

On a terminal flagged ``biometric_only`` (and on every terminal of a prefectural node) TOTP is
refused, the authentication options require user verification, an assertion without the UV flag
is refused, and a user without an authenticator is logged out instead of being offered enrolment.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from pytest_django.fixtures import Settings

from jumin.accounts import services
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.context import reset_context, set_context
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import Terminal, User
from jumin.accounts.permissions import Permission
from jumin.accounts.services import LoginRefused
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import (
    grant_permissions,
    log_in,
    make_terminal,
    make_user,
    terminal_client,
    totp_now,
)
from tests.helpers.webauthn import FLAG_UP, SoftAuthenticator, _b64

pytestmark = pytest.mark.django_db
CS_TERMINAL = "CS-01"


class NoVerificationAuthenticator(SoftAuthenticator):
    """A security key that proves presence (UP) but not who touched it (no UV flag)."""

    def sign_assertion(self, challenge: bytes, *, count_up: bool = True, origin: str | None = None) -> str:
        self.sign_count += 1
        auth_data = (
            hashlib.sha256(self.rp_id.encode()).digest()
            + bytes([FLAG_UP])
            + struct.pack(">I", self.sign_count)
        )
        client_data = self._client_data("webauthn.get", challenge, origin)
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": _b64(self.credential_id),
                "rawId": _b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": _b64(client_data),
                    "authenticatorData": _b64(auth_data),
                    "signature": _b64(signature),
                    "userHandle": None,
                },
                "clientExtensionResults": {},
            }
        )


@pytest.fixture
def on_cs_terminal() -> Iterator[str]:
    """Run the test body as a request from a terminal flagged as CS terminal."""
    make_terminal(CS_TERMINAL)
    Terminal.objects.filter(terminal_id=CS_TERMINAL).update(biometric_only=True)
    tokens = set_context(terminal_id=CS_TERMINAL, request_id="r-cs")
    yield CS_TERMINAL
    reset_context(tokens)


def enrol(user: User, key: SoftAuthenticator) -> None:
    _, challenge = services.webauthn_registration_options(user=user)
    services.enrol_webauthn(user=user, credential_json=key.register(challenge), challenge=challenge)


def test_totp_is_refused_on_a_cs_terminal_and_the_refusal_is_audited(on_cs_terminal: str) -> None:
    user = make_user()
    with pytest.raises(LoginRefused) as refused:
        services.verify_totp(user=user, code=totp_now(user))
    assert refused.value.reason_code == "biometric_required"
    assert "生体認証" in refused.value.message
    entry = AuditEntry.objects.filter(action=AuditAction.STAFF_FACTOR_FAIL).latest("seq")
    assert (entry.outcome, entry.outcome_reason, entry.terminal_id) == (
        "refused",
        "biometric_required",
        CS_TERMINAL,
    )
    assert not AuditEntry.objects.filter(action=AuditAction.STAFF_LOGIN_SUCCEED).exists()


def test_the_same_totp_code_passes_on_an_ordinary_terminal() -> None:
    user = make_user()
    services.verify_totp(user=user, code=totp_now(user))
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_LOGIN_SUCCEED, actor_id=user.pk).exists()


def test_a_cs_terminal_requires_user_verification_and_checks_the_uv_flag(on_cs_terminal: str) -> None:
    user = make_user(totp=False)
    key = NoVerificationAuthenticator()
    enrol(user, key)
    options, challenge = services.webauthn_authentication_options(user=user)
    assert json.loads(options)["userVerification"] == "required"
    with pytest.raises(RuleRefused) as refused:
        services.verify_webauthn(
            user=user, credential_json=key.sign_assertion(challenge), challenge=challenge
        )
    assert refused.value.reason_code == "user_verification_missing"
    assert (
        AuditEntry.objects.filter(
            action=AuditAction.STAFF_FACTOR_FAIL, outcome_reason="user_verification_missing"
        ).count()
        == 1
    )


def test_a_biometric_assertion_passes_on_a_cs_terminal(on_cs_terminal: str) -> None:
    user = make_user(totp=False)
    key = SoftAuthenticator()  # sets UP and UV, as a fingerprint or vein reader does
    enrol(user, key)
    _, challenge = services.webauthn_authentication_options(user=user)
    services.verify_webauthn(user=user, credential_json=key.sign_assertion(challenge), challenge=challenge)
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_LOGIN_SUCCEED)
    assert (entry.actor_id, entry.terminal_id) == (user.pk, CS_TERMINAL)


def test_without_uv_the_same_key_still_works_on_an_ordinary_terminal() -> None:
    user = make_user(totp=False)
    key = NoVerificationAuthenticator()
    enrol(user, key)
    options, challenge = services.webauthn_authentication_options(user=user)
    assert json.loads(options)["userVerification"] == "preferred"
    services.verify_webauthn(user=user, credential_json=key.sign_assertion(challenge), challenge=challenge)


def test_a_user_with_only_totp_is_logged_out_at_a_cs_terminal_not_offered_enrolment() -> None:
    client = terminal_client(CS_TERMINAL)
    Terminal.objects.filter(terminal_id=CS_TERMINAL).update(biometric_only=True)
    user = make_user()
    log_in(client, user, second_factor_verified=False)
    response = client.get(reverse("web:enrol"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
    entry = AuditEntry.objects.filter(action=AuditAction.STAFF_SESSION_REFUSE).latest("seq")
    assert (entry.outcome_reason, entry.terminal_id) == ("biometric_not_enrolled", CS_TERMINAL)
    assert "_auth_user_id" not in client.session


def test_an_ordinary_terminal_sends_the_same_user_to_the_second_factor() -> None:
    client = log_in(terminal_client(), make_user(), second_factor_verified=False)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:verify")


def test_every_terminal_of_a_prefectural_node_is_biometric_only(settings: Settings) -> None:
    make_terminal("PREF-01")
    assert not services.biometric_only_terminal("PREF-01")
    settings.JUMIN_NODE_KIND = "prefecture"
    assert services.biometric_only_terminal("PREF-01")


def test_only_the_terminal_administrator_flags_a_cs_terminal_and_it_is_logged_with_before_and_after() -> None:
    make_terminal(CS_TERMINAL)
    clerk = make_user()
    with pytest.raises(AccessRefused):
        services.set_terminal_biometric_only(
            actor=clerk, terminal_id=CS_TERMINAL, biometric_only=True, purpose="端末管理"
        )
    admin = make_user()
    grant_permissions(admin, [Permission.TERMINAL_MANAGE])
    services.set_terminal_biometric_only(
        actor=admin, terminal_id=CS_TERMINAL, biometric_only=True, purpose="端末管理"
    )
    assert Terminal.objects.get(terminal_id=CS_TERMINAL).biometric_only
    entry = AuditEntry.objects.filter(action=AuditAction.TERMINAL_REGISTRATION_CHANGE, outcome="done").get()
    assert entry.before_digest
    assert entry.after_digest
    assert entry.before_digest != entry.after_digest
    with pytest.raises(RuleRefused) as refused:
        services.set_terminal_biometric_only(
            actor=admin, terminal_id="NOPE", biometric_only=True, purpose="端末管理"
        )
    assert refused.value.reason_code == "no_such_terminal"


def test_registering_a_cs_terminal_sets_the_flag() -> None:
    admin = make_user()
    grant_permissions(admin, [Permission.TERMINAL_MANAGE])
    services.register_terminal(
        actor=admin, terminal_id="CS-02", name="統合端末", purpose="端末管理", biometric_only=True
    )
    assert Terminal.objects.get(terminal_id="CS-02").biometric_only
    services.register_terminal(actor=admin, terminal_id="CS-02", name="統合端末", purpose="端末管理")
    assert Terminal.objects.get(terminal_id="CS-02").biometric_only  # re-registering keeps the flag
