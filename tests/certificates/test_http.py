"""Clerk screens and the JSON API: the permission triple for every endpoint, no personal data in URLs."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import CopyVoid, Issuance
from jumin.certificates.services import issue_certificate
from jumin.registry.services import DraftRecorded
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import flat, pdf_pages
from tests.helpers.permission_matrix import assert_permission_triple

pytestmark = pytest.mark.django_db


def form_data(family: DraftRecorded, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "purpose": CERT_PURPOSE,
        "atena_numbers": family.atena_numbers[0],
        "kind": "copy",
        "layout": "household",
        "whole_household": "1",
        "show_head_and_relationship": "on",
        "show_foreign_items": "on",
        "copies": "1",
        "requester_class": "self",
        "identity_check": "mynumber_card",
        "step": "issue",
    }
    data.update(extra)
    return data


def api_body(family: DraftRecorded, **options: Any) -> dict[str, Any]:
    return {
        "purpose": CERT_PURPOSE,
        "request": {"requester_class": "self", "identity_check": "drivers_license"},
        "options": {"atena_numbers": [family.atena_numbers[0]], **options},
    }


def test_the_issue_screen_downloads_a_signed_pdf_under_an_id_only_name(
    family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:issue"),
        Permission.CERTIFICATE_ISSUE,
        data=form_data(family),
    )
    holder = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    response = holder.post(reverse("certificates:issue"), data=form_data(family))
    assert response["Content-Type"] == "application/pdf"
    issuance = Issuance.objects.order_by("-pk").first()
    assert issuance is not None
    assert response["Content-Disposition"] == f'attachment; filename="certificate-{issuance.pk}.pdf"'
    assert "青木太郎" in flat(pdf_pages(response.content)[0])
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]


def test_the_confirmation_step_shows_the_people_and_records_one_listing(
    family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:issue"),
        Permission.CERTIFICATE_ISSUE,
        data=form_data(family, step="confirm"),
    )
    holder = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    page = holder.post(reverse("certificates:issue"), data=form_data(family, step="confirm")).content.decode()
    assert "交付内容の確認" in page
    assert "3名" in page
    assert not Issuance.objects.exists()


def test_a_refused_request_shows_the_rules_message(
    family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    holder = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    page = holder.post(
        reverse("certificates:issue"),
        data=form_data(family, requester_class="agent", requester_name="代理 一郎"),
    ).content.decode()
    assert "委任状の確認が必要です" in page
    assert AuditEntry.objects.filter(outcome_reason="certificates.power_of_attorney_required").count() == 1


def test_the_verify_screen_takes_an_upload(
    family: DraftRecorded, make_staff: Callable[..., Any], issuer: Any, certifier: Any
) -> None:
    pdf = issue_certificate(
        actor=issuer,
        purpose=CERT_PURPOSE,
        request=own_request(),
        options=options_for(family.atena_numbers[:1]),
    ).pdf

    def data() -> dict[str, Any]:
        return {
            "purpose": CERT_PURPOSE,
            "file": SimpleUploadedFile("c.pdf", pdf, content_type="application/pdf"),
        }

    assert_permission_triple(
        make_staff, "post", reverse("certificates:verify"), Permission.CERTIFICATE_VERIFY, data=data
    )
    holder = make_staff(permissions=[Permission.CERTIFICATE_VERIFY])
    page = holder.post(reverse("certificates:verify"), data=data()).content.decode()
    assert "有効です" in page
    broken = holder.post(
        reverse("certificates:verify"),
        data={"purpose": CERT_PURPOSE, "file": SimpleUploadedFile("c.pdf", pdf + b"%x\n")},
    ).content.decode()
    assert "無効です" in broken


def test_the_void_screen_records_a_destroyed_copy(
    family: DraftRecorded, make_staff: Callable[..., Any], issuer: Any, certifier: Any
) -> None:
    def number() -> str:
        issued = issue_certificate(
            actor=issuer,
            purpose=CERT_PURPOSE,
            request=own_request(),
            options=options_for(family.atena_numbers[:1]),
        )
        return issued.copy_numbers[0]

    def data() -> dict[str, str]:
        return {"purpose": CERT_PURPOSE, "copy_number": number(), "reason": "印字不良"}

    assert_permission_triple(
        make_staff, "post", reverse("certificates:void"), Permission.CERTIFICATE_VOID, data=data
    )
    assert CopyVoid.objects.count() == 1


def test_the_api_issues_previews_verifies_and_voids(
    family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    body = json.dumps(api_body(family))
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/issue",
        Permission.CERTIFICATE_ISSUE,
        data=body,
        content_type="application/json",
        success_status=(200,),
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/preview",
        Permission.CERTIFICATE_ISSUE,
        data=body,
        content_type="application/json",
        success_status=(200,),
    )
    holder = make_staff(
        permissions=[Permission.CERTIFICATE_ISSUE, Permission.CERTIFICATE_VERIFY, Permission.CERTIFICATE_VOID]
    )
    issued = holder.post("/api/certificates/issue", data=body, content_type="application/json").json()
    pdf = base64.b64decode(issued["pdf_base64"])
    verdict = holder.post(
        "/api/certificates/verify", data={"purpose": CERT_PURPOSE, "file": SimpleUploadedFile("c.pdf", pdf)}
    ).json()
    assert verdict["valid"]
    assert verdict["copy_numbers"] == issued["copy_numbers"]
    void = holder.post(
        "/api/certificates/void",
        data=json.dumps(
            {"purpose": CERT_PURPOSE, "copy_number": issued["copy_numbers"][0], "reason": "誤交付"}
        ),
        content_type="application/json",
    )
    assert void.status_code == 200
    bad = holder.post(
        "/api/certificates/issue",
        data=json.dumps(api_body(family, show_individual_number=True)),
        content_type="application/json",
    )
    assert bad.status_code in (400, 403)


def test_api_verify_permission_triple(
    family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    def data() -> dict[str, Any]:
        return {"purpose": CERT_PURPOSE, "file": SimpleUploadedFile("c.pdf", b"%PDF-1.7 nothing")}

    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/verify",
        Permission.CERTIFICATE_VERIFY,
        data=data,
        success_status=(200,),
    )


def test_screens_need_a_login(client: Any) -> None:
    for name in ("certificates:menu", "certificates:issue", "certificates:verify", "certificates:void"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))
