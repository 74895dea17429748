"""Officers the grant tests share: a section head who also keeps units, and an IT head (C-12)."""

from __future__ import annotations

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from tests.helpers.accounts import grant_permissions, make_user


@pytest.fixture
def head() -> User:
    user = make_user(username="head")
    grant_permissions(user, [Permission.STAFF_GRANT_REQUEST, Permission.HR_EVENT_RECORD])
    return user


@pytest.fixture
def it_head() -> User:
    user = make_user(username="ithead")
    grant_permissions(user, [Permission.STAFF_GRANT_APPROVE, Permission.STAFF_GRANT_REPORT])
    return user
