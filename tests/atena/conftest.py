"""宛名 fixtures: the registry's staff and builders (tests/registry/conftest.py) and a feed account."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from tests.registry.conftest import (  # noqa: F401 (fixtures used by this package's tests)
    clerk,
    code_pool,
    commit,
    make_clerk,
    reviewer,
)

FEED_PURPOSE = "atena_feed"


@pytest.fixture
def feed_account(make_clerk: Callable[..., User]) -> User:  # noqa: F811 (the imported fixture)
    """An in-house system's account: 宛名連携事務 only."""
    return make_clerk("feed", Permission.ATENA_FEED_EXTRACT)
