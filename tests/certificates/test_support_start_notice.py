"""支援措置開始通知 (standard 3.4-i, optional): to the 申出者 only, once support has started.

Content is read from the signed PDF with pdftotext; all names are synthetic. The measure factory is the
期間終了通知's (花子 applies with 三奈 as co-applicant against a synthetic 加害者).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.support_start_notices import print_support_start_notice
from jumin.domain.errors import DomainError
from jumin.domain.periods import extension_window_opens
from jumin.domain.wareki import to_wareki
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.services_restrictions import SupportEndReason, end_support, extend_support, start_support
from jumin.registry.workflows.move_out import record_move_out
from tests.certificates.conftest import CERT_PURPOSE
from tests.certificates.test_support_end_notice import measure_for, officer, text_of
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE
from tests.registry.test_move_out import move_out

pytestmark = pytest.mark.django_db

__all__ = ["officer"]  # the fixture, shared with the 期間終了通知's tests


def wareki(day: Any) -> str:
    return to_wareki(day).display()


def test_the_notice_tells_the_applicant_the_services_and_the_first_period(
    family: DraftRecorded, officer: User, certifier: Any
) -> None:
    end = clock.today() + timedelta(days=20)  # inside the extension window
    start = end - timedelta(days=364)
    measure_id = measure_for(officer, family, start=start, end=end)
    extend_support(actor=officer, purpose=PURPOSE, measure_id=measure_id)  # a later period: still the first
    text = text_of(print_support_start_notice(actor=officer, purpose=CERT_PURPOSE, measure_id=measure_id))
    assert "支援措置開始通知" in text
    assert "青木花子様" in text
    assert "支援措置を開始しましたので通知します" in text
    assert "住民票の写し等の交付、住民基本台帳の閲覧" in text
    assert f"支援措置期間{wareki(start)}から{wareki(end)}まで" in text
    assert f"延長の申出ができる日{wareki(extension_window_opens(end))}から" in text
    assert "併せて支援を求める方1名" in text
    # Never the 加害者 nor the co-applicant's name.
    assert "青木太郎" not in text
    assert "配偶者" not in text
    assert "三奈" not in text
    printed = AuditEntry.objects.get(action="certificate:notice:print", subject_id=str(measure_id))
    assert (printed.subject_type, printed.reason, printed.outcome, printed.support_measure) == (
        "support_measure",
        "support_start_notice",
        "done",
        True,
    )


def test_a_provisional_measure_becomes_printable_when_support_starts(
    family: DraftRecorded, officer: User, certifier: Any
) -> None:
    measure_id = measure_for(officer, family, end=None)
    with pytest.raises(DomainError) as refused:
        print_support_start_notice(actor=officer, purpose=CERT_PURPOSE, measure_id=measure_id)
    assert (refused.value.field, refused.value.code) == ("measure_id", "registry.no_support_start_notice")
    assert "仮支援措置" in refused.value.reason
    entry = AuditEntry.objects.get(action="certificate:notice:print", subject_id=str(measure_id))
    assert (entry.outcome, entry.outcome_reason, entry.reason) == (
        "refused",
        "registry.no_support_start_notice",
        "support_start_notice",
    )

    today = clock.today()
    start_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, start=today, end=None)
    text = text_of(print_support_start_notice(actor=officer, purpose=CERT_PURPOSE, measure_id=measure_id))
    assert f"支援措置期間{wareki(today)}から" in text


@pytest.mark.parametrize("case", ["ended", "first_period_over", "moved_out"])
def test_no_notice_for_an_ended_measure_a_past_start_or_an_applicant_gone(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User, certifier: Any, case: str
) -> None:
    today = clock.today()
    if case == "first_period_over":
        measure_id = measure_for(
            officer, family, start=today - timedelta(days=400), end=today - timedelta(days=1)
        )
    else:
        measure_id = measure_for(officer, family, end=today + timedelta(days=200))
    if case == "ended":
        end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.REQUEST)
    if case == "moved_out":
        draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([family.atena_numbers[1]]))
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    with pytest.raises(DomainError) as refused:
        print_support_start_notice(actor=officer, purpose=CERT_PURPOSE, measure_id=measure_id)
    expected = {
        "ended": "既に終了",
        "first_period_over": "最初の支援措置期間",
        "moved_out": "住民でなくなって",
    }
    assert expected[case] in refused.value.reason
    outcomes = AuditEntry.objects.filter(
        action="certificate:notice:print", subject_id=str(measure_id)
    ).values_list("outcome", flat=True)
    assert list(outcomes) == ["refused"]


def test_the_screen_and_the_api_need_the_support_management_permission(
    family: DraftRecorded, officer: User, make_staff: Callable[..., Any], certifier: Any
) -> None:
    measure_id = measure_for(officer, family, end=clock.today() + timedelta(days=200))
    assert_permission_triple(
        make_staff,
        "post",
        reverse("certificates:registry_notice"),
        Permission.SUPPORT_MEASURE_MANAGE,
        data={"purpose": CERT_PURPOSE, "notice": "support_start", "measure_id": str(measure_id)},
    )
    body = json.dumps({"purpose": CERT_PURPOSE, "measure_id": measure_id})
    assert_permission_triple(
        make_staff,
        "post",
        "/api/certificates/notices/support-start",
        Permission.SUPPORT_MEASURE_MANAGE,
        data=body,
        content_type="application/json",
        success_status=(200,),
    )
    holder = make_staff(permissions=[Permission.SUPPORT_MEASURE_MANAGE])
    response = holder.post(
        "/api/certificates/notices/support-start", data=body, content_type="application/json"
    )
    assert "支援措置開始通知" in text_of(base64.b64decode(response.json()["pdf_base64"]))


def test_the_detail_screen_offers_the_notice_only_once_support_has_started(
    family: DraftRecorded, officer: User, make_staff: Callable[..., Any], certifier: Any
) -> None:
    provisional = measure_for(officer, family, end=None)
    client = make_staff(permissions=[Permission.SUPPORT_MEASURE_VIEW, Permission.SUPPORT_MEASURE_MANAGE])

    def detail(measure_id: int) -> str:
        url = reverse("registry:support_detail", args=[measure_id])
        return client.post(url, {"purpose": PURPOSE, "show": "1"}).content.decode()

    assert 'value="support_start"' not in detail(provisional)
    start_support(actor=officer, purpose=PURPOSE, measure_id=provisional, start=clock.today(), end=None)
    page = detail(provisional)
    assert 'value="support_start"' in page
    assert "支援措置開始通知を作成" in page
