"""TOTP secrets sealed at rest with AES-256-GCM under the node's data keys (docs/security.md).

The secret never reaches the column, SQL, logs, ``repr``, the admin, serialised data or an error
report in clear; key rotation re-encrypts it; the data migration seals rows written in clear.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core import serializers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.views.debug import ExceptionReporter
from pytest_django.fixtures import Settings

from jumin.accounts import services
from jumin.accounts.models import TOTP_SECRET_PURPOSE, User
from jumin.accounts.services import LoginRefused
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.crypto.keys import get_keyring, reset_keyring_cache, update_keyring
from jumin.crypto.sealed import SealedSecretError, UnreadableSecret, open_secret, seal_secret
from jumin.crypto.services import key_usage, reencrypt_all, retire_key
from tests.helpers.accounts import log_in, make_user, terminal_client, totp_now

pytestmark = pytest.mark.django_db
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # a synthetic base32 secret, never a real account's
MIGRATION = importlib.import_module("jumin.accounts.migrations.0003_totp_secret_sealed")


@pytest.fixture(autouse=True)
def keyring_file(tmp_path: Path, settings: Settings) -> Iterator[Path]:
    """A keyring of its own per test, so rotating keys touches nothing else."""
    path = tmp_path / "keys" / "individual-number-keyring.json"
    settings.JUMIN_CRYPTO_KEYRING = path
    settings.JUMIN_DEMO = True
    reset_keyring_cache()
    yield path
    reset_keyring_cache()


def stored(user: User) -> str:
    """The raw column value, read with SQL (not through the field)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM accounts_user WHERE id = %s", [user.pk])
        return str(cursor.fetchone()[0])


def write_raw(user: User, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET totp_secret = %s WHERE id = %s", [value, user.pk])


def test_the_column_holds_ciphertext_and_the_account_still_verifies() -> None:
    user = make_user(totp=False)
    with CaptureQueriesContext(connection) as queries:
        services.enrol_totp(user=user, secret=SECRET, code=_code(SECRET))
    raw = stored(user)
    assert raw.startswith(f"s1:{get_keyring().current_id}:")
    assert SECRET not in raw
    assert all(SECRET not in query["sql"] for query in queries.captured_queries)
    fresh = User.objects.get(pk=user.pk)
    assert fresh.totp_secret == SECRET
    assert SECRET not in repr(fresh.totp_secret)
    assert SECRET not in repr(fresh)
    services.verify_totp(user=fresh, code=_code(SECRET, offset=1))
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_LOGIN_SUCCEED, actor_id=user.pk).exists()


def _code(secret: str, offset: int = 0) -> str:
    holder = SimpleNamespace(totp_secret=secret)
    return totp_now(holder, offset_steps=offset)  # type: ignore[arg-type]


def test_an_unrelated_save_keeps_the_stored_text_unchanged() -> None:
    user = make_user()
    before = stored(user)
    loaded = User.objects.get(pk=user.pk)
    loaded.display_name = "改名 花子"
    loaded.save()
    assert stored(user) == before


def test_the_sealed_value_is_bound_to_its_column() -> None:
    token = seal_secret(SECRET, purpose=TOTP_SECRET_PURPOSE)
    assert open_secret(token, purpose=TOTP_SECRET_PURPOSE) == SECRET
    with pytest.raises(SealedSecretError) as refused:
        open_secret(token, purpose="another.column")
    assert SECRET not in str(refused.value)
    assert token not in str(refused.value)


def test_a_tampered_secret_is_refused_with_an_audit_entry_and_is_not_overwritten() -> None:
    user = make_user()
    token = stored(user)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    write_raw(user, tampered)
    loaded = User.objects.get(pk=user.pk)
    assert isinstance(loaded.totp_secret, UnreadableSecret)
    assert services.has_second_factor(loaded)  # still enrolled: no silent downgrade to "no factor"
    with pytest.raises(LoginRefused) as refused:
        services.verify_totp(user=loaded, code="123456")
    assert refused.value.reason_code == "totp_unreadable"
    entry = AuditEntry.objects.filter(action=AuditAction.STAFF_FACTOR_FAIL).latest("seq")
    assert (entry.outcome, entry.outcome_reason) == ("refused", "totp_unreadable")
    loaded.save()
    assert stored(user) == tampered  # nothing lost


def test_logs_admin_serialisation_and_error_reports_never_show_the_secret(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = make_user(superuser=True)
    user = make_user(totp=False)
    services.enrol_totp(user=user, secret=SECRET, code=_code(SECRET))
    page = log_in(terminal_client(), admin).get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert SECRET not in serializers.serialize("json", User.objects.filter(pk=user.pk))

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "_second_factor_passed", fail)
    with pytest.raises(RuntimeError) as caught:
        services.verify_totp(user=User.objects.get(pk=user.pk), code=_code(SECRET, offset=1))
    report = ExceptionReporter(None, caught.type, caught.value, caught.tb).get_traceback_text()
    assert "boom" in report
    assert "verify_totp" in report
    assert SECRET not in report
    assert SECRET not in caplog.text


def test_key_rotation_reencrypts_the_secret_and_guards_the_old_key() -> None:
    user = make_user(totp=False)
    services.enrol_totp(user=user, secret=SECRET, code=_code(SECRET))
    old_key = get_keyring().current_id
    update_keyring(lambda keyring: keyring.with_new_key("dk-totp-2"))
    assert key_usage()[old_key] == 1
    with pytest.raises(Exception, match="1 件残っている"):
        retire_key(key_id=old_key)
    counts = reencrypt_all(batch_size=1)
    assert counts["accounts.User.totp_secret"] == 1
    assert stored(user).startswith("s1:dk-totp-2:")
    assert User.objects.get(pk=user.pk).totp_secret == SECRET
    retire_key(key_id=old_key)
    assert reencrypt_all()["accounts.User.totp_secret"] == 0  # nothing left: resumable, idempotent


def test_the_data_migration_seals_plaintext_rows_and_leaves_sealed_ones() -> None:
    plain = make_user(totp=False)
    already = make_user()
    write_raw(plain, SECRET)
    sealed_before = stored(already)
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    MIGRATION.seal_plaintext_secrets(django_apps, editor)
    assert stored(plain).startswith("s1:")
    assert SECRET not in stored(plain)
    assert User.objects.get(pk=plain.pk).totp_secret == SECRET
    assert stored(already) == sealed_before
    MIGRATION.seal_plaintext_secrets(django_apps, editor)  # running twice changes nothing
    assert User.objects.get(pk=plain.pk).totp_secret == SECRET
    MIGRATION.open_sealed_secrets(django_apps, editor)  # backwards
    assert stored(plain) == SECRET
