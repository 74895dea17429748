"""転入通知未着照会書 (standard 4.1.3.1.4-a): printed from the 未着者一覧 to the 転入先 市区町村長.
Content is read from the signed PDF with pdftotext."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.move_in_notice_inquiry import print_move_in_notice_inquiry
from jumin.domain.errors import DomainError
from jumin.domain.wareki import to_wareki
from jumin.registry.services import DraftRecorded
from tests.certificates.conftest import CERT_PURPOSE
from tests.certificates.helpers import flat, pdf_pages
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_in_notice import moved_out, notice, receive
from tests.registry.test_move_out import DESTINATION, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("inquirer", Permission.CERTIFICATE_NOTICE_PRINT, Permission.RESIDENT_VIEW)


def text_of(pdf: bytes) -> str:
    return flat("".join(pdf_pages(pdf)))


def test_the_inquiry_lists_each_person_and_is_audited_naming_them(
    family: DraftRecorded, clerk: User, reviewer: User, printer_clerk: User, certifier: Any
) -> None:
    _head, wife, child = family.atena_numbers
    planned = today() - timedelta(days=20)
    moved_out(clerk, reviewer, [wife, child], planned)
    before = AuditEntry.objects.count()
    text = text_of(
        print_move_in_notice_inquiry(
            actor=printer_clerk,
            purpose=CERT_PURPOSE,
            atena_numbers=[wife, child],
            destination_municipality="福岡市",
        )
    )
    assert "転入通知未着照会書" in text
    assert "福岡市長様" in text
    assert "転入通知がまだ届いていません" in text
    for name in ("青木花子", "青木三奈"):
        assert name in text
    assert flat(to_wareki(planned).display()) in text
    assert DESTINATION in text
    assert "照会する人数2人" in text
    entry = AuditEntry.objects.filter(seq__gt=before, action="certificate:notice:print").get()
    assert entry.reason == "move_in_notice_inquiry"
    assert set(entry.result_subjects.values_list("subject_id", flat=True)) == {wife, child}


def test_a_person_whose_notice_arrived_or_no_municipality_is_refused_and_nothing_is_printed(
    family: DraftRecorded, clerk: User, reviewer: User, printer_clerk: User, certifier: Any
) -> None:
    head, wife, child = family.atena_numbers
    moved_out(clerk, reviewer, [wife, child], today() - timedelta(days=20))
    receive(clerk, reviewer, notice([child], move_in_date=today() - timedelta(days=19)))
    before = AuditEntry.objects.filter(action="certificate:notice:print", outcome="done").count()
    for numbers, municipality, field, code in (
        ([wife, child], "福岡市", "atena_numbers", "registry.not_missing_notice"),  # child's notice came
        ([head], "福岡市", "atena_numbers", "registry.not_missing_notice"),  # never moved out
        ([], "福岡市", "atena_numbers", "registry.no_inquiry_person"),
        ([wife], "  ", "destination_municipality", "certificates.no_destination_municipality"),
    ):
        with pytest.raises(DomainError) as refused:
            print_move_in_notice_inquiry(
                actor=printer_clerk,
                purpose=CERT_PURPOSE,
                atena_numbers=numbers,
                destination_municipality=municipality,
            )
        assert (refused.value.field, refused.value.code) == (field, code)
        assert wife not in refused.value.reason  # no personal data in the message
    assert AuditEntry.objects.filter(action="certificate:notice:print", outcome="done").count() == before


def test_the_screen_from_the_missing_list_and_the_api(
    family: DraftRecorded,
    clerk: User,
    reviewer: User,
    printer_clerk: User,
    certifier: Any,
    make_staff: Callable[..., Any],
) -> None:
    wife = family.atena_numbers[1]
    moved_out(clerk, reviewer, [wife], today() - timedelta(days=20))
    listed = logged_in(clerk).post("/registry/move-in-notice/missing/", {"purpose": PURPOSE})
    assert "転入通知未着照会書を作成" in listed.content.decode()
    client = logged_in(printer_clerk)
    screen = client.post(
        "/certificates/move-in-notice-inquiry/",
        {"purpose": CERT_PURPOSE, "atena_numbers": [wife], "destination_municipality": "福岡市"},
    )
    assert screen["Content-Type"] == "application/pdf"
    assert "青木花子" in text_of(screen.content)
    api = client.post(
        "/api/certificates/notices/move-in-notice-inquiry",
        {"purpose": CERT_PURPOSE, "atena_numbers": [wife], "destination_municipality": "福岡市長"},
        content_type="application/json",
    )
    assert api.status_code == 200
    assert "福岡市長様" in text_of(base64.b64decode(api.json()["pdf_base64"]))
    without = make_staff(permissions=[Permission.RESIDENT_VIEW])
    denied = without.post(
        "/api/certificates/notices/move-in-notice-inquiry",
        {"purpose": CERT_PURPOSE, "atena_numbers": [wife], "destination_municipality": "福岡市"},
        content_type="application/json",
    )
    assert denied.status_code == 403
