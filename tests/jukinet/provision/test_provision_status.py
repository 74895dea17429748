"""本人確認情報の提供状況 at the prefecture (issue 8 item 7): the audit log's exchanges merged with the
provision log, for the 開示 desk; screen and API with the permission triple."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.jukinet.prefecture.models import IdentityRecord
from jumin.jukinet.prefecture.provision.exchanges import provision_status
from jumin.jukinet.prefecture.provision.keys import SearchKey
from jumin.jukinet.prefecture.provision.models import LegalBasis
from jumin.jukinet.prefecture.provision.provide import provide
from jumin.jukinet.prefecture.provision.synthetic import Person
from tests.helpers.accounts import StaffClient, grant_permissions, make_user
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.provision.conftest import PURPOSE

pytestmark = pytest.mark.django_db
API = "/api/jukinet/provision/provision-status"
DESK = "provision_disclosure"


@pytest.fixture
def desk(db: None) -> User:
    user = make_user()
    grant_permissions(user, [Permission.PROVISION_DISCLOSURE])
    return user


def test_the_status_merges_provisions_and_exchanges_newest_first(
    people: list[Person], operator: User, basis: LegalBasis, desk: User
) -> None:
    target, other = people[2], people[3]
    for person in (target, other):
        provide(
            actor=operator,
            basis_id=basis.pk,
            key=SearchKey(by="resident_code", resident_code=person.resident_code),
            purpose=PURPOSE,
        )
    stored = IdentityRecord.objects.get(resident_code=target.resident_code)
    record_event(  # a CS query answered about the person, as prefecture.queries writes it
        actor=None,
        action=AuditAction.PREFECTURE_IDENTITY_QUERY,
        subject_type="prefecture_identity",
        reason="query from municipality:422029 operator op1",
        result_count=1,
        concerning=[str(stored.pk)],
    )
    status = provision_status(actor=desk, purpose=DESK, resident_code=target.resident_code)
    assert [exchange.action for exchange in status.exchanges] == [
        "prefecture:identity:query",
        "provision:supply",
    ]
    provided = status.exchanges[1]
    assert provided.kind == "提供・個別照会（業務端末）"
    assert "教育委員会" in provided.detail
    assert "奨学金事務" in provided.detail
    assert provided.individual_number_used is False  # the 個人番号 item needs its own grant
    assert status.exchanges[0].kind == "市町村CSからの照会への回答"


def test_a_malformed_code_is_refused_and_audited(desk: User) -> None:
    with pytest.raises(DomainError) as refused:
        provision_status(actor=desk, purpose=DESK, resident_code="1234567890")
    assert refused.value.field == "resident_code"


def test_the_screen_and_the_api_follow_the_permission_triple(
    people: list[Person], make_staff: Callable[..., StaffClient]
) -> None:
    code = people[0].resident_code
    assert_permission_triple(
        make_staff,
        "post",
        reverse("jukinet_provision:provision_status"),
        Permission.PROVISION_DISCLOSURE,
        data={"purpose": DESK, "resident_code": code},
    )
    body = json.dumps({"purpose": DESK, "resident_code": code})
    assert_permission_triple(
        make_staff, "post", API, Permission.PROVISION_DISCLOSURE, data=body, content_type="application/json"
    )
