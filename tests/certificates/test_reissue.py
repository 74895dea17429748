"""再交付 of a 転出証明書 (standard 4.1.3.0.3-b): marked 「再交付」, with the state at the original issue;
4.1.3.0.3-c (printing the latest values on a reissue) is an X row, so a later change never shows."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Issuance
from jumin.certificates.services import IssuedCertificate, issue_certificate, reissue_certificate
from jumin.domain.certificates import CertificateKind
from jumin.domain.errors import DomainError
from jumin.domain.wareki import to_wareki
from jumin.registry import certificate_sources
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.ex_officio import record_ex_officio_correction
from tests.certificates.conftest import CERT_PURPOSE, options_for, own_request
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_http import form_data
from tests.certificates.test_move_out import planned_movers  # noqa: F401 (fixture)
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_cancellation import cancel
from tests.registry.test_ex_officio import correction

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return flat("".join(pdf_pages(pdf)))


def _move_out_certificate(issuer: User, family: DraftRecorded) -> IssuedCertificate:
    return issue_certificate(
        actor=issuer,
        purpose=CERT_PURPOSE,
        request=own_request(),
        options=options_for(family.atena_numbers[:1], kind=CertificateKind.MOVE_OUT),
    )


def test_a_reissued_move_out_certificate_is_marked_and_prints_the_state_at_the_original_issue(
    planned_movers: DraftRecorded,  # noqa: F811 (the imported fixture)
    clerk: User,
    reviewer: User,
    issuer: User,
    certifier: Any,
) -> None:
    family = planned_movers
    original = _move_out_certificate(issuer, family)
    assert "再交付" not in _text(original.pdf)
    wife = family.atena_numbers[1]
    renamed = record_ex_officio_correction(
        actor=clerk,
        purpose=PURPOSE,
        correction=correction([wife], {"surname": "佐藤", "surname_kana": "サトウ"}),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=renamed.change_id)
    (copy_number,) = original.copy_numbers

    again = reissue_certificate(
        actor=issuer, purpose=CERT_PURPOSE, request=own_request(), copy_number=copy_number
    )

    text = _text(again.pdf)
    assert "転出証明書" in text
    assert "再交付" in text
    original_row = Issuance.objects.get(pk=original.issuance_id)
    assert f"原交付日{to_wareki(original_row.issue_date).display()}" in text
    assert flat(f"原発行番号{copy_number}") in text
    assert "青木花子" in text  # the name as it stood at the original issue
    assert "佐藤花子" not in text
    assert again.copy_numbers != original.copy_numbers  # a new 発行番号
    row = Issuance.objects.get(pk=again.issuance_id)
    assert (row.kind, row.options["reissue_of"], row.subjects) == (
        "move_out",
        copy_number,
        original_row.subjects,
    )
    entry = AuditEntry.objects.get(action="certificate:copy:issue", subject_id=str(again.issuance_id))
    assert f"reissue_of={copy_number}" in entry.reason
    # A new issuance (not a reissue) prints today's record.
    fresh = _move_out_certificate(issuer, family)
    assert "佐藤花子" in _text(fresh.pdf)


def test_only_a_move_out_certificate_is_reissued_and_an_unknown_number_is_refused(
    family: DraftRecorded, issuer: User, certifier: Any
) -> None:
    copy = issue_certificate(
        actor=issuer,
        purpose=CERT_PURPOSE,
        request=own_request(),
        options=options_for(family.atena_numbers[:1]),
    )
    for number, code in (
        (copy.copy_numbers[0], "certificates.not_reissuable"),
        ("20261124 佐世保市 999", "certificates.no_such_copy"),
    ):
        before = Issuance.objects.count()
        with pytest.raises(DomainError) as raised:
            reissue_certificate(actor=issuer, purpose=CERT_PURPOSE, request=own_request(), copy_number=number)
        assert raised.value.code == code
        assert Issuance.objects.count() == before
        assert AuditEntry.objects.filter(outcome="refused", outcome_reason=code).exists()


def test_the_issue_screen_and_the_api_reissue_by_the_original_number(
    planned_movers: DraftRecorded,  # noqa: F811 (the imported fixture)
    issuer: User,
    certifier: Any,
) -> None:
    family = planned_movers
    original = _move_out_certificate(issuer, family)
    (copy_number,) = original.copy_numbers
    data = form_data(family, kind="copy", reissue_of=copy_number)
    response = logged_in(issuer).post(reverse("certificates:issue"), data)
    assert response["Content-Type"] == "application/pdf"
    assert "再交付" in _text(response.content)
    body = {
        "purpose": CERT_PURPOSE,
        "request": {"requester_class": "self", "identity_check": "drivers_license"},
        "copy_number": copy_number,
    }
    answer = logged_in(issuer).post(
        "/api/certificates/reissue", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 200
    assert "再交付" in _text(base64.b64decode(answer.json()["pdf_base64"]))
    assert Issuance.objects.filter(options__reissue_of=copy_number).count() == 2


def test_no_reissue_once_the_certified_move_out_was_cancelled(
    planned_movers: DraftRecorded,  # noqa: F811 (the imported fixture)
    clerk: User,
    reviewer: User,
    issuer: User,
    certifier: Any,
) -> None:
    family = planned_movers
    (copy_number,) = _move_out_certificate(issuer, family).copy_numbers
    move_out_id = certificate_sources.people([family.atena_numbers[0]])[0].move_out_change_id
    assert move_out_id is not None
    undone = cancel(clerk, move_out_id)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=undone.change_id)
    with pytest.raises(DomainError) as raised:
        reissue_certificate(
            actor=issuer, purpose=CERT_PURPOSE, request=own_request(), copy_number=copy_number
        )
    assert raised.value.code == "certificates.reissue_move_out_changed"
    assert not Issuance.objects.filter(options__reissue_of=copy_number).exists()
