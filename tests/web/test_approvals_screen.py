"""The output approvals screen (C-26 to C-28): stages and their deciders, decide buttons only for
whoever may decide the next stage, the media output only after both stages, the post-use check."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts import approvals
from jumin.accounts.models import ApprovalRequest, MediaUseCheck, User
from jumin.accounts.permissions import Permission as P  # noqa: N817
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import StaffClient, grant_permissions, log_in, make_user, terminal_client
from tests.helpers.permission_matrix import assert_permission_triple

pytestmark = pytest.mark.django_db
PURPOSE = "統計資料作成"
DIGEST = hashlib.sha256(b"export").hexdigest()


def person(username: str, display_name: str, *permissions: P) -> User:
    user = make_user(username=username, display_name=display_name)
    grant_permissions(user, permissions)
    return user


def client_of(user: User) -> StaffClient:
    return log_in(terminal_client(), user)


@pytest.fixture
def medium() -> str:
    approvals.register_medium(
        actor=make_user(superuser=True), medium_id="USB-7", label="暗号化USB", encrypted=True, purpose="媒体"
    )
    return "USB-7"


@pytest.fixture
def requester() -> User:
    return person("exporter", "出力 花子", P.OUTPUT_BULK_REQUEST)


@pytest.fixture
def section_head() -> User:
    return person("section", "所属 一郎", P.OUTPUT_MEDIA_SECTION_APPROVE)


@pytest.fixture
def it_head() -> User:
    return person("ithead", "情報 課長", P.OUTPUT_MEDIA_IT_APPROVE, P.MEDIA_REGISTER)


def media_request(requester: User, medium: str) -> ApprovalRequest:
    return approvals.request_approval(
        actor=requester, kind="media_output", purpose=PURPOSE, scope="全件", max_count=5, medium_id=medium
    )


def decide_url(approval: ApprovalRequest) -> str:
    return reverse("web:approval_decide", args=[approval.pk])


def page(user: User) -> str:
    response = client_of(user).get(reverse("web:approvals"))
    assert response.status_code == 200
    return response.content.decode()


def test_only_the_section_head_is_offered_the_first_stage(
    requester: User, section_head: User, it_head: User, medium: str
) -> None:
    approval = media_request(requester, medium)
    assert decide_url(approval) in page(section_head)
    it_page = page(it_head)
    assert decide_url(approval) not in it_page
    assert "所属長の決裁待ち" in it_page
    assert "前の段階の承認後に決裁" in it_page  # the 情報主管課長 stage, not yet reached
    requester_page = page(requester)
    assert decide_url(approval) not in requester_page
    assert "両方の承認後に記録できます" in requester_page
    assert reverse("web:media_output", args=[approval.pk]) not in requester_page


def test_after_the_first_stage_the_page_names_its_decider_and_offers_the_second_to_the_it_head(
    requester: User, section_head: User, it_head: User, medium: str
) -> None:
    approval = media_request(requester, medium)
    response = client_of(section_head).post(decide_url(approval), {"decision": "approve", "reason": "確認済"})
    assert response.status_code == 302
    section_page = page(section_head)
    assert decide_url(approval) not in section_page  # nobody decides two stages
    assert "所属長：承認（所属 一郎" in section_page
    it_page = page(it_head)
    assert decide_url(approval) in it_page
    assert "情報主管課長として承認" in it_page
    assert "情報主管課長の決裁待ち" in it_page


def test_a_first_stage_decider_holding_both_roles_is_not_offered_the_second(
    requester: User, it_head: User, medium: str
) -> None:
    both = person("both", "兼務 者", P.OUTPUT_MEDIA_SECTION_APPROVE, P.OUTPUT_MEDIA_IT_APPROVE)
    approval = media_request(requester, medium)
    assert decide_url(approval) in page(both)
    client_of(both).post(decide_url(approval), {"decision": "approve"})
    assert decide_url(approval) not in page(both)
    # Posting anyway is refused by the service and explained on the page.
    client = client_of(both)
    response = client.post(decide_url(approval), {"decision": "approve"}, follow=True)
    assert "同じ人が二つの段階を承認することはできません" in response.content.decode()
    assert ApprovalRequest.objects.get(pk=approval.pk).status == ApprovalRequest.Status.REQUESTED


def test_a_requester_holding_the_stage_role_is_not_offered_their_own_request(medium: str) -> None:
    head = person("head-requester", "申請 所属長", P.OUTPUT_BULK_REQUEST, P.OUTPUT_MEDIA_SECTION_APPROVE)
    approval = media_request(head, medium)
    assert decide_url(approval) not in page(head)


def test_media_output_is_refused_with_an_explanation_until_both_stages_then_recorded(
    requester: User, section_head: User, it_head: User, medium: str
) -> None:
    approval = media_request(requester, medium)
    approvals.decide_approval(actor=section_head, approval_id=approval.pk, approve=True, purpose=PURPOSE)
    output_url = reverse("web:media_output", args=[approval.pk])
    data = {"medium_id": medium, "description": "一覧", "record_count": "5", "file_sha256": DIGEST}
    client = client_of(requester)
    assert output_url not in client.get(reverse("web:approvals")).content.decode()
    refused = client.post(output_url, data, follow=True).content.decode()
    assert "二段階の承認がそろった" in refused
    assert not MediaUseCheck.objects.exists()

    approvals.decide_approval(actor=it_head, approval_id=approval.pk, approve=True, purpose=PURPOSE)
    assert output_url in client.get(reverse("web:approvals")).content.decode()
    assert output_url not in page(it_head)  # only the requester records the output
    assert client.post(output_url, data).status_code == 302
    assert ApprovalRequest.objects.get(pk=approval.pk).status == ApprovalRequest.Status.USED


def test_the_it_department_records_the_post_use_check_from_the_screen(
    requester: User, section_head: User, it_head: User, medium: str
) -> None:
    approval = media_request(requester, medium)
    approvals.decide_approval(actor=section_head, approval_id=approval.pk, approve=True, purpose=PURPOSE)
    approvals.decide_approval(actor=it_head, approval_id=approval.pk, approve=True, purpose=PURPOSE)
    output = approvals.record_media_output(
        actor=requester,
        approval_id=approval.pk,
        medium_id=medium,
        description="一覧",
        record_count=3,
        file_sha256=DIGEST,
        purpose=PURPOSE,
    )
    check_url = reverse("web:media_use_check", args=[output.pk])
    assert check_url not in page(requester)
    assert "情報主管課が確認します" in page(requester)
    assert check_url in page(it_head)

    response = client_of(it_head).post(check_url, {"erased": "on", "note": "消去ツールで確認"})
    assert response.status_code == 302
    check = MediaUseCheck.objects.get(output=output)
    assert (check.erased, check.checked_by_id, check.note) == (True, it_head.pk, "消去ツールで確認")
    body = page(requester)
    assert "確認済み（情報 課長" in body
    assert "消去確認済み" in body
    assert check_url not in page(it_head)
    entry = AuditEntry.objects.get(action=AuditAction.MEDIA_OUTPUT_CHECK, outcome="done")
    assert entry.actor_id == it_head.pk

    again = client_of(it_head).post(check_url, {"erased": "on"}, follow=True)
    assert "既に記録済み" in again.content.decode()


@pytest.mark.parametrize(
    "permission",
    [P.OUTPUT_BULK_APPROVE, P.OUTPUT_MEDIA_SECTION_APPROVE, P.OUTPUT_MEDIA_IT_APPROVE, P.MEDIA_REGISTER],
)
def test_every_decider_and_the_it_department_can_open_the_screen(
    make_staff: Callable[..., Any], permission: P
) -> None:
    assert_permission_triple(make_staff, "get", reverse("web:approvals"), permission)


def test_forms_are_offered_by_permission(make_staff: Callable[..., Any]) -> None:
    decider = make_staff([P.OUTPUT_MEDIA_SECTION_APPROVE]).get(reverse("web:approvals")).content.decode()
    assert reverse("web:approval_request") not in decider
    assert reverse("web:media_register") not in decider
    it = make_staff([P.MEDIA_REGISTER]).get(reverse("web:approvals")).content.decode()
    assert reverse("web:media_register") in it


def test_home_links_the_screen_for_a_decider(make_staff: Callable[..., Any]) -> None:
    assert (
        reverse("web:approvals")
        in make_staff([P.OUTPUT_MEDIA_IT_APPROVE]).get(reverse("web:home")).content.decode()
    )
    assert (
        reverse("web:approvals") not in make_staff([P.AUDIT_REVIEW]).get(reverse("web:home")).content.decode()
    )


def test_the_post_use_check_permission_triple(make_staff: Callable[..., Any], medium: str) -> None:
    from jumin.accounts.models import MediaOutputRecord, RegisteredMedium

    admin = make_user(superuser=True)

    def open_check() -> str:
        approval = ApprovalRequest.objects.create(
            kind="media_output",
            purpose=PURPOSE,
            scope="全件",
            max_count=1,
            medium=RegisteredMedium.objects.get(medium_id=medium),
            requested_by=admin,
            status=ApprovalRequest.Status.USED,
        )
        output = MediaOutputRecord.objects.create(
            approval=approval,
            medium=approval.medium,
            description="一覧",
            record_count=1,
            file_sha256=DIGEST,
            purpose=PURPOSE,
            actor=admin,
        )
        MediaUseCheck.objects.create(output=output)
        return reverse("web:media_use_check", args=[output.pk])

    assert_permission_triple(make_staff, "post", open_check, P.MEDIA_REGISTER, data={"erased": "on"})
