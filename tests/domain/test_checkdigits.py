"""Check digits: the worked examples of algorithms.md §A, one case per test ID, plus properties."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.jp import cn as stdnum_cn
from stdnum.jp import in_ as stdnum_in

from jumin.domain.checkdigits import (
    CODE_KINDS,
    JuminhyoCodeRule,
    M11Remainder1Policy,
    atena_check_digit,
    check_digit_for,
    corporate_check_digit,
    lgcode_check_digit,
    mynumber_check_digit,
    next_issuable_serial,
    normalize_digits,
    validate_atena_number,
    validate_code,
    validate_corporate_number,
    validate_juminhyo_code,
    validate_lgcode,
    validate_mynumber,
)
from jumin.domain.errors import DomainError

ZERO = M11Remainder1Policy.ZERO
SKIP = M11Remainder1Policy.SKIP
FORMAT_ONLY = JuminhyoCodeRule.FORMAT_ONLY
CANDIDATE = JuminhyoCodeRule.M11W27_CANDIDATE


def digits(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=length, max_size=length)


def m11w27_remainder(number: str) -> int:
    """Straight from the spec's table: weights 2–7 cycling from the right."""
    return sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(number))) % 11


def replace_digit(number: str, position: int, digit: str) -> str:
    return number[:position] + digit + number[position + 1 :]


