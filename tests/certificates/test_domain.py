"""Certificate rules without a database: 発行番号 (§E), certifier switch (1.3.9-a), requests, fees."""

from __future__ import annotations

from datetime import date

import pytest

from jumin.domain.certificates import (
    CertificateKind,
    CertificateOptions,
    CertificateRequest,
    CertifierPeriod,
    CertifierRole,
    IdentityCheck,
    IssueNumber,
    Layout,
    RequesterClass,
    ThirdPartyPurpose,
    certification_text,
    certifier_on,
    check_request,
    fee_for,
    split_sheets,
)
from jumin.domain.errors import DomainError

DAY = date(2025, 4, 4)


def number(
    serial: int, page: int = 1, pages: int = 1, *, terminal: str = "本庁1", printer: str = "プリンタ001"
) -> str:
    return IssueNumber(DAY, "日野市", terminal, printer, serial, page, pages).text()


def test_issue_numbers_follow_the_worked_examples_of_algorithms_e() -> None:
    assert IssueNumber(date(2020, 5, 2), "●●市", "本庁1", "プリンタ001", 11, 1, 2).text() == (
        "20200502 ●●市 本庁1 プリンタ001 011 1/2"
    )  # IN-1
    assert [number(11, p, 4) for p in (1, 4)] == [
        "20250404 日野市 本庁1 プリンタ001 011 1/4",
        "20250404 日野市 本庁1 プリンタ001 011 4/4",
    ]  # IN-2
    assert number(12, 1, 4) == "20250404 日野市 本庁1 プリンタ001 012 1/4"  # IN-3
    assert number(13, terminal="", printer="") == "20250404 日野市 013 1/1"  # IN-4: blanks leave no gap
    assert number(1000).split()[-2] == "1000"  # IN-5: the serial widens after 999


def test_the_copy_number_is_shared_by_every_page_of_a_copy() -> None:
    pages = [IssueNumber(DAY, "日野市", "", "", 7, p, 3) for p in (1, 2, 3)]
    assert {p.copy_number for p in pages} == {"20250404 日野市 007"}


def test_an_issue_number_outside_its_pages_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="page"):
        IssueNumber(DAY, "日野市", "", "", 1, 3, 2)


MAYOR = CertifierPeriod(key=1, role=CertifierRole.MAYOR, valid_from=date(2023, 5, 1), valid_to=None)
ACTING = CertifierPeriod(
    key=2, role=CertifierRole.ACTING, valid_from=date(2025, 4, 1), valid_to=date(2025, 4, 30)
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 3, 31), 1),
        (date(2025, 4, 1), 2),
        (date(2025, 4, 30), 2),
        (date(2025, 5, 1), 1),
    ],
)
def test_the_acting_officer_certifies_exactly_over_the_registered_period(day: date, expected: int) -> None:
    assert certifier_on([MAYOR, ACTING], day) == expected


def test_a_day_without_any_certifier_is_refused_not_guessed() -> None:
    with pytest.raises(DomainError) as caught:
        certifier_on([MAYOR], date(2023, 4, 30))
    assert caught.value.code == "certificates.no_certifier"


def test_a_new_mayor_supersedes_the_open_ended_predecessor_from_the_start_date() -> None:
    successor = CertifierPeriod(key=3, role=CertifierRole.MAYOR, valid_from=date(2027, 5, 1), valid_to=None)
    assert certifier_on([MAYOR, successor], date(2027, 4, 30)) == 1
    assert certifier_on([MAYOR, successor], date(2027, 5, 1)) == 3


def request(who: RequesterClass, **extra: object) -> CertificateRequest:
    values: dict[str, object] = {"requester_class": who, "identity_check": IdentityCheck.DRIVERS_LICENSE}
    if who in (RequesterClass.AGENT, RequesterClass.THIRD_PARTY, RequesterClass.OFFICIAL):
        values["requester_name"] = "見本 一郎"
    values.update(extra)
    return CertificateRequest(**values)  # type: ignore[arg-type]


OPTIONS = CertificateOptions(atena_numbers=("0001015",))
WITH_NUMBER = CertificateOptions(atena_numbers=("0001015",), show_individual_number=True)


def refused_code(req: CertificateRequest, options: CertificateOptions = OPTIONS) -> str:
    with pytest.raises(DomainError) as caught:
        check_request(req, options)
    return caught.value.code


def test_an_agent_needs_a_checked_power_of_attorney() -> None:
    assert refused_code(request(RequesterClass.AGENT)) == "certificates.power_of_attorney_required"
    check_request(request(RequesterClass.AGENT, power_of_attorney_checked=True), OPTIONS)


