"""Prior approval of bulk and media output (controls.md C-26 to C-28)."""

from __future__ import annotations

import hashlib

import pytest

from jumin.accounts import approvals
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import MediaOutputRecord, User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import grant_permissions, make_user

pytestmark = pytest.mark.django_db
PURPOSE = "統計資料作成"
DIGEST = hashlib.sha256(b"export").hexdigest()


@pytest.fixture
def requester() -> User:
    user = make_user(username="exporter")
    grant_permissions(user, [Permission.OUTPUT_BULK_REQUEST])
    return user


@pytest.fixture
def manager() -> User:
    user = make_user(username="manager")
    grant_permissions(user, [Permission.OUTPUT_BULK_APPROVE, Permission.OUTPUT_BULK_REQUEST])
    return user


@pytest.fixture
def medium() -> str:
    approvals.register_medium(
        actor=make_user(superuser=True),
        medium_id="USB-001",
        label="暗号化USB",
        encrypted=True,
        purpose="媒体管理",
    )
    return "USB-001"


def approved(requester: User, manager: User, *, kind: str, max_count: int, medium_id: str = "") -> int:
    request = approvals.request_approval(
        actor=requester, kind=kind, purpose=PURPOSE, scope="全世帯", max_count=max_count, medium_id=medium_id
    )
    approvals.decide_approval(actor=manager, approval_id=request.pk, approve=True, purpose=PURPOSE)
    return request.pk


def test_a_media_output_is_recorded_once_with_hash_and_count(
    requester: User, manager: User, medium: str
) -> None:
    approval_id = approved(requester, manager, kind="media_output", max_count=500, medium_id=medium)
    approvals.record_media_output(
        actor=requester,
        approval_id=approval_id,
        medium_id=medium,
        description="住民一覧",
        record_count=500,
        file_sha256=DIGEST,
        purpose=PURPOSE,
    )
    record = MediaOutputRecord.objects.get()
    assert (record.record_count, record.file_sha256, record.medium.medium_id, record.actor) == (
        500,
        DIGEST,
        medium,
        requester,
    )
    assert AuditEntry.objects.filter(action=AuditAction.MEDIA_OUTPUT_RECORD, outcome="done").count() == 1
    with pytest.raises(RuleRefused):  # the approval is used up
        approvals.record_media_output(
            actor=requester,
            approval_id=approval_id,
            medium_id=medium,
            description="再出力",
            record_count=1,
            file_sha256=DIGEST,
            purpose=PURPOSE,
        )


def test_the_requester_cannot_approve_their_own_request(manager: User) -> None:
    request = approvals.request_approval(
        actor=manager, kind="bulk_output", purpose=PURPOSE, scope="全件", max_count=10
    )
    with pytest.raises(RuleRefused) as refused:
        approvals.decide_approval(actor=manager, approval_id=request.pk, approve=True, purpose=PURPOSE)
    assert refused.value.reason_code == "self_approval"


def test_output_beyond_the_approved_count_or_to_another_medium_is_refused(
    requester: User, manager: User, medium: str
) -> None:
    approval_id = approved(requester, manager, kind="media_output", max_count=500, medium_id=medium)
    base = {
        "actor": requester,
        "approval_id": approval_id,
        "description": "x",
        "file_sha256": DIGEST,
        "purpose": PURPOSE,
    }
    with pytest.raises(RuleRefused):
        approvals.record_media_output(medium_id=medium, record_count=501, **base)
    with pytest.raises(RuleRefused):
        approvals.record_media_output(medium_id="USB-UNREGISTERED", record_count=10, **base)
    assert not MediaOutputRecord.objects.exists()


def test_media_output_without_a_registered_medium_cannot_even_be_requested(requester: User) -> None:
    with pytest.raises(RuleRefused):
        approvals.request_approval(
            actor=requester, kind="media_output", purpose=PURPOSE, scope="全件", max_count=5, medium_id="NOPE"
        )


def test_bulk_output_needs_an_approval_above_100_persons_and_cannot_exceed_it(
    requester: User, manager: User
) -> None:
    action = AuditAction.MEDIA_OUTPUT_RECORD
    approvals.check_bulk_output(actor=requester, count=100, approval_id=None, action=action, purpose=PURPOSE)
    with pytest.raises(RuleRefused):
        approvals.check_bulk_output(
            actor=requester, count=101, approval_id=None, action=action, purpose=PURPOSE
        )
    approval_id = approved(requester, manager, kind="bulk_output", max_count=500)
    approvals.check_bulk_output(
        actor=requester, count=500, approval_id=approval_id, action=action, purpose=PURPOSE
    )
    with pytest.raises(RuleRefused):
        approvals.check_bulk_output(
            actor=requester, count=501, approval_id=approval_id, action=action, purpose=PURPOSE
        )


def test_an_unencrypted_medium_cannot_be_registered() -> None:
    with pytest.raises(RuleRefused):
        approvals.register_medium(
            actor=make_user(superuser=True),
            medium_id="USB-9",
            label="平文",
            encrypted=False,
            purpose="媒体管理",
        )
