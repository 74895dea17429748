"""The shared CS member list as every node validates it (jukinet.common.shared_cs; pure Python)."""

from __future__ import annotations

from typing import Any

import pytest

from jumin.domain.errors import DomainError
from jumin.jukinet.common.shared_cs import (
    CLAIMED_ELSEWHERE,
    Member,
    claimed_elsewhere,
    may_act_for,
    members_from_payload,
)

SASEBO, SAZA, NAGASAKI = "422029", "423831", "422011"


def payload(*members: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"members": list(members), "operator_id": "netop", "terminal_id": "T-01", **changes}


def test_a_valid_list_is_read_and_an_empty_one_means_no_longer_shared() -> None:
    read = members_from_payload(payload({"municipality_code": SAZA, "name": " 佐々町 "}))
    assert read == (Member(SAZA, "佐々町"),)
    assert members_from_payload(payload()) == ()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (payload({"municipality_code": "423830", "name": "佐々町"}), "members.0.municipality_code"),
        (payload({"municipality_code": SAZA, "name": ""}), "members.0"),
        (payload({"municipality_code": SAZA, "name": "佐々町", "extra": 1}), "members.0"),
        (payload(*[{"municipality_code": SAZA, "name": "佐々町"}] * 2), "members"),
        (payload(resident_code="x"), "payload"),
    ],
)
def test_a_bad_list_is_refused_naming_the_field(bad: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as raised:
        members_from_payload(bad)
    assert raised.value.field == field


def test_who_may_send_for_a_municipality() -> None:
    assert may_act_for(SAZA, SAZA, None)  # not a member of a shared CS: itself
    assert not may_act_for(SASEBO, SAZA, None)
    assert may_act_for(SASEBO, SAZA, SASEBO)  # a member: its shared CS only
    assert not may_act_for(SAZA, SAZA, SASEBO)
    assert not may_act_for(NAGASAKI, SAZA, SASEBO)


def test_a_municipality_of_another_shared_cs_cannot_be_claimed() -> None:
    members = (Member(SAZA, "佐々町"),)
    error = claimed_elsewhere(NAGASAKI, members, {SAZA: SASEBO})
    assert error is not None
    assert error.code == CLAIMED_ELSEWHERE
    assert claimed_elsewhere(SASEBO, members, {SAZA: SASEBO}) is None
