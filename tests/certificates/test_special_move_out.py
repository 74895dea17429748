"""特例転出 and certificates (standard 4.1.3.0.4-a, system.md Flow 3b): the 転出証明書情報 of a card holder
goes over 住基ネット, so no 転出証明書 is issued on paper; the counter may print the 転出証明書 layout stamped
「特例による転出処理済」 as the resident's record, without the QR code and marked as unusable for a 転入届."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Issuance
from jumin.certificates.services import IssuedCertificate, issue_certificate
from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import DomainError
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.move_out import record_move_out
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_move_out import embedded_qr_modules, issue, refusal_code
from tests.registry.conftest import PURPOSE, current
from tests.registry.test_cards import issued
from tests.registry.test_move_out import DESTINATION, move_out

pytestmark = pytest.mark.django_db

NAGASAKI = "422011"  # 長崎市, the destination's municipality code


@pytest.fixture
def card_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("cardclerk", Permission.RESIDENT_RECORD, Permission.RESIDENT_CARD_RECORD)


@pytest.fixture
def special_movers(family: DraftRecorded, card_clerk: User, reviewer: User) -> DraftRecorded:
    """The head (a card holder) and the wife move out together; only the head's is a 特例転出."""
    head, wife, _child = family.atena_numbers
    today = timezone.localdate()
    issued(card_clerk, head, today)
    draft = record_move_out(
        actor=card_clerk,
        purpose=PURPOSE,
        move_out=move_out(
            [head, wife],
            planned_date=today + timedelta(days=5),
            destination_municipality_code=NAGASAKI,
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (current(head).special_move_out, current(wife).special_move_out) == (True, False)
    return family


def has_qr_code(pdf: bytes) -> bool:
    """Whether an image in the PDF is a QR code (read back module by module, as the 転出証明書 test does)."""
    try:
        embedded_qr_modules(pdf)
    except AssertionError:
        return False
    return True


def test_no_paper_move_out_certificate_for_a_special_move_out(
    special_movers: DraftRecorded, issuer: User, certifier: Any
) -> None:
    assert refusal_code(issuer, special_movers, CertificateKind.MOVE_OUT) == "certificates.special_move_out"
    assert (
        refusal_code(issuer, special_movers, CertificateKind.MOVE_OUT_SUBSTITUTE)
        == "certificates.special_move_out"
    )


def test_the_stamped_print_has_the_move_out_items_and_the_stamp_but_no_qr_code(
    special_movers: DraftRecorded, issuer: User, certifier: Any
) -> None:
    head, _wife, _child = special_movers.atena_numbers
    issued = issue(issuer, special_movers, CertificateKind.SPECIAL_MOVE_OUT)
    text = flat("".join(pdf_pages(issued.pdf)))
    assert "転出証明書（特例による転出処理済）" in text
    assert "特例による転出処理済" in text.replace("転出証明書（特例による転出処理済）", "")
    assert "転出証明書として転入の届出に使用することはできません" in text
    assert f"転出先{DESTINATION}" in text
    assert "転出予定年月日" in text
    assert f"住民票コード{current(head).juminhyo_code}" in text
    # Only the card holder: the wife's ordinary 転出 gets a 転出証明書, never this print.
    assert "青木太郎" in text
    assert "青木花子" not in text
    # No QR code that a 転入 counter could read as a 転出証明書.
    assert not has_qr_code(issued.pdf)
    issuance = Issuance.objects.get(pk=issued.issuance_id)
    assert (issuance.kind, issuance.subjects, issuance.fee) == ("special_move_out", [head], 0)
    assert issuance.issued_copies.count() == 1
    audit = AuditEntry.objects.get(action="certificate:copy:issue", outcome="done")
    assert audit.subject_id == str(issuance.pk)


def test_the_ordinary_mover_of_the_same_move_out_gets_the_certificate_with_its_qr_code(
    special_movers: DraftRecorded, issuer: User, certifier: Any
) -> None:
    _head, wife, _child = special_movers.atena_numbers
    issued = issue_for(issuer, [wife], CertificateKind.MOVE_OUT)
    assert Issuance.objects.get(pk=issued.issuance_id).subjects == [wife]
    assert has_qr_code(issued.pdf)
    assert "特例による転出処理済" not in flat("".join(pdf_pages(issued.pdf)))
    # The stamped print is refused for her: hers is not a 特例転出.
    with pytest.raises(DomainError) as refused:
        issue_for(issuer, [wife], CertificateKind.SPECIAL_MOVE_OUT)
    assert refused.value.code == "certificates.wrong_status"


def issue_for(actor: User, numbers: list[str], kind: CertificateKind) -> IssuedCertificate:
    return issue_certificate(
        actor=actor,
        purpose=CERT_PURPOSE,
        request=own_request(),
        options=options_for(numbers, kind=kind),
    )
