"""Certificates fixtures: a committed household, an issuing clerk, signing keys in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.certificates.certifiers import ensure_demo_certifier
from jumin.certificates.models import Certifier
from jumin.domain.certificates import (
    CertificateOptions,
    CertificateRequest,
    IdentityCheck,
    RequesterClass,
)
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from tests.registry.conftest import (  # noqa: F401 (fixtures used by this package's tests)
    PURPOSE,
    clerk,
    code_pool,
    make_clerk,
    reviewer,
)
from tests.registry.test_move_in import family_move_in

CERT_PURPOSE = "certificate"


@pytest.fixture(autouse=True)
def signing_keys(tmp_path: Path) -> Iterator[Path]:
    """A fresh demo signing key per test, under a temporary directory (never the developer's var/)."""
    key = tmp_path / "keys" / "certificate-signing-key.pem"
    cert = tmp_path / "keys" / "certificate-signing-cert.pem"
    with override_settings(JUMIN_CERTIFICATE_SIGNING_KEY=str(key), JUMIN_CERTIFICATE_SIGNING_CERT=str(cert)):
        yield tmp_path / "keys"


@pytest.fixture
def certifier(db: None) -> Certifier:
    return ensure_demo_certifier(prefecture_name="長崎県", municipality_name="佐世保市")


@pytest.fixture
def issuer(make_clerk: Callable[..., User]) -> User:  # noqa: F811 (the imported fixture)
    """A clerk under the 証明書交付事務 duty."""
    return make_clerk(
        "issuer", Permission.CERTIFICATE_ISSUE, Permission.CERTIFICATE_VERIFY, Permission.CERTIFICATE_VOID
    )


@pytest.fixture
def family(clerk: User, reviewer: User, code_pool: list[str]) -> DraftRecorded:  # noqa: F811
    """A committed household of three: 世帯主 青木太郎, 妻 花子, 子 三奈 (member order as stored)."""
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def own_request(**overrides: Any) -> CertificateRequest:
    values: dict[str, Any] = {
        "requester_class": RequesterClass.SELF,
        "identity_check": IdentityCheck.MYNUMBER_CARD,
    }
    values.update(overrides)
    return CertificateRequest(**values)


def options_for(numbers: tuple[str, ...] | list[str], **overrides: Any) -> CertificateOptions:
    values: dict[str, Any] = {"atena_numbers": tuple(numbers)}
    values.update(overrides)
    return CertificateOptions(**values)
