"""Use cases that change staff accounts, sessions' factors and terminals (controls.md C-1 to C-7).

Each service takes keyword-only arguments, checks one permission with ``authorize`` (self-service
steps such as login need none), writes in one transaction and records one audit event there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_authenticator_data,
)
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    UserVerificationRequirement,
)

from jumin.accounts import clock, messages
from jumin.accounts.authorization import account_usable, authorize
from jumin.accounts.context import audit_context, current_terminal_id
from jumin.accounts.errors import RuleRefused, refuse
from jumin.accounts.models import PasswordHistory, StaffPerson, Terminal, User, WebAuthnCredential
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import digest_of, record_event

TERMINAL_COOKIE_SALT = "jumin.accounts.terminal"
TERMINAL_ENROLMENT_HOURS = 24
TOTP_STEP_SECONDS = 30


class LoginRefused(RuleRefused):
    """A login step failed; ``locked`` says whether the account is now locked (C-5)."""

    def __init__(self, message: str, *, reason_code: str, locked: bool = False) -> None:
        super().__init__(message, reason_code=reason_code)
        self.locked = locked


def _staff_subject(user: User) -> dict[str, str]:
    return {"subject_type": "staff", "subject_id": str(user.pk)}


def _event(**kwargs: Any) -> None:
    record_event(**kwargs, **audit_context())


# --- Staff accounts (C-1, C-2, C-5, C-6, C-7) -------------------------------------------------


def generate_initial_password(user: User | None = None) -> str:
    """A random password that passes every password rule (C-6); never shared (C-2)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        try:
            validate_password(candidate, user)
        except ValidationError:
            continue
        return candidate


def _set_password(user: User, password: str) -> None:
    """Keep the old hash in the history before replacing it (C-6)."""
    if user.password:
        PasswordHistory.objects.create(user=user, password=user.password)
    user.set_password(password)


def register_staff(
    *,
    actor: Any,
    staff_number: str,
    name: str,
    username: str,
    purpose: str,
    department: str = "",
    kind: str = StaffPerson.Kind.STAFF,
    employment_notice: str = "",
    employment_end: date | None = None,
) -> tuple[User, str]:
    """Register a named person and their one account; returns the account and its initial password.

    Only the terminal administrator may do this (C-7). A person with an active account on this node
    cannot get a second one, and no account exists without a person (C-1). Temporary staff need
    their employment notice and end date (C-16).
    """
    authorize(
        actor=actor,
        permission=Permission.STAFF_MANAGE,
        action=AuditAction.STAFF_ACCOUNT_CREATE,
        purpose=purpose,
    )
    action = AuditAction.STAFF_ACCOUNT_CREATE
    if not staff_number or not name or not username:
        raise refuse(
            actor=actor, action=action, reason_code="missing_fields", message=messages.STAFF_FIELDS_MISSING
        )
    if kind not in StaffPerson.Kind.values:
        raise refuse(actor=actor, action=action, reason_code="bad_kind", message=messages.STAFF_KIND_INVALID)
    if kind == StaffPerson.Kind.TEMPORARY and (not employment_notice or employment_end is None):
        raise refuse(
            actor=actor, action=action, reason_code="employment_missing", message=messages.EMPLOYMENT_MISSING
        )
    if User.objects.filter(username=username).exists():
        raise refuse(
            actor=actor, action=action, reason_code="username_taken", message=messages.USERNAME_TAKEN
        )
    existing = StaffPerson.objects.filter(staff_number=staff_number).first()
    if existing is not None and existing.accounts.filter(is_active=True).exists():
        raise refuse(
            actor=actor,
            action=action,
            reason_code="second_account",
            message=messages.SECOND_ACCOUNT,
            subject_type="staff_person",
            subject_id=str(existing.pk),
        )
    try:
        with transaction.atomic():
            person = existing or StaffPerson.objects.create(
                staff_number=staff_number,
                name=name,
                department=department,
                kind=kind,
                employment_notice=employment_notice,
                employment_end=employment_end,
            )
            user = User(username=username, display_name=name, department=department, person=person)
            password = generate_initial_password(user)
            user.set_password(password)
            user.save()
            _event(actor=actor, action=action, purpose=purpose, **_staff_subject(user))
    except IntegrityError:
        # A concurrent registration for the same person won the race (C-1 constraint).
        raise refuse(
            actor=actor, action=action, reason_code="second_account", message=messages.SECOND_ACCOUNT
        ) from None
    return user, password


