"""支援措置期間終了通知 (standard 3.4-d): to the 申出者 only, with the period and the extension window.

Content is read from the signed PDF with pdftotext; all names are synthetic.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.support_end_notices import print_support_end_notice, print_support_end_notices
from jumin.domain.errors import DomainError
from jumin.domain.periods import extension_window_opens
from jumin.domain.wareki import to_wareki
from jumin.registry.models_restrictions import SupportEndNoticePrint
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.services_restrictions import (
    SupportApplication,
    SupportEndReason,
    create_support_measure,
    end_support,
    extend_support,
)
from jumin.registry.workflows.move_out import record_move_out
from tests.certificates.conftest import CERT_PURPOSE
from tests.certificates.helpers import flat, pdf_pages
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import move_out

pytestmark = pytest.mark.django_db

PERPETRATOR = "青木太郎（配偶者）合成データ"


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk("officer", Permission.SUPPORT_MEASURE_MANAGE)


def measure_for(officer: User, family: DraftRecorded, *, end: date | None, start: date | None = None) -> int:
    """花子 asks for support with 三奈 as co-applicant; ``end`` None records a 仮支援措置."""
    wife, child = family.atena_numbers[1], family.atena_numbers[2]
    today = clock.today()
    return create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=SupportApplication(
            applicant=wife,
            co_applicants=[child],
            covered_services=["copies", "inspection"],
            received_on=today,
            provisional=end is None,
            period_start=start or (end - timedelta(days=300) if end else None),
            period_end=end,
            perpetrator=PERPETRATOR,
        ),
    )


def text_of(pdf: bytes) -> str:
    return flat("".join(pdf_pages(pdf)))


def test_the_notice_goes_to_the_applicant_with_the_period_and_the_extension_window(
    family: DraftRecorded, officer: User, certifier: Any
) -> None:
    end = clock.today() + timedelta(days=20)
    start = end - timedelta(days=300)
    measure_id = measure_for(officer, family, end=end, start=start)
    text = text_of(print_support_end_notice(actor=officer, purpose=CERT_PURPOSE, measure_id=measure_id))
    assert "支援措置期間終了通知" in text
    assert "青木花子様" in text
    assert "住民票の写し等の交付、住民基本台帳の閲覧" in text
    assert f"支援措置期間{to_wareki(start).display()}から{to_wareki(end).display()}まで" in text
    opens = to_wareki(extension_window_opens(end)).display()
    assert f"延長の申出ができる日{opens}から" in text
    assert f"延長の申出がない場合、支援措置は{to_wareki(end).display()}をもって終了します" in text
    assert flat(certifier.municipality_name) in text
    # Never the 加害者 nor the co-applicant.
    assert "青木太郎" not in text
    assert "配偶者" not in text
    assert "三奈" not in text
    printed = AuditEntry.objects.get(action="certificate:notice:print", subject_id=str(measure_id))
    assert (printed.subject_type, printed.outcome, printed.support_measure) == (
        "support_measure",
        "done",
        True,
    )
    assert not AuditEntry.objects.filter(reason__contains="青木太郎").exists()


def test_printing_needs_the_support_management_permission(
    family: DraftRecorded, officer: User, make_clerk: Callable[..., User], certifier: Any
) -> None:
    measure_id = measure_for(officer, family, end=clock.today() + timedelta(days=20))
    printer = make_clerk("printer", Permission.CERTIFICATE_NOTICE_PRINT, Permission.SUPPORT_MEASURE_VIEW)
    with pytest.raises(AccessRefused):
        print_support_end_notice(actor=printer, purpose=CERT_PURPOSE, measure_id=measure_id)
    refused = AuditEntry.objects.get(action="certificate:notice:print", subject_id=str(measure_id))
    assert (refused.outcome, refused.outcome_reason) == ("refused", "permission_missing")


def _refused(officer: User, measure_id: int) -> DomainError:
    with pytest.raises(DomainError) as error:
        print_support_end_notice(actor=officer, purpose=CERT_PURPOSE, measure_id=measure_id)
    entries = list(AuditEntry.objects.filter(action="certificate:notice:print", subject_id=str(measure_id)))
    assert [(e.outcome, e.outcome_reason) for e in entries] == [("refused", error.value.code)]
    return error.value


def test_an_ended_measure_gets_no_notice(family: DraftRecorded, officer: User, certifier: Any) -> None:
    measure_id = measure_for(officer, family, end=clock.today() + timedelta(days=20))
    end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.REQUEST)
    error = _refused(officer, measure_id)
    assert (error.field, error.code) == ("measure_id", "registry.no_support_end_notice")
    assert "既に終了" in error.reason


def test_a_period_that_has_run_out_gets_no_notice(
    family: DraftRecorded, officer: User, certifier: Any
) -> None:
    measure_id = measure_for(officer, family, end=clock.today() - timedelta(days=1))
    assert "既に終了" in _refused(officer, measure_id).reason


def test_a_provisional_measure_gets_no_notice(family: DraftRecorded, officer: User, certifier: Any) -> None:
    measure_id = measure_for(officer, family, end=None)
    assert "仮支援措置" in _refused(officer, measure_id).reason


def test_no_notice_once_the_applicant_has_moved_out(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User, certifier: Any
) -> None:
    measure_id = measure_for(officer, family, end=clock.today() + timedelta(days=20))
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([family.atena_numbers[1]]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert "住民でなくなって" in _refused(officer, measure_id).reason


def test_the_notice_screen_and_api_permission_triples(
    family: DraftRecorded, officer: User, make_staff: Callable[..., Any], certifier: Any
) -> None:
    measure_id = measure_for(officer, family, end=clock.today() + timedelta(days=20))
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:registry_notice"),
        Permission.SUPPORT_MEASURE_MANAGE,
        data={"purpose": CERT_PURPOSE, "notice": "support_end", "measure_id": str(measure_id)},
    )
    body = json.dumps({"purpose": CERT_PURPOSE, "measure_id": measure_id})
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/notices/support-end",
        Permission.SUPPORT_MEASURE_MANAGE,
        data=body,
        content_type="application/json",
        success_status=(200,),
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/notices/support-end/batch",
        Permission.SUPPORT_MEASURE_MANAGE,
        data=json.dumps({"purpose": CERT_PURPOSE, "measure_ids": [measure_id]}),
        content_type="application/json",
        success_status=(200,),
    )
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:support_end_notices"),
        Permission.SUPPORT_MEASURE_MANAGE,
        data={"purpose": CERT_PURPOSE, "measure_ids": str(measure_id)},
    )
    holder = make_staff(permissions=[Permission.SUPPORT_MEASURE_MANAGE])
    response = holder.post(
        "/api/certificates/notices/support-end", data=body, content_type="application/json"
    )
    assert "支援措置期間終了通知" in text_of(base64.b64decode(response.json()["pdf_base64"]))
    end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.REQUEST)
    screen = holder.post(
        reverse("certificates:registry_notice"),
        data={"purpose": CERT_PURPOSE, "notice": "support_end", "measure_id": str(measure_id)},
    )
    assert "既に終了しています" in screen.content.decode()


def test_the_print_button_of_the_list_prints_the_notice(
    family: DraftRecorded, officer: User, certifier: Any
) -> None:
    measure_id = measure_for(officer, family, end=clock.today() + timedelta(days=20))
    client = logged_in(officer)
    page = client.post(reverse("registry:support_ending"), data={"purpose": PURPOSE}).content.decode()
    button = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.DOTALL)
    assert button is not None
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', button.group(2)))
    assert fields["measure_id"] == str(measure_id)
    assert "未印刷" in page
    response = client.post(button.group(1), data=fields)
    assert response["Content-Type"] == "application/pdf"
    assert "青木花子様" in text_of(response.content)
    # The list now shows the notice of this period as printed, with when (3.4-d follow-up).
    printed = client.post(reverse("registry:support_ending"), data={"purpose": PURPOSE}).content.decode()
    assert "未印刷" not in printed
    printed_at = timezone.localtime(SupportEndNoticePrint.objects.get().printed_at)
    assert f"印刷済み {printed_at:%Y-%m-%d %H:%M}" in printed
    # The mark belongs to the period: once extended, the new period's notice is not printed yet.
    extended = extend_support(actor=officer, purpose=PURPOSE, measure_id=measure_id)
    window = {"window_start": extended.end.isoformat(), "window_end": extended.end.isoformat()}
    later = client.post(reverse("registry:support_ending"), data={"purpose": PURPOSE, **window})
    assert str(measure_id) in later.content.decode()
    assert "未印刷" in later.content.decode()


def test_print_all_gives_one_pdf_with_each_applicants_notice_or_nothing(
    family: DraftRecorded, officer: User, certifier: Any
) -> None:
    end = clock.today() + timedelta(days=20)
    wife_measure = measure_for(officer, family, end=end)
    child_measure = create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=SupportApplication(
            applicant=family.atena_numbers[2],
            covered_services=["inspection"],
            received_on=clock.today(),
            period_start=end - timedelta(days=300),
            period_end=end,
            perpetrator=PERPETRATOR,
        ),
    )
    client = logged_in(officer)
    page = client.post(reverse("registry:support_ending"), data={"purpose": PURPOSE}).content.decode()
    batch = re.search(r'name="measure_ids" value="([^"]*)"', page)
    assert batch is not None
    assert batch.group(1).split() == [str(wife_measure), str(child_measure)]
    response = client.post(
        reverse("certificates:support_end_notices"), data={"purpose": PURPOSE, "measure_ids": batch.group(1)}
    )
    assert response["Content-Type"] == "application/pdf"
    pages = [flat(page) for page in pdf_pages(response.content)]
    assert len(pages) == 2
    assert "青木花子様" in pages[0]
    assert "三奈" not in pages[0]
    assert "青木三奈様" in pages[1]
    assert "花子" not in pages[1]
    assert not any("青木太郎" in page for page in pages)
    printed = AuditEntry.objects.filter(action="certificate:notice:print", outcome="done")
    assert sorted(printed.values_list("subject_id", flat=True)) == sorted(
        [str(wife_measure), str(child_measure)]
    )

    end_support(actor=officer, purpose=PURPOSE, measure_id=child_measure, reason=SupportEndReason.REQUEST)
    with pytest.raises(DomainError) as error:
        print_support_end_notices(
            actor=officer, purpose=CERT_PURPOSE, measure_ids=[wife_measure, child_measure]
        )
    assert error.value.reason.startswith(f"支援措置 {child_measure}：")
    assert printed.count() == 2  # nothing more was printed
    assert sorted(SupportEndNoticePrint.objects.values_list("period__measure_id", flat=True)) == sorted(
        [wife_measure, child_measure]
    )
    refused = AuditEntry.objects.get(action="certificate:notice:print", outcome="refused")
    assert refused.subject_id == str(child_measure)
