"""The accounts registers are append-only in the database itself (C-12, C-15, C-27, C-28).

A raw SQL UPDATE or DELETE on the grant register (権限管理簿), the personnel events, the media
output log and the approval decisions fails on SQLite and PostgreSQL alike (the suite runs on both),
as the audit log's does.
"""

from __future__ import annotations

import hashlib

import pytest
from django.db import DatabaseError, connection, transaction

from jumin.accounts import approvals, clock, grants
from jumin.accounts.models import (
    ApprovalDecision,
    GrantRegisterEntry,
    HrEvent,
    MediaOutputRecord,
    User,
)
from jumin.accounts.permissions import Permission
from tests.helpers.accounts import grant_permissions, make_user

pytestmark = pytest.mark.django_db
PURPOSE = "test"


def raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def assert_refused(sql: str, params: list[object]) -> None:
    """The statement fails and, its savepoint rolled back, changes nothing."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql, params)


@pytest.fixture
def register_row() -> GrantRegisterEntry:
    clerk = make_user()
    grant_permissions(clerk, [Permission.RESIDENT_VIEW], duty="test")
    return GrantRegisterEntry.objects.get(grant__user=clerk)


def test_the_grant_register_refuses_raw_update_and_delete(register_row: GrantRegisterEntry) -> None:
    assert_refused(
        "UPDATE accounts_grantregisterentry SET reason = %s WHERE id = %s", ["改ざん", register_row.pk]
    )
    assert_refused("DELETE FROM accounts_grantregisterentry WHERE id = %s", [register_row.pk])
    assert_refused("DELETE FROM accounts_grantregisterentry", [])
    register_row.refresh_from_db()
    assert register_row.reason == "test"
    assert GrantRegisterEntry.objects.count() == 1


def test_a_revocation_is_a_new_register_row_next_to_the_grant(register_row: GrantRegisterEntry) -> None:
    admin = make_user(superuser=True)
    person = register_row.grant.user.person
    assert person is not None
    grants.record_hr_event(
        actor=admin,
        staff_number=person.staff_number,
        kind="transfer",
        effective_on=clock.today(),
        purpose=PURPOSE,
    )
    kinds = list(GrantRegisterEntry.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["granted", "revoked"]
    event = HrEvent.objects.get()
    assert_refused("UPDATE accounts_hrevent SET kind = %s WHERE id = %s", ["return", event.pk])
    assert_refused("DELETE FROM accounts_hrevent WHERE id = %s", [event.pk])


def test_media_output_records_and_approval_decisions_refuse_update_and_delete() -> None:
    admin = make_user(superuser=True)
    approvals.register_medium(actor=admin, medium_id="USB-R", label="USB", encrypted=True, purpose=PURPOSE)
    requester, head, it_head = (make_user() for _ in range(3))
    grant_permissions(requester, [Permission.OUTPUT_BULK_REQUEST], duty="test")
    grant_permissions(head, [Permission.OUTPUT_MEDIA_SECTION_APPROVE], duty="test")
    grant_permissions(it_head, [Permission.OUTPUT_MEDIA_IT_APPROVE], duty="test")
    request = approvals.request_approval(
        actor=requester, kind="media_output", purpose=PURPOSE, scope="全件", max_count=2, medium_id="USB-R"
    )
    for approver in (head, it_head):
        approvals.decide_approval(actor=approver, approval_id=request.pk, approve=True, purpose=PURPOSE)
    output = approvals.record_media_output(
        actor=requester,
        approval_id=request.pk,
        medium_id="USB-R",
        description="一覧",
        record_count=2,
        file_sha256=hashlib.sha256(b"x").hexdigest(),
        purpose=PURPOSE,
    )
    assert_refused("UPDATE accounts_mediaoutputrecord SET record_count = %s WHERE id = %s", [1, output.pk])
    assert_refused("DELETE FROM accounts_mediaoutputrecord WHERE id = %s", [output.pk])
    decision = ApprovalDecision.objects.filter(approval=request).first()
    assert decision is not None
    assert_refused("UPDATE accounts_approvaldecision SET approved = %s WHERE id = %s", [False, decision.pk])
    assert_refused("DELETE FROM accounts_approvaldecision WHERE approval_id = %s", [request.pk])
    assert MediaOutputRecord.objects.get().record_count == 2
    assert ApprovalDecision.objects.filter(approval=request, approved=True).count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_postgresql_refuses_truncate_of_the_grant_register(register_row: GrantRegisterEntry) -> None:
    raw("SET CONSTRAINTS ALL IMMEDIATE", [])  # check the fixture's deferred foreign keys now
    assert_refused("TRUNCATE accounts_grantregisterentry", [])
    assert GrantRegisterEntry.objects.filter(pk=register_row.pk).exists()


def test_the_model_refuses_changes_before_the_database_is_asked(register_row: GrantRegisterEntry) -> None:
    register_row.reason = "x"
    with pytest.raises(PermissionError):
        register_row.save()
    assert User.objects.exists()