def unlock_account(*, actor: Any, user_id: int, purpose: str) -> None:
    """Unlock an account locked by failed logins; only an administrator may, and it is logged (C-5)."""
    authorize(
        actor=actor,
        permission=Permission.STAFF_MANAGE,
        action=AuditAction.STAFF_ACCOUNT_UNLOCK,
        purpose=purpose,
        subject_type="staff",
        subject_id=str(user_id),
    )
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is not None and user.locked_at is not None:
            user.locked_at = None
            user.failed_login_count = 0
            user.save(update_fields=["locked_at", "failed_login_count"])
            _event(
                actor=actor, action=AuditAction.STAFF_ACCOUNT_UNLOCK, purpose=purpose, **_staff_subject(user)
            )
            return
    raise refuse(
        actor=actor,
        action=AuditAction.STAFF_ACCOUNT_UNLOCK,
        reason_code="not_locked",
        message=messages.NOT_LOCKED,
        subject_type="staff",
        subject_id=str(user_id),
    )


def reset_password(*, actor: Any, user_id: int, purpose: str) -> str:
    """Give an account a new random password, shown once to the administrator (C-7, C-2)."""
    authorize(
        actor=actor,
        permission=Permission.STAFF_MANAGE,
        action=AuditAction.STAFF_PASSWORD_RESET,
        purpose=purpose,
        subject_type="staff",
        subject_id=str(user_id),
    )
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is not None:
            password = generate_initial_password(user)
            _set_password(user, password)
            user.save(update_fields=["password"])
            _event(
                actor=actor, action=AuditAction.STAFF_PASSWORD_RESET, purpose=purpose, **_staff_subject(user)
            )
            return password
    raise refuse(
        actor=actor,
        action=AuditAction.STAFF_PASSWORD_RESET,
        reason_code="no_such_account",
        message=messages.NO_SUCH_ACCOUNT,
    )


def change_password(*, actor: Any, old_password: str, new_password: str) -> None:
    """The user changes their own password: patterns and the last 5 are refused (C-6)."""
    action = AuditAction.STAFF_PASSWORD_CHANGE
    if not actor.check_password(old_password):
        raise refuse(
            actor=actor, action=action, reason_code="old_password_wrong", message=messages.OLD_PASSWORD_WRONG
        )
    try:
        validate_password(new_password, actor)
    except ValidationError as error:
        raise refuse(
            actor=actor, action=action, reason_code="password_rules", message=" ".join(error.messages)
        ) from None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        _set_password(user, new_password)
        user.save(update_fields=["password"])
        _event(actor=actor, action=action, **_staff_subject(user))
    actor.password = user.password


# --- Login: password, then second factor (C-3, C-5) -------------------------------------------


def authenticate_password(*, username: str, password: str) -> User:
    """Login step 1. Counts consecutive failures and locks at the threshold, both audited (C-5).

    The typed user name is never recorded: a password typed into that field would leak.
    """
    refusal: LoginRefused | None = None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as a real check, so timing does not tell
            refusal = LoginRefused(messages.INVALID_LOGIN, reason_code="invalid_credentials")
            _event(
                actor=None,
                action=AuditAction.STAFF_LOGIN_FAIL,
                outcome=Outcome.REFUSED,
                outcome_reason=refusal.reason_code,
            )
        elif user.locked_at is not None:
            refusal = LoginRefused(messages.ACCOUNT_LOCKED, reason_code="account_locked", locked=True)
            _event(
                actor=None,
                action=AuditAction.STAFF_LOGIN_FAIL,
                outcome=Outcome.REFUSED,
                outcome_reason=refusal.reason_code,
                **_staff_subject(user),
            )
        elif not user.check_password(password):
            refusal = _count_failure(user, AuditAction.STAFF_LOGIN_FAIL, "invalid_credentials")
        elif not account_usable(user):
            refusal = LoginRefused(messages.ACCOUNT_UNUSABLE, reason_code="account_unusable")
            _event(
                actor=None,
                action=AuditAction.STAFF_LOGIN_FAIL,
                outcome=Outcome.REFUSED,
                outcome_reason=refusal.reason_code,
                **_staff_subject(user),
            )
        else:
            _event(actor=user, action=AuditAction.STAFF_PASSWORD_ACCEPT, **_staff_subject(user))
            return user
    raise refusal


