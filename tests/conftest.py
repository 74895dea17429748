"""Shared fixtures. Tests run against the database JUMIN_DATABASE_URL names (SQLite by default).

Every request must come from a registered terminal and a logged-in session must have passed the
second factor (docs/security.md), so ``client`` and ``admin_client`` are set up that way here, and
``make_staff`` builds logged-in clients with real grants (tests/helpers/accounts.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.messaging.testing import STANDARD_NODES, TestFederation
from tests.helpers.accounts import StaffClient, grant_permissions, log_in, make_user, terminal_client

# Hypothesis's deadline and too_slow health check time the machine, not the code: on a loaded CI machine
# they fail properties that hold. Tests assert behaviour only, never speed (benchmarks are separate).
hypothesis_settings.register_profile("jumin", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("jumin")


@pytest.fixture
def client(db: None) -> StaffClient:
    """An anonymous client on a registered terminal (C-3)."""
    return terminal_client()


@pytest.fixture
def admin_user(db: None) -> User:
    """The installation's superuser, linked to a person and with TOTP enrolled."""
    return make_user(username="admin", superuser=True, display_name="管理者")


@pytest.fixture
def admin_client(db: None, admin_user: User) -> StaffClient:
    """The superuser logged in on a registered terminal, second factor passed."""
    return log_in(terminal_client(), admin_user)


@pytest.fixture
def make_staff(db: None) -> Callable[..., StaffClient]:
    """``make_staff(permissions=[...], second_factor_verified=True, anonymous=False, **user_kwargs)``.

    Returns a client on a registered terminal, logged in as a new account holding a real grant of
    exactly ``permissions`` (none if empty); ``anonymous=True`` gives a client that is not logged in.
    """

    def make(
        permissions: Iterable[Permission] = (),
        *,
        second_factor_verified: bool = True,
        anonymous: bool = False,
        **user_kwargs: object,
    ) -> StaffClient:
        client = terminal_client()
        if anonymous:
            return client
        user = make_user(**user_kwargs)  # type: ignore[arg-type]
        wanted = list(permissions)
        if wanted:
            grant_permissions(user, wanted)
        return log_in(client, user, second_factor_verified=second_factor_verified)

    return make


@pytest.fixture
def federation(db: None, tmp_path: Path) -> Iterator[TestFederation]:
    """Six nodes in this process and database (jumin.messaging.testing, docs/network.md): national 00,
    長崎県 420000 with 佐世保市 422029 and 長崎市 422011, 東京都 130001 with 千代田区 131016; full mesh.

    ``federation.acting_as(ref)`` runs code as a node; ``federation.pump()`` delivers every message.
    (tests/messaging has its own ``federation`` fixture: two nodes over real TLS.)
    """
    with TestFederation(tmp_path / "federation", STANDARD_NODES) as fed:
        yield fed
