"""The permission triple for every endpoint of the accounts screens (issue 3 item 9; C-7, C-8)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jumin.accounts import approvals, clock
from jumin.accounts.models import ApprovalRequest, GrantApplication, OrganisationUnit, StaffPerson
from jumin.accounts.permissions import Permission as P  # noqa: N817 (keeps the endpoint table readable)
from tests.helpers.accounts import grant_permissions, make_person, make_user
from tests.helpers.permission_matrix import assert_permission_triple

pytestmark = pytest.mark.django_db
_n = iter(range(1, 10_000))


def locked_user_url() -> str:
    user = make_user()
    user.locked_at = clock.now()
    user.save()
    return reverse("web:staff_unlock", args=[user.pk])


def grant_application_url() -> str:
    application = GrantApplication.objects.create(
        grantee=make_user(),
        duty="certificate",
        starts_on=clock.today(),
        ends_on=clock.fiscal_year_end(clock.today()),
        requested_by=make_user(),
    )
    return reverse("web:grant_decide", args=[application.pk])


def _requester() -> Any:
    user = make_user()
    grant_permissions(user, [P.OUTPUT_BULK_REQUEST])
    return user


def approval_decide_url() -> str:
    request = approvals.request_approval(
        actor=_requester(), kind="bulk_output", purpose="統計", scope="全件", max_count=500
    )
    return reverse("web:approval_decide", args=[request.pk])


def new_staff() -> dict[str, str]:
    n = next(_n)
    return {"staff_number": f"N{n:05d}", "name": "新人", "username": f"new{n}", "kind": "staff"}


def hr_event() -> dict[str, str]:
    return {
        "staff_number": make_person().staff_number,
        "kind": "transfer",
        "effective_on": clock.today().isoformat(),
    }


def training() -> dict[str, object]:
    today = clock.today()
    return {
        "staff_number": make_person(trained=False).staff_number,
        "kind": "security",
        "fiscal_year": clock.fiscal_year(today),
        "completed_on": today.isoformat(),
    }


def contract() -> dict[str, str]:
    today = clock.today()
    return {
        "number": f"K-{next(_n)}",
        "vendor": "委託株式会社",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "workers": make_person(kind=StaffPerson.Kind.CONTRACTOR).staff_number,
    }


def grant_application() -> dict[str, str]:
    today = clock.today()
    return {
        "grantee_id": str(make_user().pk),
        "duty": "certificate",
        "starts_on": today.isoformat(),
        "ends_on": clock.fiscal_year_end(today).isoformat(),
    }


def new_unit() -> str:
    return OrganisationUnit.objects.create(code=f"U{next(_n)}", name="市民課").code


def unit_member() -> dict[str, str]:
    return {
        "unit_code": new_unit(),
        "staff_number": make_person().staff_number,
        "starts_on": clock.today().isoformat(),
        "action": "add",
    }


def unit_grant_application() -> dict[str, str]:
    today = clock.today()
    return {
        "unit_code": new_unit(),
        "duty": "certificate",
        "starts_on": today.isoformat(),
        "ends_on": clock.fiscal_year_end(today).isoformat(),
    }


def staff_number_of_an_account() -> dict[str, str]:
    person = make_user().person
    assert person is not None
    return {"staff_number": person.staff_number}


GRANT_CSV = "職員番号,部署コード,事務,開始日,終了日,理由\n"


def grant_csv_upload() -> dict[str, object]:
    return {"file": SimpleUploadedFile("grants.csv", GRANT_CSV.encode()), "action": "preview"}


def staff_csv_upload() -> dict[str, object]:
    header = "職員番号,氏名,職員ID,区分,雇用通知書番号,雇用期間満了日,部署コード,所属開始日\n"
    return {"file": SimpleUploadedFile("staff.csv", header.encode()), "action": "preview"}


ENDPOINTS: list[tuple[str, str, Callable[[], str] | str, P, Any]] = [
    ("units", "get", "web:units", P.HR_EVENT_RECORD, None),
    (
        "unit-register",
        "post",
        "web:unit_register",
        P.HR_EVENT_RECORD,
        lambda: {"code": f"R{next(_n)}", "name": "税務課"},
    ),
    ("unit-member", "post", "web:unit_member", P.HR_EVENT_RECORD, unit_member),
    ("unit-grant-apply", "post", "web:unit_grant_apply", P.STAFF_GRANT_REQUEST, unit_grant_application),
    ("effective-rights", "post", "web:effective_rights", P.STAFF_GRANT_REPORT, staff_number_of_an_account),
    ("grant-import-preview", "post", "web:grant_import", P.STAFF_GRANT_REQUEST, grant_csv_upload),
    ("grant-export", "get", "web:grant_export", P.STAFF_GRANT_REPORT, None),
    ("staff-import-preview", "post", "web:staff_import", P.STAFF_MANAGE, staff_csv_upload),
    ("staff-export", "get", "web:staff_export", P.STAFF_MANAGE, None),
    ("staff-list", "get", "web:staff", P.STAFF_MANAGE, None),
    ("staff-create", "post", "web:staff_create", P.STAFF_MANAGE, new_staff),
    ("staff-unlock", "post", locked_user_url, P.STAFF_MANAGE, None),
    (
        "staff-password-reset",
        "post",
        lambda: reverse("web:staff_password_reset", args=[make_user().pk]),
        P.STAFF_MANAGE,
        None,
    ),
    ("terminals", "get", "web:terminals", P.TERMINAL_MANAGE, None),
    (
        "terminal-register",
        "post",
        "web:terminal_register",
        P.TERMINAL_MANAGE,
        lambda: {"terminal_id": f"T-{next(_n)}", "name": "窓口"},
    ),
    ("input-places", "get", "web:input_places", P.TERMINAL_MANAGE, None),
    (
        "input-place-register",
        "post",
        "web:input_place_register",
        P.TERMINAL_MANAGE,
        lambda: {"code": f"P{next(_n)}", "name": "北支所", "kind": "branch", "valid_from": "2026-04-01"},
    ),
    ("grants", "get", "web:grants", P.STAFF_GRANT_REPORT, None),
    ("grant-reconciliation", "get", "web:grant_reconciliation", P.STAFF_GRANT_REPORT, None),
    ("grant-apply-form", "get", "web:grant_apply", P.STAFF_GRANT_REQUEST, None),
    ("grant-apply", "post", "web:grant_apply", P.STAFF_GRANT_REQUEST, grant_application),
    ("grant-decide", "post", grant_application_url, P.STAFF_GRANT_APPROVE, {"decision": "reject"}),
    (
        "grant-reapply",
        "post",
        "web:grant_reapply",
        P.STAFF_GRANT_REQUEST,
        lambda: {
            "starts_on": clock.today().isoformat(),
            "ends_on": clock.fiscal_year_end(clock.today()).isoformat(),
        },
    ),
    ("personnel", "get", "web:personnel", P.HR_EVENT_RECORD, None),
    ("hr-event", "post", "web:hr_event_record", P.HR_EVENT_RECORD, hr_event),
    ("training", "post", "web:training_record", P.STAFF_TRAINING_RECORD, training),
    ("contracts", "get", "web:contracts", P.CONTRACT_MANAGE, None),
    ("contract-register", "post", "web:contract_register", P.CONTRACT_MANAGE, contract),
    ("approvals", "get", "web:approvals", P.OUTPUT_BULK_REQUEST, None),
    (
        "approval-request",
        "post",
        "web:approval_request",
        P.OUTPUT_BULK_REQUEST,
        {"kind": "bulk_output", "purpose": "統計", "scope": "全件", "max_count": "200"},
    ),
    ("approval-decide", "post", approval_decide_url, P.OUTPUT_BULK_APPROVE, {"decision": "approve"}),
    (
        "media-register",
        "post",
        "web:media_register",
        P.MEDIA_REGISTER,
        lambda: {"medium_id": f"USB-{next(_n)}", "label": "USB", "encrypted": "on"},
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "permission", "data"), [e[1:] for e in ENDPOINTS], ids=[e[0] for e in ENDPOINTS]
)
def test_permission_triple(
    make_staff: Callable[..., Any], method: str, url: Any, permission: P, data: Any
) -> None:
    target = url if callable(url) else reverse(url)
    assert_permission_triple(make_staff, method, target, permission, data=data)


def test_permission_triple_of_the_hr_event_api(make_staff: Callable[..., Any]) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("web:api_hr_event"),
        P.HR_EVENT_RECORD,
        data=lambda: json.dumps(hr_event()),
        content_type="application/json",
        success_status=(200,),
    )


def test_permission_triple_of_roster_removal(make_staff: Callable[..., Any]) -> None:
    def removal() -> dict[str, str]:
        from jumin.accounts.models import Contract, RosterEntry

        person = make_person(kind=StaffPerson.Kind.CONTRACTOR)
        c = Contract.objects.create(
            number=f"R-{next(_n)}", vendor="v", starts_on=clock.today(), ends_on=clock.today()
        )
        RosterEntry.objects.create(contract=c, person=person, added_on=clock.today())
        return {"number": c.number, "staff_number": person.staff_number}

    assert_permission_triple(
        make_staff, "post", reverse("web:roster_remove"), P.CONTRACT_MANAGE, data=removal
    )


def test_permission_triple_of_media_output(make_staff: Callable[..., Any]) -> None:
    admin = make_user(superuser=True)
    medium = approvals.register_medium(
        actor=admin, medium_id="USB-M", label="USB", encrypted=True, purpose="媒体"
    )
    holder_box: dict[str, Any] = {}

    def factory(**kwargs: Any) -> Any:
        client = make_staff(**kwargs)
        holder_box["user"] = client.user
        return client

    def url() -> str:
        # An approved request by the acting user (or by someone else for the anonymous call).
        requester = holder_box.get("user") or make_user()
        approval = ApprovalRequest.objects.create(
            kind="media_output",
            purpose="統計",
            scope="全件",
            max_count=10,
            medium=medium,
            requested_by=requester,
            status=ApprovalRequest.Status.APPROVED,
            decided_by=admin,
        )
        return reverse("web:media_output", args=[approval.pk])

    data = {
        "medium_id": "USB-M",
        "description": "一覧",
        "record_count": "10",
        "file_sha256": hashlib.sha256(b"x").hexdigest(),
    }
    # The URL is built after the client exists, so the approval belongs to the acting user.
    anonymous = factory(anonymous=True)
    assert anonymous.post(url(), data).status_code == 302
    for permissions, status, outcome in (([], 403, "refused"), ([P.OUTPUT_BULK_REQUEST], 302, "done")):
        from jumin.audit.models import AuditEntry

        client = factory(permissions=permissions)
        target = url()
        before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        assert client.post(target, data).status_code == status
        entries = list(AuditEntry.objects.filter(seq__gt=before))
        assert [e.outcome for e in entries] == [outcome]


@pytest.mark.parametrize(
    ("name", "method", "permission", "data", "content_type"),
    [
        ("web:api_grant_export", "get", P.STAFF_GRANT_REPORT, None, None),
        (
            "web:api_effective_rights",
            "post",
            P.STAFF_GRANT_REPORT,
            lambda: json.dumps(staff_number_of_an_account()),
            "application/json",
        ),
    ],
)
def test_permission_triple_of_the_rights_api(
    make_staff: Callable[..., Any], name: str, method: str, permission: P, data: Any, content_type: str | None
) -> None:
    assert_permission_triple(
        make_staff,
        method,
        reverse(name),
        permission,
        data=data,
        content_type=content_type,
        success_status=(200,),
    )


def test_permission_triple_of_the_grant_import_api_dry_run(make_staff: Callable[..., Any]) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("web:api_grant_import") + "?dry_run=1",
        P.STAFF_GRANT_REQUEST,
        data=GRANT_CSV,
        content_type="text/csv",
        success_status=(200,),
    )