def _count_failure(user: User, action: AuditAction, reason: str) -> LoginRefused:
    """One more consecutive failure; at the threshold the account locks and the lock is logged (C-5)."""
    user.failed_login_count += 1
    locked = user.failed_login_count >= settings.JUMIN_LOCKOUT_THRESHOLD
    fields = ["failed_login_count"]
    if locked:
        user.locked_at = clock.now()
        fields.append("locked_at")
    user.save(update_fields=fields)
    _event(actor=None, action=action, outcome=Outcome.REFUSED, outcome_reason=reason, **_staff_subject(user))
    if locked:
        _event(
            actor=None, action=AuditAction.STAFF_ACCOUNT_LOCK, outcome_reason=reason, **_staff_subject(user)
        )
        return LoginRefused(messages.ACCOUNT_LOCKED, reason_code="account_locked", locked=True)
    message = messages.INVALID_LOGIN if action == AuditAction.STAFF_LOGIN_FAIL else messages.FACTOR_INVALID
    return LoginRefused(message, reason_code=reason)


def has_second_factor(user: User) -> bool:
    """Whether the user has enrolled TOTP or a WebAuthn authenticator."""
    return bool(user.totp_secret) or user.webauthn_credentials.exists()


def biometric_only_terminal(terminal_id: str | None = None) -> bool:
    """Whether the terminal (default: the current request's) accepts only WebAuthn with user
    verification (C-4): a terminal flagged as CS / integrated terminal, or any terminal of a
    prefectural node. There, TOTP is refused and the UV flag of every assertion is checked.
    """
    if settings.JUMIN_NODE_KIND == "prefecture":
        return True
    terminal = current_terminal_id() if terminal_id is None else terminal_id
    return bool(terminal) and Terminal.objects.filter(terminal_id=terminal, biometric_only=True).exists()


def can_pass_second_factor_here(user: User) -> bool:
    """Whether the user has a factor this terminal accepts: on a CS terminal only a WebAuthn
    authenticator counts (C-4), elsewhere TOTP or WebAuthn.
    """
    if biometric_only_terminal():
        return user.webauthn_credentials.exists()
    return has_second_factor(user)


def _user_verified(credential_json: str) -> bool:
    """The UV flag of an assertion's authenticator data (False if it cannot be parsed)."""
    try:
        credential = parse_authentication_credential_json(credential_json)
        return bool(parse_authenticator_data(credential.response.authenticator_data).flags.uv)
    except Exception:  # malformed input is refused by the signature check anyway
        return False


def _second_factor_passed(user: User, *, unlock: bool, factor: str) -> None:
    user.failed_login_count = 0
    user.save(update_fields=["failed_login_count"])
    action = AuditAction.STAFF_SESSION_UNLOCK if unlock else AuditAction.STAFF_LOGIN_SUCCEED
    _event(actor=user, action=action, outcome_reason=factor, **_staff_subject(user))


def _second_factor_failed(user_id: int, reason: str) -> LoginRefused:
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        return _count_failure(user, AuditAction.STAFF_FACTOR_FAIL, reason)


@sensitive_variables()
def _matching_totp_step(secret: str, code: str, after_step: int) -> int | None:
    totp = pyotp.TOTP(secret)
    now_step = int(clock.now().timestamp()) // TOTP_STEP_SECONDS
    for step in (now_step - 1, now_step, now_step + 1):
        if step > after_step and hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code.strip()):
            return step
    return None


