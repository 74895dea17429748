"""特別永住者証明書の交付・再交付・有効期間更新・返納: the rules without a database (standard 4.5.7-b;
docs/workflows/special-permanent-certificate.md). Numbers are synthetic."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.domain.special_permanent_certificate import (
    CertificateProcedure,
    CertificateState,
    PersonalItems,
    ReturnReason,
    check_personal_items,
    check_procedure,
    check_return,
    longest_expiry,
    normalise_number,
    return_text,
)

TODAY = date(2026, 11, 24)
NONE = CertificateState(number="", expiry="")
HELD = CertificateState(number="AB12345678CD", expiry="2027-01-10")


def check(
    procedure: CertificateProcedure = CertificateProcedure.REISSUE,
    current: CertificateState = HELD,
    *,
    number: str = "XY87654321ZW",
    issued_on: date | None = TODAY,
    expiry: date | None = date(2033, 5, 1),
    birth_date: date | None = date(1960, 5, 1),
) -> tuple[str, str, set[str]]:
    update = check_procedure(
        procedure,
        current,
        number=number,
        issued_on=issued_on,
        expiry=expiry,
        today=TODAY,
        birth_date=birth_date,
    )
    return update.number, update.expiry, {alert.code for alert in update.alerts}


def refused(**kwargs: object) -> tuple[str, str]:
    with pytest.raises(DomainError) as caught:
        check(**kwargs)  # type: ignore[arg-type]
    return caught.value.field, caught.value.code


def test_4_5_7_b_a_reissue_sets_the_new_number_and_expiry() -> None:
    assert check() == ("XY87654321ZW", "2033-05-01", set())


def test_4_5_7_b_full_width_and_lower_case_numbers_are_stored_in_their_one_form() -> None:
    assert normalise_number("ｘｙ８７６５４３２１ｚｗ") == "XY87654321ZW"


@pytest.mark.parametrize(
    "number", ["XY8765432ZW", "XY876543210ZW", "1Y87654321ZW", "XY87654321Z1", "XY8765-321ZW"]
)
def test_4_5_7_b_a_number_of_the_wrong_form_is_refused(number: str) -> None:
    assert refused(number=number) == ("certificate_number", "registry.certificate_number_format")


def test_4_5_7_b_a_blank_number_is_refused() -> None:
    assert refused(number=" ") == ("certificate_number", "registry.item_required")


def test_4_5_7_b_the_same_number_again_is_refused() -> None:
    assert refused(number="ab12345678cd") == ("certificate_number", "registry.certificate_number_unchanged")


@pytest.mark.parametrize("expiry", [TODAY, TODAY - timedelta(days=1)])
def test_4_5_7_b_an_expiry_not_after_the_issue_is_refused(expiry: date) -> None:
    assert refused(expiry=expiry) == ("expiry", "registry.certificate_expiry_before_issue")


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"issued_on": None}, "issued_on", "registry.item_required"),
        ({"issued_on": TODAY + timedelta(days=1)}, "issued_on", "registry.future_notification_date"),
        ({"expiry": None}, "expiry", "registry.item_required"),
    ],
)
def test_4_5_7_b_missing_or_future_dates_are_refused(
    kwargs: dict[str, object], field: str, code: str
) -> None:
    assert refused(**kwargs) == (field, code)


def test_4_5_7_b_a_renewal_must_extend_the_expiry() -> None:
    assert refused(procedure=CertificateProcedure.RENEWAL, expiry=date(2027, 1, 10)) == (
        "expiry",
        "registry.certificate_expiry_not_extended",
    )


def test_4_5_7_b_a_return_is_not_a_new_certificate() -> None:
    with pytest.raises(ValueError, match="check_return"):
        check(CertificateProcedure.RETURN)


def returned(
    number: str = "AB12345678CD",
    returned_on: date | None = TODAY,
    reason: ReturnReason = ReturnReason.STATUS_ENDED,
    current: CertificateState = HELD,
) -> tuple[str, str, set[str]]:
    kept = check_return(current, number=number, returned_on=returned_on, reason=reason, today=TODAY)
    return kept.number, kept.returned_on.isoformat(), {alert.code for alert in kept.alerts}


def test_4_5_7_b_returning_the_current_certificate_is_an_alert_naming_the_status_ending_event() -> None:
    assert returned() == ("AB12345678CD", "2026-11-24", {"registry.certificate_current_returned"})


def test_4_5_7_b_a_found_old_certificate_is_returned_without_alert() -> None:
    assert returned("ｘｙ８７６５４３２１ｚｗ", reason=ReturnReason.FOUND_AFTER_REISSUE) == (
        "XY87654321ZW",
        "2026-11-24",
        set(),
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"returned_on": None}, "returned_on", "registry.item_required"),
        ({"returned_on": date(2026, 11, 25)}, "returned_on", "registry.future_notification_date"),
        ({"number": "AB123"}, "certificate_number", "registry.certificate_number_format"),
        (
            {"reason": ReturnReason.FOUND_AFTER_REISSUE},
            "certificate_number",
            "registry.certificate_return_is_current",
        ),
        (
            {"current": CertificateState("AB12345678CD", "", "AB12345678CD", "2026-11-24")},
            "certificate_number",
            "registry.certificate_return_recorded",
        ),
    ],
)
def test_4_5_7_b_a_bad_return_is_refused_naming_the_field(
    kwargs: dict[str, object], field: str, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        returned(**kwargs)  # type: ignore[arg-type]
    assert (caught.value.field, caught.value.code) == (field, code)


def test_4_5_7_b_the_return_is_shown_as_its_day_and_number() -> None:
    assert return_text(
        {"certificate_returned_on": "2026-11-24", "returned_certificate_number": "AB12345678CD"}
    ) == ("2026-11-24 AB12345678CD")
    assert return_text({}) == ""


def test_4_5_7_b_a_new_certificate_may_change_the_nationality_and_the_roman_name() -> None:
    current = PersonalItems(nationality_code="410", alphabet_name="KIM MINJUN")
    assert check_personal_items(current, nationality_code="", alphabet_name="") == current
    assert check_personal_items(current, nationality_code="１５６", alphabet_name=" park  minjun ") == (
        PersonalItems(nationality_code="156", alphabet_name="PARK MINJUN")
    )
    with pytest.raises(DomainError) as caught:
        check_personal_items(current, nationality_code="KOR", alphabet_name="")
    assert (caught.value.field, caught.value.code) == ("nationality_code", "registry.nationality_code_format")


def test_4_5_7_b_issuing_over_a_recorded_number_is_an_alert() -> None:
    assert check(CertificateProcedure.ISSUE)[2] == {"registry.certificate_already_recorded"}
    assert check(CertificateProcedure.ISSUE, NONE)[2] == set()


def test_4_5_7_b_a_renewal_before_the_two_month_window_is_an_alert() -> None:
    early = CertificateState(number="AB12345678CD", expiry="2027-01-25")  # window opens 2026-11-25
    on_time = CertificateState(number="AB12345678CD", expiry="2027-01-24")
    assert check(CertificateProcedure.RENEWAL, early)[2] == {"registry.certificate_early_renewal"}
    assert check(CertificateProcedure.RENEWAL, on_time)[2] == set()


def test_4_5_7_b_an_implausibly_long_validity_is_an_alert() -> None:
    assert check(expiry=date(2034, 11, 25))[2] == {"registry.certificate_long_validity"}
    assert check(expiry=date(2034, 11, 24))[2] == set()


def test_4_5_7_b_a_child_under_16_holds_the_certificate_until_the_16th_birthday() -> None:
    child = date(2020, 3, 1)
    assert longest_expiry(TODAY, child) == date(2036, 3, 1)
    assert check(expiry=date(2036, 3, 1), birth_date=child)[2] == set()
    assert check(expiry=date(2036, 3, 2), birth_date=child)[2] == {"registry.certificate_long_validity"}


@given(
    issued_on=st.dates(min_value=date(2012, 7, 9), max_value=TODAY),
    days=st.integers(min_value=-4000, max_value=4000),
)
def test_4_5_7_b_a_certificate_is_accepted_exactly_when_it_expires_after_its_issue(
    issued_on: date, days: int
) -> None:
    expiry = issued_on + timedelta(days=days)
    if expiry <= issued_on:
        assert refused(issued_on=issued_on, expiry=expiry) == (
            "expiry",
            "registry.certificate_expiry_before_issue",
        )
    else:
        assert check(issued_on=issued_on, expiry=expiry)[1] == expiry.isoformat()
