"""The field checks shared by every jukinet.common validator (jukinet/common/fields.py).

One definition of 操作者ID, 生年月日, the exact key set and the JSON types: a value one message
refuses is refused by every other message that carries the same item.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from jumin.domain.errors import DomainError
from jumin.jukinet.common import fields
from jumin.jukinet.common.fuhyo import fuhyo_from_payload
from jumin.jukinet.common.notice import notice_from_payload
from jumin.jukinet.common.queries import validate_card_issue
from jumin.jukinet.common.sending_address import make_sending_address
from tests.jukinet.prefecture.helpers import fuhyo, notice

# A month unknown but a day given: std 1.1.8 allows 00 for an unknown day, or for both, never this.
MONTH_UNKNOWN_DAY_KNOWN = "19800012"


def sending_source(**changes: Any) -> dict[str, Any]:
    """The source items of a valid synthetic 送付先情報 record."""
    source: dict[str, Any] = {
        "control_number": "0123456789abcdef0123456789abcdef",
        "mail_postal_code": "8570000",
        "mail_address": "長崎県佐世保市試験町1番",
        "mail_name": "試験\u3000太郎",
        "municipality_code": "422029",
        "municipality_name": "佐世保市",
        "municipality_postal_code": "8578585",
        "municipality_address": "長崎県佐世保市八幡町1番10号",
        "municipality_phone": "0956-24-1111",
        "issuing_place_name": "佐世保市役所",
        "issuing_place_postal_code": "8578585",
        "issuing_place_address": "長崎県佐世保市八幡町1番10号",
        "issuing_place_phone": "0956-24-1111",
        "card_delivery_name": "佐世保市役所",
        "card_delivery_postal_code": "8578585",
        "card_delivery_address": "長崎県佐世保市八幡町1番10号",
        "card_delivery_phone": "0956-24-1111",
        "batch_count": 1,
        "processing_date": "20260105",
        "operator_id": "clerk01",
        "terminal_id": "T-TEST-01",
        "print_category": "1",
        "resident_code": notice()["resident_code"],
        "name": "試験\u3000太郎",
        "name_kana": "シケン\u3000タロウ",
        "postal_code": "8570000",
        "address": "長崎県佐世保市試験町1番",
        "birth_date": "19800401",
        "sex": "male",
        "individual_number": notice()["individual_number"],
        "foreign_category": "",
        "stay_expiry_date": "",
        "former_surname": "",
        "former_surname_kana": "",
        "former_surname_gaiji_seq": 0,
        "romanised_name": "",
        "romanised_former_surname": "",
    }
    source.update(changes)
    return source


@pytest.mark.parametrize("value", ["19800401", "19800400", "19800000", "00000000"])
def test_known_and_unknown_birth_dates_are_accepted(value: str) -> None:
    fields.check_birth_date(value, allow_empty=False, field_code="jukinet.test")


@pytest.mark.parametrize("value", [MONTH_UNKNOWN_DAY_KNOWN, "19801301", "19800432", "1980041", "", 19800401])
def test_malformed_birth_dates_are_refused_without_repeating_the_value(value: object) -> None:
    with pytest.raises(DomainError) as refused:
        fields.check_birth_date(value, allow_empty=False, field_code="jukinet.test")
    assert (refused.value.field, refused.value.code) == ("birth_date", "jukinet.test")
    assert not value or str(value) not in refused.value.reason


def test_an_empty_birth_date_is_accepted_only_where_allowed() -> None:
    fields.check_birth_date("", allow_empty=True, field_code="jukinet.test")


def test_every_validator_refuses_a_known_day_of_an_unknown_month() -> None:
    with pytest.raises(DomainError) as by_notice:
        notice_from_payload(notice(birth_date=MONTH_UNKNOWN_DAY_KNOWN))
    with pytest.raises(DomainError) as by_fuhyo:
        fuhyo_from_payload(fuhyo(birth_date=MONTH_UNKNOWN_DAY_KNOWN))
    with pytest.raises(DomainError) as by_sending_address:
        make_sending_address(**sending_source(birth_date=MONTH_UNKNOWN_DAY_KNOWN))
    card_issue = {
        "resident_code": notice()["resident_code"],
        "public_key": "A" * 43,
        "birth_date": MONTH_UNKNOWN_DAY_KNOWN,
        "operator_id": "clerk01",
        "terminal_id": "T001",
    }
    with pytest.raises(DomainError) as by_query:
        validate_card_issue(card_issue)
    refusals = (by_notice, by_fuhyo, by_sending_address, by_query)
    assert {caught.value.field for caught in refusals} == {"birth_date"}
    assert [caught.value.code for caught in refusals] == [
        "jukinet.notice",
        "jukinet.fuhyo",
        "jukinet.sending_address",
        "jukinet.query",
    ]
    # The valid forms still pass everywhere.
    notice_from_payload(notice(birth_date="19800000"))
    fuhyo_from_payload(fuhyo(birth_date="19800000"))
    make_sending_address(**sending_source(birth_date="19800000"))


@pytest.mark.parametrize("bad", ["", "田中", "a b", "x" * 65, None])
def test_operator_and_terminal_ids_are_checked_the_same_way_by_every_validator(bad: object) -> None:
    for name in ("operator_id", "terminal_id"):
        with pytest.raises(DomainError) as by_notice:
            notice_from_payload(notice(**{name: bad}))
        with pytest.raises(DomainError) as by_fuhyo:
            fuhyo_from_payload(fuhyo(**{name: bad}))
        with pytest.raises(DomainError) as by_sending_address:
            make_sending_address(**sending_source(**{name: bad}))
        caught = (by_notice, by_fuhyo, by_sending_address)
        assert all(item.value.field == name for item in caught), name


def test_the_exact_key_set_and_the_types_are_required() -> None:
    payload = {"a": 1, "b": True, "c": "x"}
    assert fields.require_keys(payload, ("a", "b", "c"), "jukinet.test", what="試験") is payload
    for bad in ({"a": 1, "b": True}, {**payload, "d": ""}, ["a", "b", "c"]):
        with pytest.raises(DomainError) as refused:
            fields.require_keys(bad, ("a", "b", "c"), "jukinet.test", what="試験")
        assert (refused.value.field, refused.value.code) == ("payload", "jukinet.test")
    check = {"ints": {"a"}, "bools": {"b"}, "required": {"c"}, "what": "試験"}
    fields.check_types(payload, payload, "jukinet.test", **check)  # type: ignore[arg-type]
    for name, value in (("a", True), ("a", -1), ("a", "1"), ("b", 1), ("c", " "), ("c", "x" * 201), ("c", 3)):
        with pytest.raises(DomainError) as refused:
            fields.check_types({**payload, name: value}, payload, "jukinet.test", **check)  # type: ignore[arg-type]
        assert refused.value.field == name


def test_each_postal_code_of_a_sending_address_is_checked() -> None:
    for name in (
        "mail_postal_code",
        "municipality_postal_code",
        "issuing_place_postal_code",
        "card_delivery_postal_code",
        "postal_code",
    ):
        with pytest.raises(DomainError) as refused:
            make_sending_address(**sending_source(**{name: "857-0000"}))
        assert refused.value.field == name


def test_a_notice_payload_is_every_item_as_asdict_gives_it_and_reads_back_the_same() -> None:
    payload = notice(former_surname="旧姓", former_surname_gaiji_count=1, gaiji_flag=True)
    built = notice_from_payload(payload)

    produced = built.as_payload()

    assert produced == dataclasses.asdict(built)
    assert list(produced) == [field.name for field in dataclasses.fields(built)]
    assert produced is not built.as_payload()  # a new dict each time: callers may change it
    assert notice_from_payload(produced) == built