@sensitive_variables()
def verify_totp(*, user: User, code: str, unlock: bool = False) -> None:
    """Second factor by TOTP (fallback to WebAuthn). A code is accepted once: replays are refused.

    ``unlock`` marks re-authentication after the idle lock (C-33) rather than a new login (C-3).
    Refused on a biometric-only (CS) terminal (C-4), and when the sealed secret cannot be decrypted.
    """
    with transaction.atomic():
        locked_user = User.objects.select_for_update().get(pk=user.pk)
        if locked_user.locked_at is not None:
            refusal = LoginRefused(messages.ACCOUNT_LOCKED, reason_code="account_locked", locked=True)
        elif biometric_only_terminal():
            refusal = LoginRefused(messages.BIOMETRIC_ONLY, reason_code="biometric_required")
        elif not locked_user.totp_secret:
            refusal = LoginRefused(messages.FACTOR_INVALID, reason_code="totp_not_enrolled")
        elif not getattr(locked_user.totp_secret, "readable", True):
            # Unknown key or tampered value: refuse (and log) rather than treat it as "no factor".
            refusal = LoginRefused(messages.TOTP_UNREADABLE, reason_code="totp_unreadable")
        else:
            step = _matching_totp_step(locked_user.totp_secret, code, locked_user.totp_last_step)
            if step is not None:
                locked_user.totp_last_step = step
                locked_user.save(update_fields=["totp_last_step"])
                _second_factor_passed(locked_user, unlock=unlock, factor="totp")
                return
            refusal = None
    if refusal is not None:
        _event(
            actor=None,
            action=AuditAction.STAFF_FACTOR_FAIL,
            outcome=Outcome.REFUSED,
            outcome_reason=refusal.reason_code,
            **_staff_subject(user),
        )
        raise refusal
    raise _second_factor_failed(user.pk, "totp_invalid")


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret, kept in the session until the user confirms a code."""
    return pyotp.random_base32()


@sensitive_variables()
def totp_uri(*, user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (shown as text; no QR library is installed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="Jumin")


@sensitive_variables()
def enrol_totp(*, user: User, secret: str, code: str) -> None:
    """Bind a TOTP secret to the account once the user proves they hold it (C-2: never shared).

    The secret is sealed (AES-256-GCM) when the account is saved; it is never logged or audited.
    """
    totp = pyotp.TOTP(secret)
    if not secret or not totp.verify(code.strip(), for_time=clock.now(), valid_window=1):
        raise refuse(
            actor=user,
            action=AuditAction.STAFF_FACTOR_ENROL,
            reason_code="totp_invalid",
            message=messages.FACTOR_INVALID,
            **_staff_subject(user),
        )
    with transaction.atomic():
        locked_user = User.objects.select_for_update().get(pk=user.pk)
        locked_user.totp_secret = str(secret)  # a plain str: sealed under the current key on save
        locked_user.totp_last_step = int(clock.now().timestamp()) // TOTP_STEP_SECONDS
        locked_user.save(update_fields=["totp_secret", "totp_last_step"])
        _event(
            actor=user, action=AuditAction.STAFF_FACTOR_ENROL, outcome_reason="totp", **_staff_subject(user)
        )
    user.totp_secret = secret


# --- WebAuthn ceremonies ------------------------------------------------------------------------


def webauthn_registration_options(*, user: User) -> tuple[str, bytes]:
    """Options JSON for navigator.credentials.create() and the challenge to keep (once) in the session."""
    options = generate_registration_options(
        rp_id=settings.JUMIN_WEBAUTHN_RP_ID,
        rp_name=settings.JUMIN_WEBAUTHN_RP_NAME,
        user_id=str(user.pk).encode(),
        user_name=user.username,
        user_display_name=str(user),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            user_verification=UserVerificationRequirement.PREFERRED
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c))
            for c in user.webauthn_credentials.values_list("credential_id", flat=True)
        ],
    )
    return options_to_json(options), options.challenge


def enrol_webauthn(*, user: User, credential_json: str, challenge: bytes | None, label: str = "") -> None:
    """Verify a registration response and bind the authenticator to this account only (C-2)."""
    action = AuditAction.STAFF_FACTOR_ENROL
    if not challenge:
        raise refuse(
            actor=user, action=action, reason_code="challenge_missing", message=messages.CHALLENGE_MISSING
        )
    try:
        verified = verify_registration_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=settings.JUMIN_WEBAUTHN_RP_ID,
            expected_origin=settings.JUMIN_WEBAUTHN_ORIGINS,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError):
        raise refuse(
            actor=user, action=action, reason_code="webauthn_invalid", message=messages.WEBAUTHN_INVALID
        ) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if WebAuthnCredential.objects.filter(credential_id=credential_id).exists():
        raise refuse(
            actor=user, action=action, reason_code="credential_bound", message=messages.CREDENTIAL_BOUND
        )
    try:
        with transaction.atomic():
            WebAuthnCredential.objects.create(
                user=user,
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                label=label[:100],
            )
            _event(actor=user, action=action, outcome_reason="webauthn", **_staff_subject(user))
    except IntegrityError:
        raise refuse(
            actor=user, action=action, reason_code="credential_bound", message=messages.CREDENTIAL_BOUND
        ) from None


def webauthn_authentication_options(*, user: User) -> tuple[str, bytes]:
    """Options JSON for navigator.credentials.get() and the challenge to keep (once) in the session."""
    options = generate_authentication_options(
        rp_id=settings.JUMIN_WEBAUTHN_RP_ID,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c))
            for c in user.webauthn_credentials.values_list("credential_id", flat=True)
        ],
        user_verification=(
            UserVerificationRequirement.REQUIRED
            if biometric_only_terminal()
            else UserVerificationRequirement.PREFERRED
        ),
    )
    return options_to_json(options), options.challenge


def verify_webauthn(
    *, user: User, credential_json: str, challenge: bytes | None, unlock: bool = False
) -> None:
    """Second factor by WebAuthn: real signature check; a replayed assertion is refused.

    The challenge is single use (the caller pops it from the session) and the sign count must grow.
    On a CS terminal the authenticator must also have verified the user (UV flag, C-4).
    """
    reason = ""
    require_uv = biometric_only_terminal()
    if not challenge:
        reason = "challenge_missing"
    else:
        try:
            credential_id = str(json.loads(credential_json)["id"])
        except (ValueError, KeyError, TypeError):
            credential_id = ""
            reason = "webauthn_invalid"
    if not reason:
        with transaction.atomic():
            locked_user = User.objects.select_for_update().get(pk=user.pk)
            stored = (
                WebAuthnCredential.objects.select_for_update()
                .filter(user=locked_user, credential_id=credential_id)
                .first()
            )
            if locked_user.locked_at is not None:
                reason = "account_locked"
            elif stored is None:
                reason = "credential_unknown"
            elif require_uv and not _user_verified(credential_json):
                reason = "user_verification_missing"
            else:
                try:
                    verified = verify_authentication_response(
                        credential=credential_json,
                        expected_challenge=challenge or b"",
                        expected_rp_id=settings.JUMIN_WEBAUTHN_RP_ID,
                        expected_origin=settings.JUMIN_WEBAUTHN_ORIGINS,
                        credential_public_key=bytes(stored.public_key),
                        credential_current_sign_count=stored.sign_count,
                        require_user_verification=require_uv,
                    )
                except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
                    reason = "webauthn_invalid"
                else:
                    stored.sign_count = verified.new_sign_count
                    stored.last_used_at = clock.now()
                    stored.save(update_fields=["sign_count", "last_used_at"])
                    _second_factor_passed(locked_user, unlock=unlock, factor="webauthn")
                    return
    if reason == "account_locked":
        _event(
            actor=None,
            action=AuditAction.STAFF_FACTOR_FAIL,
            outcome=Outcome.REFUSED,
            outcome_reason=reason,
            **_staff_subject(user),
        )
        raise LoginRefused(messages.ACCOUNT_LOCKED, reason_code=reason, locked=True)
    refusal = _second_factor_failed(user.pk, reason)
    if not refusal.locked:
        message = (
            messages.BIOMETRIC_ONLY if reason == "user_verification_missing" else messages.WEBAUTHN_INVALID
        )
        refusal = LoginRefused(message, reason_code=reason)
    raise refusal


# --- Terminals (C-3) -----------------------------------------------------------------------------


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def register_terminal(
    *,
    actor: Any,
    terminal_id: str,
    name: str,
    purpose: str,
    location: str = "",
    biometric_only: bool | None = None,
) -> str:
    """Register (or re-register) a terminal and return its one-time enrolment code (C-3).

    The code is valid for 24 hours and is entered once on the terminal itself; re-registering an
    existing terminal issues a new code and, at enrolment, a new key that voids older cookies.
    ``biometric_only`` marks a CS / integrated terminal (C-4); None keeps an existing terminal's flag.
    """
    action = AuditAction.TERMINAL_REGISTRATION_CREATE
    authorize(actor=actor, permission=Permission.TERMINAL_MANAGE, action=action, purpose=purpose)
    terminal_id = terminal_id.strip()
    if not terminal_id or not terminal_id.isascii() or len(terminal_id) > 64 or not name:
        raise refuse(
            actor=actor, action=action, reason_code="bad_terminal_id", message=messages.TERMINAL_ID_INVALID
        )
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    with transaction.atomic():
        terminal, _ = Terminal.objects.select_for_update().get_or_create(
            terminal_id=terminal_id, defaults={"name": name, "location": location, "registered_by": actor}
        )
        terminal.name = name
        terminal.location = location
        if biometric_only is not None:
            terminal.biometric_only = biometric_only
        terminal.is_active = True
        terminal.enrolment_code_hash = _code_digest(code)
        terminal.enrolment_expires_at = clock.now() + timedelta(hours=TERMINAL_ENROLMENT_HOURS)
        terminal.save()
        _event(
            actor=actor,
            action=action,
            purpose=purpose,
            subject_type="terminal",
            subject_id=terminal.terminal_id,
            outcome_reason="biometric_only" if terminal.biometric_only else "",
        )
    return code


def set_terminal_biometric_only(*, actor: Any, terminal_id: str, biometric_only: bool, purpose: str) -> None:
    """Mark a terminal as a CS / integrated terminal (biometric only, C-4) or clear the mark.

    Logged with the value before and after (C-49); a terminal that does not exist is refused.
    """
    action = AuditAction.TERMINAL_REGISTRATION_CHANGE
    subject = {"subject_type": "terminal", "subject_id": terminal_id[:64]}
    authorize(actor=actor, permission=Permission.TERMINAL_MANAGE, action=action, purpose=purpose, **subject)
    with transaction.atomic():
        terminal = Terminal.objects.select_for_update().filter(terminal_id=terminal_id).first()
        if terminal is not None:
            before = digest_of(
                {"terminal_id": terminal.terminal_id, "biometric_only": terminal.biometric_only}
            )
            terminal.biometric_only = biometric_only
            terminal.save(update_fields=["biometric_only"])
            _event(
                actor=actor,
                action=action,
                purpose=purpose,
                before_digest=before,
                after_digest=digest_of(
                    {"terminal_id": terminal.terminal_id, "biometric_only": biometric_only}
                ),
                outcome_reason=f"biometric_only={'on' if biometric_only else 'off'}",
                **subject,
            )
            return
    raise refuse(
        actor=actor,
        action=action,
        reason_code="no_such_terminal",
        message=messages.NO_SUCH_TERMINAL,
        purpose=purpose,
        **subject,
    )


def enrol_terminal(*, terminal_id: str, code: str) -> str:
    """Complete a terminal's enrolment with its one-time code; returns the signed cookie value (C-3)."""
    action = AuditAction.TERMINAL_ENROLMENT_COMPLETE
    with transaction.atomic():
        terminal = Terminal.objects.select_for_update().filter(terminal_id=terminal_id.strip()).first()
        valid = (
            terminal is not None
            and terminal.is_active
            and terminal.enrolment_code_hash
            and terminal.enrolment_expires_at is not None
            and terminal.enrolment_expires_at > clock.now()
            and hmac.compare_digest(terminal.enrolment_code_hash, _code_digest(code.strip().upper()))
        )
        if valid and terminal is not None:
            terminal.key = secrets.token_hex(32)
            terminal.enrolment_code_hash = ""
            terminal.enrolment_expires_at = None
            terminal.enrolled_at = clock.now()
            terminal.save()
            record_event(
                actor=None,
                action=action,
                subject_type="terminal",
                subject_id=terminal.terminal_id,
                terminal_id=terminal.terminal_id,
                request_id=audit_context()["request_id"],
            )
            return signing.dumps({"t": terminal.terminal_id, "k": terminal.key}, salt=TERMINAL_COOKIE_SALT)
    raise refuse(
        actor=None, action=action, reason_code="enrolment_invalid", message=messages.TERMINAL_CODE_INVALID
    )


