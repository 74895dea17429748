"""The shared query and card-message validators (jumin.jukinet.common.queries): pure Python."""

from __future__ import annotations

from typing import Any

import pytest

from jumin.domain.errors import DomainError
from jumin.jukinet.common import queries
from tests.jukinet.national.helpers import CardKey, notice
from tests.jukinet.synthetic import individual_number

RESIDENT_CODE = notice()["resident_code"]


def identity_query(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "by": "four_items",
        "resident_code": "",
        "individual_number": "",
        "name": "試験太郎",
        "name_kana": "",
        "birth_date": "19800102",
        "sex": "",
        "address": "",
        "include_removed": False,
        "purpose": "本人確認",
        "operator_id": "clerk01",
        "terminal_id": "T001",
    }
    payload.update(changes)
    return payload


def test_a_four_item_query_with_two_items_passes() -> None:
    queries.validate_identity_query(identity_query())
    queries.validate_identity_query(
        identity_query(name="", name_kana="シケンタロウ", birth_date="", address="長崎県")
    )
    queries.validate_identity_query(identity_query(name="", birth_date="19800102", address="長崎県"))


@pytest.mark.parametrize(
    "changes",
    [
        {"birth_date": ""},  # name only
        {"name": "", "sex": "male"},  # birth date and sex: sex never counts
        {"name": "＊＊", "address": ""},  # a wildcard-only name does not count
        {"name": "", "name_kana": "", "birth_date": "", "address": "長崎県"},
    ],
)
def test_a_four_item_query_with_fewer_than_two_items_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as caught:
        queries.validate_identity_query(identity_query(**changes))
    assert caught.value.code == "jukinet.query.too_few_items"


def test_queries_by_key_need_that_key_only() -> None:
    queries.validate_identity_query(
        identity_query(by="resident_code", resident_code=RESIDENT_CODE, name="", birth_date="")
    )
    number = individual_number()
    queries.validate_identity_query(
        identity_query(by="individual_number", individual_number=number, name="", birth_date="")
    )
    with pytest.raises(DomainError) as caught:
        queries.validate_identity_query(identity_query(by="resident_code", resident_code=RESIDENT_CODE))
    assert caught.value.code == "jukinet.query"
    assert "試験" not in caught.value.reason


@pytest.mark.parametrize(
    "changes",
    [
        {"purpose": ""},
        {"purpose": "x" * 101},
        {"operator_id": "名前"},
        {"include_removed": "no"},
        {"by": "name"},
        {"sex": "other"},
        {"birth_date": "1980-01-02"},
    ],
)
def test_malformed_identity_queries_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(DomainError):
        queries.validate_identity_query(identity_query(**changes))


def test_unknown_or_missing_keys_are_refused() -> None:
    with pytest.raises(DomainError):
        queries.validate_identity_query({**identity_query(), "extra": ""})
    payload = identity_query()
    del payload["purpose"]
    with pytest.raises(DomainError):
        queries.validate_identity_query(payload)


def test_the_identity_answer_holds_notices_and_at_most_fifty() -> None:
    queries.validate_identity_answer({"records": [notice()], "truncated": False})
    with pytest.raises(DomainError):
        queries.validate_identity_answer({"records": [notice()] * 51, "truncated": True})
    with pytest.raises(DomainError):
        queries.validate_identity_answer({"records": [{**notice(), "secret": 1}], "truncated": False})


def test_the_card_challenge_is_the_documented_string() -> None:
    assert queries.card_challenge("12345678901", "ABCDEF123456", "0" * 32, "2026-01-01T00:00:00Z") == (
        b"jumin-card-auth/1|12345678901|ABCDEF123456|00000000000000000000000000000000|2026-01-01T00:00:00Z"
    )


def test_a_card_verification_payload_is_checked() -> None:
    key = CardKey()
    good = key.verify_payload(RESIDENT_CODE, "ABCDEF123456")
    queries.validate_verify_card(good)
    for field, bad in (
        ("card_serial", "abcdef123456"),
        ("nonce", "A" * 32),
        ("signed_at", "2026-01-01T00:00:00+09:00"),
        ("signature", good["signature"] + "=="),
        ("signature", good["signature"][:-4]),
    ):
        with pytest.raises(DomainError) as caught:
            queries.validate_verify_card({**good, field: bad})
        assert caught.value.field == field


def test_card_issue_and_number_payloads() -> None:
    key = CardKey()
    issue = {
        "resident_code": RESIDENT_CODE,
        "public_key": key.public_b64,
        "birth_date": "20100101",
        "operator_id": "c",
        "terminal_id": "t",
    }
    queries.validate_card_issue(issue)
    with pytest.raises(DomainError):
        queries.validate_card_issue({**issue, "public_key": key.public_b64[:-2]})
    queries.validate_card_issue_answer({"card_serial": "0123456789AB", "valid_until": "2036-01-01"})
    queries.validate_resident_codes({"count": 1000, "operator_id": "c", "terminal_id": "t"})
    for count in (0, 1001, True, "5"):
        with pytest.raises(DomainError):
            queries.validate_resident_codes({"count": count, "operator_id": "c", "terminal_id": "t"})
    with pytest.raises(DomainError):
        queries.validate_resident_codes_answer({"codes": [RESIDENT_CODE, RESIDENT_CODE]})
    queries.validate_individual_number_query(
        {"resident_code": RESIDENT_CODE, "change": False, "operator_id": "c", "terminal_id": "t"}
    )
    queries.validate_individual_number_answer({"individual_number": individual_number()})
    with pytest.raises(DomainError):
        queries.validate_individual_number_answer({"individual_number": "12345678901"})


def test_card_events_and_rejections() -> None:
    event = {
        "card_serial": "0123456789AB",
        "resident_code": RESIDENT_CODE,
        "event": "suspend",
        "event_date": "2026-02-01",
        "municipality_code": "422029",
        "reason": "紛失",
        "operator_id": "c",
        "terminal_id": "t",
    }
    queries.validate_card_event(event)
    for field, bad in (
        ("event", "lose"),
        ("event_date", "2026-02-30"),
        ("municipality_code", "422020"),
        ("reason", "x" * 101),
    ):
        with pytest.raises(DomainError):
            queries.validate_card_event({**event, field: bad})
    rejection = {
        "rejected_message_id": "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
        "rejected_subject": "r1",
        "update_seq": 3,
        "code": "jukinet.national.out_of_order",
        "reason": "理由",
        "remedy": "",
    }
    queries.validate_rejection(rejection)
    with pytest.raises(DomainError):
        queries.validate_rejection(
            {**rejection, "rejected_message_id": rejection["rejected_message_id"].upper()}
        )
