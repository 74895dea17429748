"""開示 (住基法30条の32) and 訂正の申出 (issue 9 item 5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.prefecture.provision import disclosure
from jumin.jukinet.prefecture.provision.models import CorrectionRequest, DisclosureRequest
from jumin.jukinet.prefecture.provision.synthetic import Person
from tests.certificates.helpers import flat, pdf_fonts, pdf_pages
from tests.helpers.accounts import StaffClient, grant_permissions, make_user

PURPOSE = "provision_disclosure"


@pytest.fixture
def clerk(db: None) -> User:
    user = make_user()
    grant_permissions(user, [Permission.PROVISION_DISCLOSURE, Permission.INDIVIDUAL_NUMBER_ACCESS])
    return user


def receive(clerk: User, p: Person, **changes: str) -> DisclosureRequest:
    fields = {"name": p.name, "birth_date": p.birth_date, "address": p.address[:6]} | changes
    return disclosure.receive_request(
        actor=clerk,
        received_on=clock.today(),
        identity_check="card",
        requester=disclosure.Requester(**fields),
        purpose=PURPOSE,
    )


def test_a_request_is_matched_free_of_charge_and_the_form_printed(people: list[Person], clerk: User) -> None:
    request = receive(clerk, people[7])
    assert request.status == DisclosureRequest.Status.RECEIVED
    assert request.fee == 0
    assert request.resident_code == people[7].resident_code
    pdf = disclosure.issue_form(actor=clerk, request_id=request.pk, purpose=PURPOSE)
    assert pdf.startswith(b"%PDF")
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.DISCLOSED
    assert request.disclosed_by == clerk
    issued = AuditEntry.objects.get(action="provision:disclosure:issue")
    assert issued.individual_number_used


def test_the_form_shows_the_items_and_the_history(people: list[Person], clerk: User) -> None:
    target = people[8]
    request = receive(clerk, target)
    document = disclosure.issue_form(actor=clerk, request_id=request.pk, purpose=PURPOSE)
    text = flat("".join(pdf_pages(document)))
    assert "本人確認情報開示書" in text
    assert flat(target.name) in text
    assert target.individual_number in text
    assert target.resident_code in text
    assert "変更の履歴" in text
    assert "出生" in text  # the one version in the history
    assert "IPAex" in " ".join(row[0] for row in pdf_fonts(document))


def test_a_disclosed_request_is_not_printed_again(people: list[Person], clerk: User) -> None:
    """C-30: a second print is refused and audited; the first print's record stays as it was."""
    request = receive(clerk, people[8])
    disclosure.issue_form(actor=clerk, request_id=request.pk, purpose=PURPOSE)
    request.refresh_from_db()
    first = (request.disclosed_at, request.disclosed_by_id, request.form_sha256)
    other = make_user()
    grant_permissions(other, [Permission.PROVISION_DISCLOSURE, Permission.INDIVIDUAL_NUMBER_ACCESS])
    with pytest.raises(DomainError) as raised:
        disclosure.issue_form(actor=other, request_id=request.pk, purpose=PURPOSE)
    assert raised.value.code == "provision.disclosure_reprint"
    request.refresh_from_db()
    assert (request.disclosed_at, request.disclosed_by_id, request.form_sha256) == first
    assert request.status == DisclosureRequest.Status.DISCLOSED
    issued = AuditEntry.objects.filter(action="provision:disclosure:issue").order_by("pk")
    assert [entry.outcome for entry in issued] == ["done", "refused"]
    assert issued.last().subject_id == str(request.pk)


def test_a_request_that_fits_nobody_is_recorded_as_not_found(people: list[Person], clerk: User) -> None:
    request = receive(clerk, people[0], birth_date="18990101")
    assert request.status == DisclosureRequest.Status.NOT_FOUND
    assert request.resident_code == ""
    with pytest.raises(DomainError):
        disclosure.issue_form(actor=clerk, request_id=request.pk, purpose=PURPOSE)


def test_a_request_needs_name_and_birth_date(people: list[Person], clerk: User) -> None:
    with pytest.raises(DomainError) as raised:
        receive(clerk, people[0], birth_date="")
    assert raised.value.code == "provision.disclosure_requester"
    assert not DisclosureRequest.objects.exists()


def test_printing_needs_specific_personal_information_access(people: list[Person], clerk: User) -> None:
    request = receive(clerk, people[1])
    desk = make_user()
    grant_permissions(desk, [Permission.PROVISION_DISCLOSURE])
    with pytest.raises(AccessRefused):
        disclosure.issue_form(actor=desk, request_id=request.pk, purpose=PURPOSE)
    request.refresh_from_db()
    assert request.status == DisclosureRequest.Status.RECEIVED


def test_a_correction_request_is_recorded_with_its_outcome(people: list[Person], clerk: User) -> None:
    request = receive(clerk, people[2])
    with pytest.raises(DomainError):  # not disclosed yet
        disclosure.record_correction(
            actor=clerk, request_id=request.pk, items=["address"], note="", purpose=PURPOSE
        )
    disclosure.issue_form(actor=clerk, request_id=request.pk, purpose=PURPOSE)
    correction = disclosure.record_correction(
        actor=clerk, request_id=request.pk, items=["address", "bogus"], note="番地の誤り", purpose=PURPOSE
    )
    assert correction.items == ["address"]
    disclosure.decide_correction(
        actor=clerk, correction_id=correction.pk, outcome="corrected", note="市町村が修正", purpose=PURPOSE
    )
    correction.refresh_from_db()
    assert correction.outcome == CorrectionRequest.Outcome.CORRECTED
    with pytest.raises(DomainError):  # decided once
        disclosure.decide_correction(
            actor=clerk, correction_id=correction.pk, outcome="not_corrected", note="", purpose=PURPOSE
        )


def test_the_disclosure_screen_receives_and_prints(
    people: list[Person], make_staff: Callable[..., StaffClient]
) -> None:
    client = make_staff([Permission.PROVISION_DISCLOSURE, Permission.INDIVIDUAL_NUMBER_ACCESS])
    target = people[9]
    url = reverse("jukinet_provision:disclosure")
    page = client.post(
        url,
        {
            "form": "receive",
            "received_on": clock.today().isoformat(),
            "identity_check": "driving_licence",
            "name": target.name,
            "birth_date": target.birth_date,
        },
    )
    assert "受付" in page.content.decode()
    request = DisclosureRequest.objects.get()
    assert request.resident_code == target.resident_code
    printed = client.post(url, {"form": "issue", "request_id": request.pk})
    assert printed["Content-Type"] == "application/pdf"
    assert printed.content.startswith(b"%PDF")
    bad = client.post(url, {"form": "receive", "received_on": "2000-01-01", "identity_check": "card"})
    assert "氏名と生年月日" in bad.content.decode()
