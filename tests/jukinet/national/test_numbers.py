"""住民票コード issuance and 個人番号 generation (N3)."""

from __future__ import annotations

import pytest
from django.db import transaction

from jumin.audit.models import AuditEntry
from jumin.crypto.derived import INDIVIDUAL_NUMBER_GENERATION, derived_key
from jumin.crypto.models import filter_by_individual_number
from jumin.domain.checkdigits import validate_juminhyo_code, validate_mynumber
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import QUERY_INDIVIDUAL_NUMBER, QUERY_RESIDENT_CODES
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.jukinet.national.models import IndividualNumberRegister, ResidentCode
from jumin.jukinet.national.services import numbers
from jumin.jukinet.national.services.numbers import (
    answer_individual_number,
    answer_resident_codes,
    candidate_number,
    issue_resident_codes,
)
from tests.jukinet.national.helpers import MUNICIPALITY, PREFECTURE, envelope

pytestmark = pytest.mark.django_db


def ask_codes(count: int, sender=MUNICIPALITY) -> dict:
    payload = {"count": count, "operator_id": "clerk01", "terminal_id": "T001"}
    with transaction.atomic():
        return answer_resident_codes(envelope(QUERY_RESIDENT_CODES, payload, sender=sender))


def ask_number(resident_code: str, change: bool = False) -> str:
    payload = {
        "resident_code": resident_code,
        "change": change,
        "operator_id": "clerk01",
        "terminal_id": "T001",
    }
    with transaction.atomic():
        return answer_individual_number(envelope(QUERY_INDIVIDUAL_NUMBER, payload, sender=MUNICIPALITY))[
            "individual_number"
        ]


def test_codes_are_valid_distinct_and_recorded_with_the_municipality() -> None:
    codes = ask_codes(300)["codes"]
    assert len(set(codes)) == 300
    for code in codes:
        validate_juminhyo_code(code, rule=RESIDENT_CODE_RULE)
    rows = ResidentCode.objects.filter(code__in=codes)
    assert rows.count() == 300
    assert set(rows.values_list("municipality_code", "source")) == {("422029", "issued")}
    entry = AuditEntry.objects.filter(action="national:resident_code:issue").latest("seq")
    assert entry.result_count == 300
    assert entry.terminal_id == "T001"


def test_a_code_already_known_is_never_issued_again(monkeypatch: pytest.MonkeyPatch) -> None:
    (taken,) = issue_resident_codes(1, municipality_code="422029")
    fresh = issue_resident_codes(1, municipality_code="422011")[0]
    sequence = iter([taken, taken, fresh])
    monkeypatch.setattr("jumin.jukinet.national.services.numbers.new_resident_code", lambda: next(sequence))
    ResidentCode.objects.filter(code=fresh).delete()
    assert issue_resident_codes(1, municipality_code="422029") == [fresh]


def test_only_a_municipality_may_ask_for_codes() -> None:
    with pytest.raises(DomainError) as caught:
        ask_codes(1, sender=PREFECTURE)
    assert caught.value.code == "jukinet.national.sender_not_municipality"


def test_the_same_code_gets_the_same_number_until_a_change() -> None:
    (code,) = ask_codes(1)["codes"]
    first = ask_number(code)
    validate_mynumber(first)
    assert ask_number(code) == first
    changed = ask_number(code, change=True)
    assert changed != first
    validate_mynumber(changed)
    old = filter_by_individual_number(IndividualNumberRegister.objects.all(), first).get()
    assert old.status == "abolished"
    assert old.abolished_at is not None
    assert ask_number(code) == changed
    entry = AuditEntry.objects.filter(action="national:individual_number:issue").latest("seq")
    assert entry.individual_number_used
    assert first not in entry.reason
    assert changed not in entry.reason


def test_the_number_is_the_keyed_one_way_derivation() -> None:
    (code,) = ask_codes(1)["codes"]
    key = derived_key(INDIVIDUAL_NUMBER_GENERATION)
    assert ask_number(code) == candidate_number(key, code, 1)
    assert candidate_number(key, code, 1) != candidate_number(b"\x00" * 32, code, 1)


def test_a_number_ever_used_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    first_code, second_code = ask_codes(2)["codes"]
    taken = ask_number(first_code)
    ask_number(first_code, change=True)  # the first number is now abolished, still never reused
    real = candidate_number

    def colliding(key: bytes, resident_code: str, counter: int) -> str:
        return taken if counter == 1 else real(key, resident_code, counter)

    monkeypatch.setattr("jumin.jukinet.national.services.numbers.candidate_number", colliding)
    number = ask_number(second_code)
    assert number != taken
    row = filter_by_individual_number(IndividualNumberRegister.objects.all(), number).get()
    assert row.counter == 2


def test_the_generation_key_is_derived_once_per_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counting(purpose: str) -> bytes:
        calls.append(purpose)
        return derived_key(purpose)

    monkeypatch.setattr(numbers, "derived_key", counting)
    monkeypatch.setattr(numbers, "_generation_key", None)
    first, second = ask_codes(2)["codes"]
    ask_number(first)
    ask_number(second)
    ask_number(second, change=True)
    assert calls == [INDIVIDUAL_NUMBER_GENERATION]


def test_an_unknown_resident_code_gets_no_number() -> None:
    (code,) = issue_resident_codes(1, municipality_code="422029")
    ResidentCode.objects.filter(code=code).delete()
    with pytest.raises(DomainError) as caught:
        ask_number(code)
    assert caught.value.code == "jukinet.national.unknown_resident_code"
    assert not IndividualNumberRegister.objects.filter(resident_code=code).exists()


def test_the_derived_key_is_stable_and_bound_to_its_purpose() -> None:
    assert derived_key(INDIVIDUAL_NUMBER_GENERATION) == derived_key(INDIVIDUAL_NUMBER_GENERATION)
    assert derived_key(INDIVIDUAL_NUMBER_GENERATION) != derived_key("another.purpose.v1")
    with pytest.raises(ValueError, match="purpose"):
        derived_key("")