# --- A.1 個人番号 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "check", "full"),
    [
        pytest.param("12345678901", "8", "123456789018", id="CD-MY-1"),
        pytest.param("62149832025", "7", "621498320257", id="CD-MY-2"),
        pytest.param("37947448445", "8", "379474484458", id="CD-MY-3"),
        pytest.param("59574890682", "0", "595748906820", id="CD-MY-4"),
        pytest.param("25412248244", "0", "254122482440", id="CD-MY-5"),
    ],
)
def test_individual_number_check_digit_follows_the_worked_examples(base: str, check: str, full: str) -> None:
    assert mynumber_check_digit(base) == check
    assert validate_mynumber(full) == full


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("123456789010", "mynumber.check_digit", id="CD-MY-6"),
        pytest.param("12345678901", "mynumber.format", id="CD-MY-7"),
    ],
)
def test_invalid_individual_numbers_are_refused(value: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_mynumber(value)
    assert caught.value.code == code
    assert caught.value.field == "individual_number"


def test_individual_number_refusal_names_the_rule_in_japanese_without_the_number() -> None:
    with pytest.raises(DomainError) as caught:
        validate_mynumber("12345678901")
    assert caught.value.reason == "個人番号は12桁の数字です。"
    assert caught.value.remedy == "12桁の数字を入力してください。"
    with pytest.raises(DomainError) as caught:
        validate_mynumber("1234 5678 9010")
    assert caught.value.reason == "検査数字が一致しません。"
    assert caught.value.remedy == "番号を確認して入力し直してください。"
    assert "123456789010" not in str(caught.value)
    assert "1234" not in str(caught.value)


def test_individual_number_input_is_normalised_before_validation() -> None:
    assert validate_mynumber("１２３４－５６７８－９０１８") == "123456789018"
    assert validate_mynumber("1234 5678 9018") == "123456789018"


@pytest.mark.parametrize(
    "value", ["12345678901a", "１２３４５６７８９０１８x", "¹23456789018", "٠23456789018", ""]
)
def test_individual_numbers_with_non_ascii_digits_or_letters_are_refused(value: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_mynumber(value)
    assert caught.value.code == "mynumber.format"


@given(digits(11))
def test_individual_number_check_digit_agrees_with_python_stdnum(base: str) -> None:
    check = mynumber_check_digit(base)
    assert check == stdnum_in.calc_check_digit(base)
    assert validate_mynumber(base + check) == base + check


@given(digits(12))
def test_individual_number_validity_agrees_with_python_stdnum(number: str) -> None:
    try:
        validate_mynumber(number)
    except DomainError:
        valid = False
    else:
        valid = True
    assert valid == stdnum_in.is_valid(number)


@given(digits(11), st.integers(0, 11), st.sampled_from("0123456789"))
def test_changing_one_digit_of_an_individual_number_is_detected_unless_remainders_0_and_1_meet(
    base: str, position: int, digit: str
) -> None:
    number = base + mynumber_check_digit(base)
    changed = replace_digit(number, position, digit)
    assume(changed != number)
    # Remainders 0 and 1 share the check digit 0, the one blind spot of the A.1 rule.
    blind_spot = position < 11 and {m11w27_remainder(base), m11w27_remainder(changed[:11])} <= {0, 1}
    if blind_spot:
        assert validate_mynumber(changed) == changed
    else:
        with pytest.raises(DomainError):
            validate_mynumber(changed)


# --- A.2 法人番号 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "check", "full"),
    [
        pytest.param("123456789012", "7", "7123456789012", id="CD-CN-1"),
        pytest.param("835678256246", "5", "5835678256246", id="CD-CN-2"),
        pytest.param("011001098993", "4", "4011001098993", id="CD-CN-3"),
        pytest.param("846563212233", "9", "9846563212233", id="CD-CN-4"),
    ],
)
def test_corporate_number_check_digit_comes_first_as_in_the_worked_examples(
    base: str, check: str, full: str
) -> None:
    assert corporate_check_digit(base) == check
    assert validate_corporate_number(full) == full


@pytest.mark.parametrize("value", [pytest.param("1123456789012", id="CD-CN-5")])
def test_corporate_number_with_a_wrong_check_digit_is_refused(value: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_corporate_number(value)
    assert caught.value.code == "corporate.check_digit"


def test_corporate_number_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        validate_corporate_number("123456789012")
    assert caught.value.code == "corporate.format"
    assert caught.value.reason == "法人番号は13桁の数字です。"


@given(digits(12))
def test_corporate_check_digit_agrees_with_python_stdnum(base: str) -> None:
    check = corporate_check_digit(base)
    assert check == stdnum_cn.calc_check_digit(base)
    assert check in "123456789"
    assert validate_corporate_number(check + base) == check + base


@given(digits(12), st.integers(0, 12), st.sampled_from("0123456789"))
def test_changing_one_digit_of_a_corporate_number_is_detected_unless_it_swaps_0_and_9(
    base: str, position: int, digit: str
) -> None:
    number = corporate_check_digit(base) + base
    changed = replace_digit(number, position, digit)
    assume(changed != number)
    # Weights 1 and 2 modulo 9 cannot see a 0 ↔ 9 substitution in the base.
    blind_spot = position > 0 and {number[position], digit} == {"0", "9"}
    if blind_spot:
        assert validate_corporate_number(changed) == changed
    else:
        with pytest.raises(DomainError):
            validate_corporate_number(changed)


# --- A.3 全国地方公共団体コード ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check", "full"),
    [
        pytest.param("13101", "6", "131016", id="CD-LG-1"),
        pytest.param("13104", "1", "131041", id="CD-LG-2"),
        pytest.param("14150", "0", "141500", id="CD-LG-3"),
        pytest.param("01100", "2", "011002", id="CD-LG-4"),
        pytest.param("27140", "3", "271403", id="CD-LG-5"),
    ],
)
def test_local_government_code_check_digit_follows_the_worked_examples(
    body: str, check: str, full: str
) -> None:
    assert lgcode_check_digit(body) == check
    assert validate_lgcode(full) == full


def test_local_government_code_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        validate_lgcode("131017")
    assert caught.value.code == "lgcode.check_digit"


@given(digits(5), st.integers(0, 5), st.sampled_from("0123456789"))
def test_changing_one_digit_of_a_local_government_code_is_detected_unless_remainders_0_and_10_meet(
    body: str, position: int, digit: str
) -> None:
    code = body + lgcode_check_digit(body)
    changed = replace_digit(code, position, digit)
    assume(changed != code)

    def remainder(five: str) -> int:
        return sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True)) % 11

    # r = 0 and r = 10 both give the check digit 1 (A.3 rule 3).
    blind_spot = position < 5 and {remainder(body), remainder(changed[:5])} <= {0, 10}
    if blind_spot:
        assert validate_lgcode(changed) == changed
    else:
        with pytest.raises(DomainError):
            validate_lgcode(changed)


# --- A.4 宛名番号 / 世帯番号 -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("serial", "check", "number"),
    [
        pytest.param("000001", "9", "0000019", id="CD-AT-1"),
        pytest.param("000123", "6", "0001236", id="CD-AT-2"),
        pytest.param("123456", "0", "1234560", id="CD-AT-3"),
        pytest.param("1234567890", "3", "12345678903", id="CD-AT-4"),
        pytest.param("000100", "7", "0001007", id="CD-AT-7"),
    ],
)
@pytest.mark.parametrize("policy", [ZERO, SKIP])
def test_atena_check_digit_follows_the_worked_examples_under_either_policy(
    serial: str, check: str, number: str, policy: M11Remainder1Policy
) -> None:
    assert atena_check_digit(serial, policy=policy) == check
    assert validate_atena_number(number, policy=policy, serial_length=len(serial)) == number
    assert next_issuable_serial(serial, policy=policy) == serial


