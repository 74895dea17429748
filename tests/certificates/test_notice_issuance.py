"""The 住民票コード notices in the 交付履歴 (standard 1.3.8-a): numbered, recorded, voidable and verifiable
like a certificate copy; a refused notice draws no serial and leaves no row."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.history import issuance_history
from jumin.certificates.models import Issuance, IssueCounter
from jumin.certificates.registry_notices import CodeNoticeKind, print_juminhyo_code_notice
from jumin.certificates.services import issue_certificate, verify_certificate, void_copy
from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import DomainError
from jumin.registry.services import DraftRecorded
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import flat, pdf_pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def printer_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "noticer",
        Permission.CERTIFICATE_NOTICE_PRINT,
        Permission.CERTIFICATE_HISTORY_VIEW,
        Permission.CERTIFICATE_VOID,
        Permission.CERTIFICATE_VERIFY,
        Permission.CERTIFICATE_ISSUE,
    )


def test_a_code_notice_is_numbered_and_entered_in_the_history(
    family: DraftRecorded, printer_clerk: User, certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    pdf = print_juminhyo_code_notice(
        actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife, kind=CodeNoticeKind.ASSIGNED
    )
    issuance = Issuance.objects.get()
    copy = issuance.issued_copies.get()
    assert issuance.channel == Issuance.Channel.NOTICE
    assert issuance.kind == "code_notice"
    assert issuance.subjects == [wife]
    assert (issuance.fee, issuance.copies, issuance.sheets, issuance.requester_class) == (0, 1, 1, "")
    assert issuance.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert issuance.certifier == certifier
    assert issuance.user == printer_clerk
    # The 発行番号 is printed (with page/total) on the page, as on a certificate.
    assert copy.serial == 1
    assert f"発行番号{flat(copy.copy_number)}1/1" in flat("".join(pdf_pages(pdf)))
    rows = issuance_history(actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife)
    assert [(r.kind, r.channel, r.requester_class) for r in rows] == [("住民票コード通知票", "通知", "—")]
    assert rows[0].issued_copies[0].copy_number == copy.copy_number
    audit = AuditEntry.objects.get(action="certificate:notice:print", subject_id=wife)
    assert f"issuance={issuance.pk}" in audit.reason


def test_notices_and_certificates_share_the_gap_free_serials(
    family: DraftRecorded, printer_clerk: User, certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    certificate = issue_certificate(
        actor=printer_clerk,
        purpose=CERT_PURPOSE,
        request=own_request(),
        options=options_for([wife], whole_household=False),
    )
    print_juminhyo_code_notice(
        actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife, kind=CodeNoticeKind.ASSIGNED
    )
    notice = Issuance.objects.get(channel=Issuance.Channel.NOTICE).issued_copies.get()
    first_serial = int(re.split(r"\s+", certificate.copy_numbers[0])[-1])
    assert notice.serial == first_serial + 1
    kinds = [r.kind for r in issuance_history(actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife)]
    assert kinds == ["住民票コード通知票", CertificateKind.COPY.label]


def test_a_refused_notice_draws_no_serial_and_leaves_no_history(
    family: DraftRecorded, printer_clerk: User, certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    with pytest.raises(DomainError) as unchanged:
        print_juminhyo_code_notice(
            actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife, kind=CodeNoticeKind.CHANGED
        )
    assert unchanged.value.code == "certificates.juminhyo_code_unchanged"
    assert not Issuance.objects.exists()
    assert not IssueCounter.objects.filter(last_serial__gt=0).exists()
    # Only the refusal remains, audited in a transaction of its own.
    refused = AuditEntry.objects.get(action="certificate:notice:print")
    assert (refused.subject_id, refused.outcome, refused.outcome_reason, refused.reason) == (
        wife,
        "refused",
        "certificates.juminhyo_code_unchanged",
        "changed",
    )


def test_a_notice_is_verified_against_the_history_and_can_be_voided(
    family: DraftRecorded, printer_clerk: User, certifier: Any
) -> None:
    wife = family.atena_numbers[1]
    pdf = print_juminhyo_code_notice(
        actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife, kind=CodeNoticeKind.ASSIGNED
    )
    copy_number = Issuance.objects.get().issued_copies.get().copy_number
    verdict = verify_certificate(data=pdf, actor=printer_clerk, purpose=CERT_PURPOSE)
    assert verdict.valid, verdict.reason
    assert verdict.copy_numbers == (copy_number,)
    void_copy(actor=printer_clerk, purpose=CERT_PURPOSE, copy_number=copy_number, reason="宛先誤り")
    voided = verify_certificate(data=pdf, actor=printer_clerk, purpose=CERT_PURPOSE)
    assert not voided.valid
    assert "廃棄" in voided.reason
    (row,) = issuance_history(actor=printer_clerk, purpose=CERT_PURPOSE, atena_number=wife)
    assert row.voided
    assert timezone.localtime(row.issued_at).date() == timezone.localdate()
