"""Payloads of 特例転入 between two CS: 転出証明書情報, 送信依頼 and its refusal, 転入通知 (pure checks)."""

from __future__ import annotations

from typing import Any

import pytest

from jumin.domain.errors import DomainError
from jumin.jukinet.common import schemas
from jumin.jukinet.common.catalogue import (
    MOVE_IN_NOTICE,
    MOVE_OUT_CERTIFICATE,
    MOVE_OUT_CERTIFICATE_REFUSED,
    MOVE_OUT_CERTIFICATE_REQUEST,
)
from jumin.jukinet.common.move_out_certificate import certificate_from_payload, move_in_notice_from_payload
from tests.jukinet.cs.factories import individual_number, resident_code


def certificate(**overrides: Any) -> dict[str, Any]:
    """A valid synthetic 転出証明書情報 payload."""
    values: dict[str, Any] = {
        "control_number": "422029-1",
        "resident_code": resident_code(1),
        "individual_number": individual_number(1),
        "name": "試験\u3000太郎",
        "name_kana": "シケン\u3000タロウ",
        "birth_date": "19800401",
        "sex": "male",
        "address": "長崎県佐世保市相生町1番1号",
        "municipality_code": "422029",
        "household_head": "試験\u3000太郎",
        "relationship": "世帯主",
        "honseki": "長崎県佐世保市八幡町1番地",
        "hittousha": "試験\u3000太郎",
        "destination": "長崎県長崎市江戸町2番13号",
        "destination_municipality_code": "422011",
        "planned_date": "2026-11-30",
        "notification_date": "2026-11-20",
        "operator_id": "clerk01",
        "terminal_id": "T-01",
        "foreign": None,
    }
    values.update(overrides)
    return values


def foreign_items(**overrides: str) -> dict[str, str]:
    """A 中長期在留者's 30条の45 items and 通称 (synthetic)."""
    values = {
        "nationality_code": "704",
        "category": "中長期在留者",
        "alphabet_name": "NGUYEN VAN AN",
        "residence_status": "技術・人文知識・国際業務",
        "period_of_stay": "5年",
        "stay_expiry_date": "2029-03-31",
        "residence_card_number": "AB12345678CD",
        "special_permanent_resident_number": "",
        "landing_period": "",
        "provisional_stay_period": "",
        "transitional_reason": "",
        "alias": "阮　安",
        "alias_kana": "グエン　アン",
    }
    values.update(overrides)
    return values


def foreign_certificate(**items: str) -> dict[str, Any]:
    return certificate(
        name="NGUYEN VAN AN\u3000",
        honseki="",
        hittousha="",
        relationship="世帯主",
        foreign=foreign_items(**items),
    )


def notice(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "resident_code": resident_code(1),
        "control_number": "422029-1",
        "move_in_date": "2026-11-30",
        "notice_date": "2026-12-01",
        "new_address": "長崎県長崎市江戸町2番13号",
        "new_municipality_code": "422011",
        "notification_kind": "届出",
        "special": True,
        "operator_id": "clerk02",
        "terminal_id": "T-02",
    }
    values.update(overrides)
    return values


def refused(payload: dict[str, Any], validate: Any) -> DomainError:
    with pytest.raises(DomainError) as error:
        validate(payload)
    return error.value


def test_a_valid_certificate_is_read_and_erased_thirty_days_after_the_planned_date() -> None:
    read = certificate_from_payload(certificate())
    assert read.erase_on.isoformat() == "2026-12-30"
    assert "individual_number" not in read.items_without_number()
    assert read.as_payload() == certificate()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("resident_code", resident_code(1)[:-1] + str((int(resident_code(1)[-1]) + 1) % 10)),
        ("individual_number", individual_number(1)[:-1] + str((int(individual_number(1)[-1]) + 1) % 10)),
        ("destination_municipality_code", "422012"),
        ("planned_date", "2026-13-01"),
        ("sex", "x"),
        ("name", " "),
    ],
)
def test_a_wrong_item_of_the_certificate_is_refused_naming_the_field(field: str, value: str) -> None:
    error = refused(certificate(**{field: value}), certificate_from_payload)
    assert error.field == field
    assert value not in error.reason


