"""Fixtures of the provision tests: synthetic prefecture records, a requesting body and its operators."""

from __future__ import annotations

import pytest

from jumin.accounts import approvals
from jumin.accounts.models import RegisteredMedium, User
from jumin.accounts.permissions import Permission
from jumin.jukinet.prefecture.provision.items import ITEMS
from jumin.jukinet.prefecture.provision.models import BodyOperator, LegalBasis, RequestingBody
from jumin.jukinet.prefecture.provision.synthetic import Person, make_records
from tests.helpers.accounts import grant_permissions, make_user

PURPOSE = "provision_terminal"


@pytest.fixture
def people(db: None) -> list[Person]:
    """Forty synthetic residents (names repeat every 25) of the prefecture, each with one history version."""
    return make_records(range(1, 41), with_history=True)


@pytest.fixture
def body(db: None) -> RequestingBody:
    return RequestingBody.objects.create(
        code="EDU", name="教育委員会", kind=RequestingBody.Kind.EXECUTIVE_BODY, ordinance="県条例第1号"
    )


@pytest.fixture
def department(db: None) -> RequestingBody:
    return RequestingBody.objects.create(code="TAX", name="総務部税務課", kind=RequestingBody.Kind.DEPARTMENT)


@pytest.fixture
def basis(body: RequestingBody) -> LegalBasis:
    """A basis that allows all 8 items."""
    return LegalBasis.objects.create(
        body=body, code="B1", label="奨学金事務", article="住基法30条の15第2項", allowed_items=list(ITEMS)
    )


@pytest.fixture
def narrow_basis(body: RequestingBody) -> LegalBasis:
    """A basis that allows 氏名 and 住所 only."""
    return LegalBasis.objects.create(
        body=body,
        code="B2",
        label="通知事務",
        article="住基法30条の15第2項",
        allowed_items=["name", "address"],
    )


def operator_of(body: RequestingBody, *permissions: Permission) -> User:
    """A trained account with a real grant of ``permissions``, assigned to ``body``."""
    user = make_user()
    grant_permissions(user, permissions)
    BodyOperator.objects.create(user=user, body=body)
    return user


@pytest.fixture
def operator(body: RequestingBody) -> User:
    return operator_of(body, Permission.PROVISION_PROVIDE)


@pytest.fixture
def number_operator(body: RequestingBody) -> User:
    return operator_of(body, Permission.PROVISION_PROVIDE, Permission.INDIVIDUAL_NUMBER_ACCESS)


def approved_media_output(requester: User, *, max_count: int, medium_id: str = "USB-0001") -> int:
    """Register an encrypted medium and take a media-output approval through both stages (C-28)."""
    it_head = make_user()
    grant_permissions(it_head, [Permission.MEDIA_REGISTER, Permission.OUTPUT_MEDIA_IT_APPROVE])
    section_head = make_user()
    grant_permissions(section_head, [Permission.OUTPUT_MEDIA_SECTION_APPROVE])
    if not RegisteredMedium.objects.filter(medium_id=medium_id).exists():
        approvals.register_medium(
            actor=it_head, medium_id=medium_id, label="一括提供用USB", encrypted=True, purpose="媒体管理"
        )
    approval = approvals.request_approval(
        actor=requester,
        kind="media_output",
        purpose=PURPOSE,
        scope="一括提供 教育委員会",
        max_count=max_count,
        medium_id=medium_id,
    )
    for approver in (section_head, it_head):
        approvals.decide_approval(actor=approver, approval_id=approval.pk, approve=True, purpose="承認")
    return approval.pk


@pytest.fixture
def bulk_operator(db: None) -> User:
    """A 代表端末 operator (市町村課): 一括提供 and media output, no 個人番号 access."""
    user = make_user()
    grant_permissions(user, [Permission.PROVISION_BULK, Permission.OUTPUT_BULK_REQUEST])
    return user
