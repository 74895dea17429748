"""加害者照合 at the counter's issue (standard 1.1.16-a, 3.4-a; C-38): a requester recorded as the 加害者
of a measure protecting a subject is refused, even through a 一時解除, and the refusal names no one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Issuance
from jumin.certificates.services import (
    REQUESTER_IS_PERPETRATOR,
    IssuedCertificate,
    issue_certificate,
    preview_certificate,
)
from jumin.domain.certificates import CertificateRequest, IdentityCheck, RequesterClass, ThirdPartyPurpose
from jumin.domain.errors import DomainError
from jumin.registry.restrictions import RestrictedProcess
from jumin.registry.services import DraftRecorded
from jumin.registry.services_restrictions import ReleaseTarget
from tests.certificates.conftest import CERT_PURPOSE, options_for
from tests.certificates.test_http import form_data
from tests.certificates.test_restrictions import officer, refusals
from tests.registry.conftest import ADDRESS, current
from tests.registry.test_restriction_release_use import release
from tests.registry.test_support_database import open_measure, the_perpetrator

pytestmark = pytest.mark.django_db

__all__ = ["officer"]  # the fixture, imported for use here
THIRD_PARTY: dict[str, Any] = {
    "requester_class": RequesterClass.THIRD_PARTY,
    "requester_name": "加藤　一郎",
    "third_party_purpose": ThirdPartyPurpose.RIGHTS_OR_DUTIES,
    "purpose_detail": "債権の回収（合成データ）",
}


def third_party(**overrides: Any) -> CertificateRequest:
    return CertificateRequest(identity_check=IdentityCheck.DRIVERS_LICENSE, **{**THIRD_PARTY, **overrides})


def issue(actor: User, number: str, **overrides: Any) -> IssuedCertificate:
    """A third party's request for one person's copy (not the household's)."""
    return issue_certificate(
        actor=actor,
        purpose=CERT_PURPOSE,
        request=third_party(**overrides),
        options=options_for([number], whole_household=False),
    )


@pytest.fixture
def protected_wife(family: DraftRecorded, officer: User) -> str:
    """The wife, protected from her husband (the head, on this registry) and from a named outsider;
    the block is released for one request, so only 加害者照合 stands in the way."""
    head, wife, _child = family.atena_numbers
    open_measure(
        officer,
        wife,
        perpetrators=(
            the_perpetrator(head),
            the_perpetrator(surname="加藤", given_name="一郎", birth_date="昭和50年1月2日"),
        ),
    )
    release(officer, wife, RestrictedProcess.CERTIFICATE, ReleaseTarget.SUPPORT_MEASURE)
    return wife


def test_a_requester_recorded_as_the_perpetrator_is_refused_by_number_or_by_name_and_birth_date(
    family: DraftRecorded, protected_wife: str, issuer: User, certifier: Any
) -> None:
    head = family.atena_numbers[0]
    for requester in (
        {"requester_atena_number": head},
        {"requester_birth_date": date(1975, 1, 2)},  # 加藤 一郎, 昭和50年1月2日
    ):
        with pytest.raises(DomainError) as caught:
            issue(issuer, protected_wife, **requester)
        assert caught.value.code == REQUESTER_IS_PERPETRATOR
        said = f"{caught.value.reason}{caught.value.remedy}"
        for secret in (current(protected_wife).surname, current(protected_wife).given_name, ADDRESS.address):
            assert secret not in said
    assert refusals(REQUESTER_IS_PERPETRATOR) == 2
    entries = AuditEntry.objects.filter(outcome_reason=REQUESTER_IS_PERPETRATOR)
    assert all(entry.support_measure for entry in entries)
    assert not Issuance.objects.exists()
    # A namesake born on another day is not the 加害者: the released request goes through.
    issue(issuer, protected_wife, requester_birth_date=date(1975, 1, 3))
    assert Issuance.objects.count() == 1


def test_the_confirmation_step_refuses_already_and_an_unknown_requester_number_is_named(
    family: DraftRecorded, protected_wife: str, issuer: User, certifier: Any
) -> None:
    head = family.atena_numbers[0]
    with pytest.raises(DomainError) as caught:
        preview_certificate(
            actor=issuer,
            purpose=CERT_PURPOSE,
            request=third_party(requester_atena_number=head),
            options=options_for([protected_wife], whole_household=False),
        )
    assert caught.value.code == REQUESTER_IS_PERPETRATOR
    with pytest.raises(DomainError) as unknown:
        issue(issuer, protected_wife, requester_atena_number="99999999")
    assert unknown.value.field == "requester_atena_number"


def test_a_requester_who_is_not_a_perpetrator_of_these_subjects_is_not_refused(
    family: DraftRecorded, officer: User, issuer: User, certifier: Any
) -> None:
    head, wife, child = family.atena_numbers
    open_measure(officer, wife, perpetrators=(the_perpetrator(head),))
    # The child is not protected: her 加害者照合 finds nothing, whoever asks.
    issue(issuer, child, requester_atena_number=head)
    assert Issuance.objects.count() == 1


def test_the_issue_screen_asks_for_the_requester_and_shows_the_refusal_without_the_person(
    family: DraftRecorded, protected_wife: str, make_staff: Callable[..., Any], certifier: Any
) -> None:
    holder = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    blank = holder.get(reverse("certificates:issue")).content.decode()
    assert 'name="requester_atena_number"' in blank
    assert 'name="requester_birth_date"' in blank
    page = holder.post(
        reverse("certificates:issue"),
        data=form_data(
            family,
            atena_numbers=protected_wife,
            whole_household="0",
            requester_class="third_party",
            requester_name="加藤 一郎",
            third_party_purpose="rights_or_duties",
            purpose_detail="債権の回収（合成データ）",
            requester_atena_number=family.atena_numbers[0],
        ),
    ).content.decode()
    assert "加害者照合に該当" in page
    assert current(protected_wife).given_name not in page
    assert ADDRESS.address not in page


def test_the_api_takes_the_requester_for_the_check(
    family: DraftRecorded, protected_wife: str, make_staff: Callable[..., Any], certifier: Any
) -> None:
    holder = make_staff(permissions=[Permission.CERTIFICATE_ISSUE])
    body = {
        "purpose": CERT_PURPOSE,
        "request": {
            "requester_class": "third_party",
            "identity_check": "drivers_license",
            "requester_name": "加藤 一郎",
            "third_party_purpose": "rights_or_duties",
            "purpose_detail": "債権の回収（合成データ）",
            "requester_birth_date": "1975-01-02",
        },
        "options": {"atena_numbers": [protected_wife], "whole_household": False},
    }
    answer = holder.post("/api/certificates/issue", data=body, content_type="application/json")
    assert (answer.status_code, answer.json()["code"]) == (400, REQUESTER_IS_PERPETRATOR)
    assert current(protected_wife).given_name not in answer.content.decode()