def test_a_third_party_must_state_a_purpose_under_article_12_3() -> None:
    assert refused_code(request(RequesterClass.THIRD_PARTY)) == "certificates.third_party_purpose_required"
    assert (
        refused_code(
            request(RequesterClass.THIRD_PARTY, third_party_purpose=ThirdPartyPurpose.RIGHTS_OR_DUTIES)
        )
        == "certificates.third_party_purpose_required"
    )
    check_request(
        request(
            RequesterClass.THIRD_PARTY,
            third_party_purpose=ThirdPartyPurpose.RIGHTS_OR_DUTIES,
            purpose_detail="債権回収のため",
        ),
        OPTIONS,
    )


def test_agents_third_parties_and_official_requests_must_name_the_requester() -> None:
    assert (
        refused_code(request(RequesterClass.OFFICIAL, requester_name="", purpose_detail="税務調査"))
        == "certificates.requester_name_required"
    )
    assert refused_code(request(RequesterClass.OFFICIAL)) == "certificates.official_reason_required"


@pytest.mark.parametrize("who", [RequesterClass.AGENT, RequesterClass.THIRD_PARTY, RequesterClass.OFFICIAL])
def test_an_individual_number_is_refused_to_anyone_but_the_person_and_the_household(
    who: RequesterClass,
) -> None:
    req = request(
        who,
        power_of_attorney_checked=True,
        third_party_purpose=ThirdPartyPurpose.OTHER_LEGITIMATE,
        purpose_detail="相続手続",
        request_reason="年金の手続",
        submit_to="年金事務所",
    )
    assert refused_code(req, WITH_NUMBER) == "certificates.individual_number_requester"


@pytest.mark.parametrize("who", [RequesterClass.SELF, RequesterClass.SAME_HOUSEHOLD])
def test_an_individual_number_needs_the_reason_and_the_recipient(who: RequesterClass) -> None:
    assert refused_code(request(who, request_reason="年金の手続"), WITH_NUMBER) == (
        "certificates.individual_number_reason_required"
    )
    check_request(request(who, request_reason="年金の手続", submit_to="年金事務所"), WITH_NUMBER)


def test_a_third_party_never_gets_the_juminhyo_code() -> None:
    req = request(
        RequesterClass.THIRD_PARTY,
        third_party_purpose=ThirdPartyPurpose.RIGHTS_OR_DUTIES,
        purpose_detail="訴訟",
    )
    options = CertificateOptions(atena_numbers=("0001015",), show_juminhyo_code=True)
    assert refused_code(req, options) == "certificates.juminhyo_code_not_for_third_party"


def test_a_request_names_at_least_one_person_and_a_sane_number_of_copies() -> None:
    assert refused_code(request(RequesterClass.SELF), CertificateOptions()) == "certificates.no_subject"
    assert (
        refused_code(request(RequesterClass.SELF), CertificateOptions(atena_numbers=("1",), copies=0))
        == "certificates.copies_range"
    )


def test_fees_come_from_the_table_per_certificate_and_official_use_is_free() -> None:
    table = {"copy": 300, "removed_copy": 350}
    assert fee_for(CertificateKind.COPY, units=2, requester_class=RequesterClass.SELF, table=table) == 600
    assert (
        fee_for(CertificateKind.REMOVED_COPY, units=1, requester_class=RequesterClass.AGENT, table=table)
        == 350
    )
    assert fee_for(CertificateKind.COPY, units=3, requester_class=RequesterClass.OFFICIAL, table=table) == 0
    with pytest.raises(DomainError):
        fee_for(
            CertificateKind.REMOVED_COPY, units=1, requester_class=RequesterClass.SELF, table={"copy": 300}
        )


def test_sheets_hold_four_people_and_continue_on_the_next() -> None:
    assert split_sheets(list("ABCDE"), 4) == [list("ABCD"), ["E"]]
    assert split_sheets(list("ABCD"), 4) == [list("ABCD")]
    assert split_sheets([], 4) == [[]]


def test_the_certification_text_says_whole_household_part_person_or_removed_record() -> None:
    assert "世帯全員" in certification_text(CertificateKind.COPY, Layout.HOUSEHOLD, whole_household=True)
    assert "世帯の一部" in certification_text(CertificateKind.COPY, Layout.HOUSEHOLD, whole_household=False)
    assert "世帯" not in certification_text(CertificateKind.COPY, Layout.PERSONAL, whole_household=True)
    assert "除かれた住民票" in certification_text(
        CertificateKind.REMOVED_COPY, Layout.HOUSEHOLD, whole_household=True
    )
