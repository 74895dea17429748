"""文字超過 (standard 5.8-a): shrink to fit where possible, otherwise alert and print a 文字超過リスト.

Content is read from the signed PDF with pdftotext.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.certificates.models import Issuance
from jumin.certificates.services import IssuedCertificate, issue_certificate, preview_certificate
from jumin.domain.certificates import (
    ITEM_LIMIT,
    OVERFLOW_ALERT,
    SHRINK_STEPS,
    Layout,
    OverflowPrint,
    fit,
    print_width,
)
from jumin.domain.errors import DomainError
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.ex_officio import (
    ExOfficioAction,
    ExOfficioCorrection,
    RecordBook,
    record_ex_officio_correction,
)
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_http import form_data
from tests.registry.conftest import PURPOSE

pytestmark = pytest.mark.django_db

# Synthetic: a 本籍 of 60 full-width characters (too long even at 70 %) and a long 方書 (fits when shrunk).
LONG_HONSEKI = "長崎県佐世保市八幡町" + "一二三四五六七八九十" * 5
LONG_KATAGAKI = "サンプルマンション" + "東棟" * 40


def test_fit_shrinks_then_truncates_or_blanks() -> None:
    assert print_width("AB１") == 2.0
    assert fit("あ" * ITEM_LIMIT, ITEM_LIMIT, OverflowPrint.TRUNCATE).scale == 100
    shrunk = fit("あ" * (ITEM_LIMIT + 3), ITEM_LIMIT, OverflowPrint.TRUNCATE)
    assert (shrunk.scale, shrunk.overflow) == (90, False)
    over = fit("あ" * 100, ITEM_LIMIT, OverflowPrint.TRUNCATE)
    assert over.overflow
    assert over.scale == SHRINK_STEPS[-1]
    assert len(over.text) == int(ITEM_LIMIT * 100 / SHRINK_STEPS[-1])
    assert fit("あ" * 100, ITEM_LIMIT, OverflowPrint.BLANK).text == ""


@pytest.fixture
def long_values(family: DraftRecorded, clerk: User, reviewer: User) -> str:
    wife = family.atena_numbers[1]
    draft = record_ex_officio_correction(
        actor=clerk,
        purpose=PURPOSE,
        correction=ExOfficioCorrection(
            action=ExOfficioAction.AMENDMENT,
            atena_numbers=[wife],
            items={"honseki": LONG_HONSEKI, "katagaki": LONG_KATAGAKI},
            change_date=timezone.localdate(),
            record=RecordBook(
                legal_basis="住民基本台帳法施行令第12条第2項第1号",
                found_on=timezone.localdate(),
                grounds="戸籍の届出",
                findings="本籍地からの通知",
            ),
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return wife


def issue(actor: User, atena: str, **request: Any) -> IssuedCertificate:
    return issue_certificate(
        actor=actor,
        purpose=CERT_PURPOSE,
        request=own_request(**request),
        options=options_for([atena], whole_household=False, layout=Layout.PERSONAL, show_honseki=True),
    )


def test_an_overflowing_item_needs_acknowledgment_and_goes_on_the_list(
    long_values: str, issuer: User, certifier: Any
) -> None:
    preview = preview_certificate(
        actor=issuer,
        purpose=CERT_PURPOSE,
        request=own_request(),
        options=options_for([long_values], whole_household=False, layout=Layout.PERSONAL, show_honseki=True),
    )
    assert [a.code for a in preview.alerts] == [OVERFLOW_ALERT]
    with pytest.raises(DomainError) as caught:
        issue(issuer, long_values)
    assert caught.value.code == "certificates.alert_not_acknowledged"
    issued = issue(issuer, long_values, acknowledged_alerts=(OVERFLOW_ALERT,))
    pages = pdf_pages(issued.pdf)
    assert len(pages) == 2
    first, listing = flat(pages[0]), flat(pages[1])
    assert LONG_HONSEKI[:20] in first  # printed up to the limit …
    assert LONG_HONSEKI not in first
    assert "※文字超過リスト参照" in first
    assert "文字超過リスト" in listing
    assert LONG_HONSEKI in listing  # … and in full on the list
    assert "この写しは、住民票の原本と相違ないことを証明する。" in listing  # the 認証文 on the last page
    assert LONG_KATAGAKI in first  # shrunk to fit, not listed
    assert LONG_KATAGAKI not in listing.split("文字超過リスト", 1)[1]
    assert Issuance.objects.get(pk=issued.issuance_id).alerts_acknowledged == [OVERFLOW_ALERT]


@override_settings(JUMIN_CERTIFICATE_OVERFLOW_PRINT="blank")
def test_the_overflow_parameter_can_leave_the_box_blank(
    long_values: str, issuer: User, certifier: Any
) -> None:
    pages = pdf_pages(issue(issuer, long_values, acknowledged_alerts=(OVERFLOW_ALERT,)).pdf)
    assert LONG_HONSEKI[:10] not in flat(pages[0])
    assert "※文字超過リスト参照" in flat(pages[0])
    assert LONG_HONSEKI in flat(pages[1])


def test_the_confirmation_screen_asks_for_each_alert_by_code(
    long_values: str, family: DraftRecorded, make_staff: Callable[..., Any], certifier: Any
) -> None:
    holder = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    data = form_data(
        family, atena_numbers=long_values, whole_household="0", layout="personal", show_honseki="on"
    )
    page = holder.post(reverse("certificates:issue"), data={**data, "step": "confirm"}).content.decode()
    assert f'name="acknowledged_alerts" value="{OVERFLOW_ALERT}"' in page
    refused = holder.post(reverse("certificates:issue"), data=data).content.decode()
    assert OVERFLOW_ALERT in refused  # the message names the alert still to acknowledge
    issued = holder.post(reverse("certificates:issue"), data={**data, "acknowledged_alerts": OVERFLOW_ALERT})
    assert issued["Content-Type"] == "application/pdf"