def test_a_certificate_from_a_sender_without_the_foreign_item_is_a_japanese_residents() -> None:
    older = certificate()
    del older["foreign"]
    assert certificate_from_payload(older).foreign is None


def test_a_foreign_residents_certificate_carries_the_30条の45_items_and_the_alias() -> None:
    read = certificate_from_payload(foreign_certificate())
    assert read.foreign == foreign_items()
    assert read.as_payload() == foreign_certificate()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (foreign_certificate(residence_card_number=""), "foreign.residence_card_number"),
        (foreign_certificate(residence_card_number="12345678"), "foreign.residence_card_number"),
        (foreign_certificate(category="観光"), "foreign.foreign_category"),
        (foreign_certificate(nationality_code=""), "foreign.nationality_code"),
        ({**foreign_certificate(), "honseki": "長崎県佐世保市八幡町1番地"}, "honseki"),
        ({**foreign_certificate(), "foreign": {**foreign_items(), "honseki": "x"}}, "foreign"),
        ({**foreign_certificate(), "foreign": "704"}, "foreign"),
    ],
)
def test_a_foreign_residents_items_are_checked_like_the_registry_checks_them(
    payload: dict[str, Any], field: str
) -> None:
    assert refused(payload, certificate_from_payload).field == field


def test_a_move_within_the_same_municipality_is_not_a_certificate() -> None:
    error = refused(certificate(destination_municipality_code="422029"), certificate_from_payload)
    assert error.field == "destination_municipality_code"


def test_a_late_move_out_is_not_a_special_move_out() -> None:
    error = refused(certificate(notification_date="2026-12-15"), certificate_from_payload)
    assert error.field == "notification_date"


def test_every_item_is_required_and_nothing_else_is_accepted() -> None:
    payload = certificate()
    del payload["household_head"]
    assert refused(payload, certificate_from_payload).field == "payload"
    assert refused({**certificate(), "extra": "x"}, certificate_from_payload).field == "payload"


def test_the_move_in_notice_never_carries_the_individual_number() -> None:
    assert move_in_notice_from_payload(notice()).special is True
    with_number = {**notice(), "individual_number": individual_number(1)}
    assert refused(with_number, move_in_notice_from_payload).field == "payload"
    assert refused(notice(move_in_date="2026-12-02"), move_in_notice_from_payload).field == "move_in_date"
    assert refused(notice(notification_kind="x"), move_in_notice_from_payload).field == "notification_kind"


def test_the_resend_request_and_its_refusal_carry_no_specific_personal_information() -> None:
    validate_request = schemas.MESSAGES[MOVE_OUT_CERTIFICATE_REQUEST]
    request = {
        "resident_code": resident_code(1),
        "requester_code": "422011",
        "operator_id": "c",
        "terminal_id": "t",
    }
    validate_request(request)
    assert (
        refused({**request, "individual_number": individual_number(1)}, validate_request).field == "payload"
    )
    assert refused({**request, "resident_code": "12345678901"}, validate_request).field == "resident_code"
    validate_refused = schemas.MESSAGES[MOVE_OUT_CERTIFICATE_REFUSED]
    answer = {"resident_code": resident_code(1), "code": "jukinet.x", "reason": "理由", "remedy": ""}
    validate_refused(answer)
    assert refused({**answer, "code": "Bad Code"}, validate_refused).field == "code"


def test_the_types_are_registered_with_their_validators() -> None:
    assert schemas.MESSAGES[MOVE_OUT_CERTIFICATE] is not None
    assert schemas.MESSAGES[MOVE_IN_NOTICE] is not None