@pytest.mark.parametrize(
    ("serial", "zero_number", "skip_next_number"),
    [
        pytest.param("000006", "0000060", "0000078", id="CD-AT-5"),
        pytest.param("000104", "0001040", None, id="CD-AT-6"),
    ],
)
def test_atena_serial_with_remainder_1_depends_on_the_policy(
    serial: str, zero_number: str, skip_next_number: str | None
) -> None:
    assert atena_check_digit(serial, policy=ZERO) == "0"
    assert validate_atena_number(zero_number, policy=ZERO) == zero_number

    assert atena_check_digit(serial, policy=SKIP) is None
    with pytest.raises(DomainError) as caught:
        validate_atena_number(zero_number, policy=SKIP)
    assert caught.value.code == "atena.not_issued"
    following = next_issuable_serial(serial, policy=SKIP)
    assert following != serial
    if skip_next_number is not None:
        assert following + str(atena_check_digit(following, policy=SKIP)) == skip_next_number


def test_atena_serial_length_defaults_to_six_digits_plus_the_check_digit() -> None:
    with pytest.raises(DomainError) as caught:
        validate_atena_number("12345678903")
    assert caught.value.code == "atena.format"
    assert caught.value.reason == "宛名番号は7桁の数字です。"


def test_household_number_refusal_names_the_household_number() -> None:
    with pytest.raises(DomainError) as caught:
        validate_atena_number("0001008", field="household_number")
    assert caught.value.field == "household_number"
    assert caught.value.code == "atena.check_digit"
    with pytest.raises(DomainError) as caught:
        validate_atena_number("12", field="household_number")
    assert caught.value.reason == "世帯番号は7桁の数字です。"


def test_legacy_atena_numbers_are_not_check_digit_validated() -> None:
    assert validate_atena_number("0001008", legacy=True) == "0001008"
    assert validate_atena_number("１２３", legacy=True) == "123"
    with pytest.raises(DomainError) as caught:
        validate_atena_number("A123", legacy=True)
    assert caught.value.code == "atena.format"


def test_next_issuable_serial_reports_an_exhausted_width() -> None:
    assert m11w27_remainder("999999") == 1
    assert next_issuable_serial("999999", policy=ZERO) == "999999"
    with pytest.raises(DomainError) as caught:
        next_issuable_serial("999999", policy=SKIP)
    assert caught.value.code == "atena.serial_exhausted"


@given(st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_atena_check_digit_matches_the_spec_formula_for_any_length(serial: str) -> None:
    remainder = m11w27_remainder(serial)
    expected = "0" if remainder <= 1 else str(11 - remainder)
    assert atena_check_digit(serial, policy=ZERO) == expected
    assert atena_check_digit(serial, policy=SKIP) == (None if remainder == 1 else expected)


@given(digits(6))
def test_next_issuable_serial_skips_exactly_the_serials_with_remainder_1(serial: str) -> None:
    assume(serial < "999990")
    following = next_issuable_serial(serial, policy=SKIP)
    assert following >= serial
    assert m11w27_remainder(following) != 1
    for skipped in range(int(serial), int(following)):
        assert m11w27_remainder(str(skipped).zfill(6)) == 1
    assert next_issuable_serial(serial, policy=ZERO) == serial


@given(digits(6), st.integers(0, 6), st.sampled_from("0123456789"))
def test_changing_one_digit_of_an_atena_number_issued_under_skip_is_always_detected(
    serial: str, position: int, digit: str
) -> None:
    check = atena_check_digit(serial, policy=SKIP)
    assume(check is not None)
    number = serial + str(check)
    changed = replace_digit(number, position, digit)
    assume(changed != number)
    with pytest.raises(DomainError):
        validate_atena_number(changed, policy=SKIP)


# --- A.5 住民票コード -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid_format_only", "valid_candidate"),
    [
        pytest.param("24727059608", True, True, id="CD-JC-1"),
        pytest.param("12345678903", True, True, id="CD-JC-2"),
        pytest.param("00000000060", True, True, id="CD-JC-3"),
        pytest.param("24727059605", True, False, id="CD-JC-4"),
        pytest.param("2472705960", False, False, id="CD-JC-5"),
    ],
)
def test_juminhyo_code_validity_depends_on_the_configured_rule(
    value: str, valid_format_only: bool, valid_candidate: bool
) -> None:
    for rule, valid in ((FORMAT_ONLY, valid_format_only), (CANDIDATE, valid_candidate)):
        if valid:
            assert validate_juminhyo_code(value, rule=rule) == value
        else:
            with pytest.raises(DomainError):
                validate_juminhyo_code(value, rule=rule)