def terminal_from_cookie(value: str) -> str | None:
    """The terminal id a signed terminal cookie proves, or None if forged, stale or deactivated (C-3)."""
    try:
        data = signing.loads(value, salt=TERMINAL_COOKIE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    terminal_id, key = str(data.get("t", "")), str(data.get("k", ""))
    terminal = Terminal.objects.filter(terminal_id=terminal_id, is_active=True).exclude(key="").first()
    if terminal is None or not hmac.compare_digest(terminal.key, key):
        return None
    return terminal.terminal_id


def record_session_refusal(*, actor: Any, reason_code: str, terminal_id: str = "") -> None:
    """Audit a refused request: unregistered terminal, forged session, terminal switch (C-3)."""
    context = audit_context()
    record_event(
        actor=actor,
        action=AuditAction.STAFF_SESSION_REFUSE,
        outcome=Outcome.REFUSED,
        outcome_reason=reason_code,
        terminal_id=terminal_id or context["terminal_id"],
        request_id=context["request_id"],
    )


def record_idle_lock(*, actor: Any) -> None:
    """Audit the idle lock of a session (C-33)."""
    _event(actor=actor, action=AuditAction.STAFF_SESSION_LOCK, **_staff_subject(actor))


def record_logout(*, actor: Any) -> None:
    """Audit a logout."""
    _event(actor=actor, action=AuditAction.STAFF_LOGOUT_SUCCEED, **_staff_subject(actor))


# --- Demo ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAdmin:
    """What the demo prints once: the admin's password, TOTP secret and the demo terminal's code."""

    password: str
    totp_secret: str
    totp_uri: str
    terminal_id: str
    terminal_code: str


DEMO_TERMINAL_ID = "DEMO-01"


def ensure_demo_admin(*, username: str = "admin", reset_password: bool = False) -> DemoAdmin | None:
    """Create the demo superuser once (with a person, an enrolled TOTP and a demo terminal).

    Returns what must be shown once; None if the admin already exists and no reset was asked.
    With ``reset_password`` the password, the TOTP secret and the terminal code are all renewed.
    """
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is not None and not reset_password:
            return None
        if user is None:
            person, _ = StaffPerson.objects.get_or_create(
                staff_number="DEMO-ADMIN", defaults={"name": "管理者（デモ）", "department": "情報政策課"}
            )
            user = User(username=username, display_name="管理者（デモ）", person=person)
            user.is_staff = user.is_superuser = True
            action = AuditAction.STAFF_ACCOUNT_CREATE
        else:
            action = AuditAction.STAFF_PASSWORD_RESET
        password = generate_initial_password(user)
        if user.pk:
            _set_password(user, password)
        else:
            user.set_password(password)
        user.totp_secret = new_totp_secret()
        user.totp_last_step = 0
        user.locked_at = None
        user.failed_login_count = 0
        user.save()
        record_event(
            actor=None, action=action, purpose="demo-setup", subject_type="staff", subject_id=str(user.pk)
        )
        code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
        terminal, _ = Terminal.objects.get_or_create(
            terminal_id=DEMO_TERMINAL_ID, defaults={"name": "デモ端末", "registered_by": user}
        )
        terminal.is_active = True
        terminal.enrolment_code_hash = _code_digest(code)
        terminal.enrolment_expires_at = clock.now() + timedelta(days=365)
        terminal.save()
        record_event(
            actor=None,
            action=AuditAction.TERMINAL_REGISTRATION_CREATE,
            purpose="demo-setup",
            subject_type="terminal",
            subject_id=DEMO_TERMINAL_ID,
        )
    return DemoAdmin(
        password=password,
        totp_secret=user.totp_secret,
        totp_uri=totp_uri(user=user, secret=user.totp_secret),
        terminal_id=DEMO_TERMINAL_ID,
        terminal_code=code,
    )
