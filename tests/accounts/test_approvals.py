"""Prior approval of bulk and media output (controls.md C-26 to C-28): one manager stage for bulk
output, two stages (所属長, then 情報主管課長) for media output, the media log and its post-use check."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from jumin.accounts import approvals
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import ApprovalDecision, ApprovalRequest, MediaOutputRecord, MediaUseCheck, User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import grant_permissions, make_user
from tests.helpers.permission_matrix import assert_permission_triple

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
def section_head() -> User:
    user = make_user(username="section-head")
    grant_permissions(user, [Permission.OUTPUT_MEDIA_SECTION_APPROVE])
    return user


@pytest.fixture
def it_head() -> User:
    user = make_user(username="it-head")
    grant_permissions(user, [Permission.OUTPUT_MEDIA_IT_APPROVE, Permission.MEDIA_REGISTER])
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


def approved(requester: User, manager: User, *, max_count: int) -> int:
    """A bulk-output request approved by the responsible manager (one stage)."""
    request = approvals.request_approval(
        actor=requester, kind="bulk_output", purpose=PURPOSE, scope="全世帯", max_count=max_count
    )
    approvals.decide_approval(actor=manager, approval_id=request.pk, approve=True, purpose=PURPOSE)
    return request.pk


def media_approved(requester: User, section_head: User, it_head: User, *, max_count: int, medium: str) -> int:
    """A media-output request through both stages: section head, then IT head (C-28)."""
    request = approvals.request_approval(
        actor=requester,
        kind="media_output",
        purpose=PURPOSE,
        scope="全世帯",
        max_count=max_count,
        medium_id=medium,
    )
    approvals.decide_approval(actor=section_head, approval_id=request.pk, approve=True, purpose=PURPOSE)
    approvals.decide_approval(actor=it_head, approval_id=request.pk, approve=True, purpose=PURPOSE)
    return request.pk


def record(requester: User, approval_id: int, medium: str, count: int = 500) -> MediaOutputRecord:
    return approvals.record_media_output(
        actor=requester,
        approval_id=approval_id,
        medium_id=medium,
        description="住民一覧",
        record_count=count,
        file_sha256=DIGEST,
        purpose=PURPOSE,
    )


def test_a_media_output_is_recorded_once_with_hash_and_count(
    requester: User, section_head: User, it_head: User, medium: str
) -> None:
    approval_id = media_approved(requester, section_head, it_head, max_count=500, medium=medium)
    record(requester, approval_id, medium)
    output = MediaOutputRecord.objects.get()
    assert (output.record_count, output.file_sha256, output.medium.medium_id, output.actor) == (
        500,
        DIGEST,
        medium,
        requester,
    )
    assert output.description == "住民一覧"
    assert output.recorded_at is not None
    assert AuditEntry.objects.filter(action=AuditAction.MEDIA_OUTPUT_RECORD, outcome="done").count() == 1
    with pytest.raises(RuleRefused):  # the approval is used up
        record(requester, approval_id, medium, count=1)


def test_media_output_with_only_the_section_heads_approval_is_refused(
    requester: User, section_head: User, medium: str
) -> None:
    request = approvals.request_approval(
        actor=requester, kind="media_output", purpose=PURPOSE, scope="全件", max_count=5, medium_id=medium
    )
    approvals.decide_approval(actor=section_head, approval_id=request.pk, approve=True, purpose=PURPOSE)
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.REQUESTED
    assert approvals.next_stage(request) == approvals.APPROVAL_STAGES["media_output"][1]
    with pytest.raises(RuleRefused) as refused:
        record(requester, request.pk, medium, count=5)
    assert refused.value.reason_code == "approval_unusable"
    assert not MediaOutputRecord.objects.exists()


def test_each_stage_needs_its_own_role_and_the_stages_go_in_order(
    requester: User, section_head: User, it_head: User, medium: str
) -> None:
    request = approvals.request_approval(
        actor=requester, kind="media_output", purpose=PURPOSE, scope="全件", max_count=5, medium_id=medium
    )
    with pytest.raises(AccessRefused):  # the IT head cannot decide the section head's stage
        approvals.decide_approval(actor=it_head, approval_id=request.pk, approve=True, purpose=PURPOSE)
    approvals.decide_approval(actor=section_head, approval_id=request.pk, approve=True, purpose=PURPOSE)
    with pytest.raises(AccessRefused):  # nor the section head the IT head's
        approvals.decide_approval(actor=section_head, approval_id=request.pk, approve=True, purpose=PURPOSE)
    approvals.decide_approval(actor=it_head, approval_id=request.pk, approve=True, purpose=PURPOSE)
    decisions = list(ApprovalDecision.objects.filter(approval=request).order_by("stage"))
    assert [(d.stage, d.role, d.decided_by) for d in decisions] == [
        (1, "所属長", section_head),
        (2, "情報主管課長", it_head),
    ]
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.APPROVED
    assert request.decided_by == it_head


def test_one_person_cannot_decide_both_stages(requester: User, medium: str) -> None:
    both = make_user(username="both-roles")
    grant_permissions(both, [Permission.OUTPUT_MEDIA_SECTION_APPROVE, Permission.OUTPUT_MEDIA_IT_APPROVE])
    request = approvals.request_approval(
        actor=requester, kind="media_output", purpose=PURPOSE, scope="全件", max_count=5, medium_id=medium
    )
    approvals.decide_approval(actor=both, approval_id=request.pk, approve=True, purpose=PURPOSE)
    with pytest.raises(RuleRefused) as refused:
        approvals.decide_approval(actor=both, approval_id=request.pk, approve=True, purpose=PURPOSE)
    assert refused.value.reason_code == "same_approver"
    assert ApprovalDecision.objects.filter(approval=request).count() == 1
    refusal = AuditEntry.objects.filter(action=AuditAction.APPROVAL_REQUEST_DECIDE).latest("seq")
    assert (refusal.outcome, refusal.outcome_reason) == ("refused", "same_approver")


def test_a_rejection_at_the_first_stage_ends_the_request(
    requester: User, section_head: User, it_head: User, medium: str
) -> None:
    request = approvals.request_approval(
        actor=requester, kind="media_output", purpose=PURPOSE, scope="全件", max_count=5, medium_id=medium
    )
    approvals.decide_approval(
        actor=section_head, approval_id=request.pk, approve=False, purpose=PURPOSE, reason="目的不明確"
    )
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.REJECTED
    with pytest.raises(RuleRefused) as refused:
        approvals.decide_approval(actor=it_head, approval_id=request.pk, approve=True, purpose=PURPOSE)
    assert refused.value.reason_code == "not_pending"


def test_the_requester_cannot_decide_a_stage_of_their_own_media_request(medium: str) -> None:
    head = make_user(username="head-requester")
    grant_permissions(head, [Permission.OUTPUT_BULK_REQUEST, Permission.OUTPUT_MEDIA_SECTION_APPROVE])
    request = approvals.request_approval(
        actor=head, kind="media_output", purpose=PURPOSE, scope="全件", max_count=5, medium_id=medium
    )
    with pytest.raises(RuleRefused) as refused:
        approvals.decide_approval(actor=head, approval_id=request.pk, approve=True, purpose=PURPOSE)
    assert refused.value.reason_code == "self_approval"
    assert not ApprovalDecision.objects.exists()


def test_each_media_output_opens_a_post_use_check_the_it_department_closes(
    requester: User, section_head: User, it_head: User, medium: str
) -> None:
    output = record(
        requester, media_approved(requester, section_head, it_head, max_count=10, medium=medium), medium, 10
    )
    check = MediaUseCheck.objects.get(output=output)
    assert check.checked_at is None
    with pytest.raises(AccessRefused):
        approvals.complete_media_use_check(
            actor=requester, output_id=output.pk, erased=True, note="", purpose=PURPOSE
        )
    approvals.complete_media_use_check(
        actor=it_head, output_id=output.pk, erased=True, note="消去を確認", purpose=PURPOSE
    )
    check.refresh_from_db()
    assert (check.checked_by, check.erased, check.note) == (it_head, True, "消去を確認")
    with pytest.raises(RuleRefused) as refused:  # completed once
        approvals.complete_media_use_check(
            actor=it_head, output_id=output.pk, erased=True, note="", purpose=PURPOSE
        )
    assert refused.value.reason_code == "check_not_open"


def test_the_requester_cannot_approve_their_own_request(manager: User) -> None:
    request = approvals.request_approval(
        actor=manager, kind="bulk_output", purpose=PURPOSE, scope="全件", max_count=10
    )
    with pytest.raises(RuleRefused) as refused:
        approvals.decide_approval(actor=manager, approval_id=request.pk, approve=True, purpose=PURPOSE)
    assert refused.value.reason_code == "self_approval"


def test_output_beyond_the_approved_count_or_to_another_medium_is_refused(
    requester: User, section_head: User, it_head: User, medium: str
) -> None:
    approval_id = media_approved(requester, section_head, it_head, max_count=500, medium=medium)
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
    approval_id = approved(requester, manager, max_count=500)
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


def test_permission_triples_of_both_media_approval_stages(make_staff, medium: str) -> None:  # type: ignore[no-untyped-def]
    """Through the screen: anonymous → login; without the stage's role → 403 and one refused entry;
    with it → done and one entry. Stage 1 needs 所属長, stage 2 情報主管課長 (C-28)."""
    first_done = make_user(username="stage1-head")
    grant_permissions(first_done, [Permission.OUTPUT_MEDIA_SECTION_APPROVE])

    def pending(stages_done: int) -> str:
        request = approvals.request_approval(
            actor=requester_user(),
            kind="media_output",
            purpose=PURPOSE,
            scope="全件",
            max_count=3,
            medium_id=medium,
        )
        if stages_done:
            approvals.decide_approval(actor=first_done, approval_id=request.pk, approve=True, purpose=PURPOSE)
        return reverse("web:approval_decide", args=[request.pk])

    def requester_user() -> User:
        user = make_user()
        grant_permissions(user, [Permission.OUTPUT_BULK_REQUEST])
        return user

    data = {"decision": "approve"}
    assert_permission_triple(
        make_staff, "post", lambda: pending(0), Permission.OUTPUT_MEDIA_SECTION_APPROVE, data=data
    )
    assert_permission_triple(
        make_staff, "post", lambda: pending(1), Permission.OUTPUT_MEDIA_IT_APPROVE, data=data
    )