def test_juminhyo_code_defaults_to_the_format_only_rule() -> None:
    assert validate_juminhyo_code("24727059605") == "24727059605"


# --- Normaliser and dispatcher -----------------------------------------------------------


def test_normaliser_turns_full_width_digits_to_ascii_and_drops_spaces_and_hyphens() -> None:
    assert normalize_digits("０１２３４５６７８９") == "0123456789"
    assert normalize_digits(" 12-34‐56－78ー90　") == "1234567890"
    assert normalize_digits("12a") == "12a"


@given(digits(12), st.lists(st.sampled_from([" ", "　", "-", "－", "‐"]), max_size=4))
def test_normaliser_recovers_the_digits_from_full_width_and_separated_input(
    number: str, separators: list[str]
) -> None:
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    decorated = "".join(separators) + full_width[:4] + "".join(separators) + full_width[4:]
    assert normalize_digits(decorated) == number


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("mynumber", "1234-5678-9018"),
        ("corporate", "7123456789012"),
        ("lgcode", "131016"),
        ("atena", "0001236"),
        ("juminhyo", "24727059605"),
    ],
)
def test_dispatcher_validates_every_kind(kind: str, value: str) -> None:
    assert validate_code(kind, value) == normalize_digits(value)


@pytest.mark.parametrize(
    ("kind", "base", "check"),
    [
        ("mynumber", "12345678901", "8"),
        ("corporate", "123456789012", "7"),
        ("lgcode", "13101", "6"),
        ("atena", "000123", "6"),
    ],
)
def test_dispatcher_computes_check_digits(kind: str, base: str, check: str) -> None:
    assert check_digit_for(kind, base) == check


def test_dispatcher_covers_every_documented_kind() -> None:
    assert set(CODE_KINDS) == {"mynumber", "corporate", "lgcode", "atena", "juminhyo"}


def test_juminhyo_check_digit_is_unknown_unless_the_candidate_rule_is_passed() -> None:
    with pytest.raises(DomainError) as caught:
        check_digit_for("juminhyo", "2472705960")
    assert caught.value.code == "juminhyo.formula_unknown"
    assert check_digit_for("juminhyo", "2472705960", juminhyo_rule=CANDIDATE) == "8"


def test_dispatcher_passes_the_juminhyo_rule_and_atena_settings_through() -> None:
    with pytest.raises(DomainError):
        validate_code("juminhyo", "24727059605", juminhyo_rule=CANDIDATE)
    assert validate_code("atena", "12345678903", atena_serial_length=10) == "12345678903"
    with pytest.raises(DomainError):
        validate_code("atena", "0000060", atena_policy=SKIP)


def test_dispatcher_refuses_a_serial_that_skip_never_issues() -> None:
    assert check_digit_for("atena", "000006") == "0"
    with pytest.raises(DomainError) as caught:
        check_digit_for("atena", "000006", atena_policy=SKIP)
    assert caught.value.code == "atena.serial_not_issuable"


@pytest.mark.parametrize("call", [validate_code, check_digit_for])
def test_dispatcher_refuses_an_unknown_kind(call: Callable[[str, str], str]) -> None:
    with pytest.raises(DomainError) as caught:
        call("passport", "123")
    assert caught.value.code == "checkdigit.unknown_kind"
    assert caught.value.field == "kind"


@pytest.mark.parametrize(
    ("function", "base"),
    [
        (mynumber_check_digit, "1234567890"),
        (corporate_check_digit, "12345678901a"),
        (lgcode_check_digit, "１３１０１"),
        (atena_check_digit, ""),
    ],
)
def test_check_digit_functions_refuse_malformed_bases(
    function: Callable[[str], str | None], base: str
) -> None:
    with pytest.raises(DomainError):
        function(base)
