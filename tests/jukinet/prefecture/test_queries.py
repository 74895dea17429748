"""QUERY_IDENTITY at the 都道府県サーバ and the selectors the provision terminals use."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE, QUERY_IDENTITY
from jumin.jukinet.prefecture.queries import answer_query
from jumin.jukinet.prefecture.selectors import (
    find_by_individual_number,
    find_by_resident_code,
    search_four_items,
)
from jumin.jukinet.prefecture.updates import apply_identity_update
from jumin.messaging import services
from jumin.messaging.envelope import new_envelope
from jumin.messaging.testing import TestFederation
from tests.jukinet.prefecture.helpers import CHIYODA, PREFECTURE, SASEBO, PrefectureNode, notice

pytestmark = pytest.mark.django_db


def query(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "by": "four_items",
        "resident_code": "",
        "individual_number": "",
        "name": "",
        "name_kana": "",
        "birth_date": "",
        "sex": "",
        "address": "",
        "include_removed": False,
        "purpose": "本人確認情報検索",
        "operator_id": "clerk01",
        "terminal_id": "T001",
    }
    base.update(changes)
    return base


def test_search_by_each_key_finds_the_person_and_is_audited(prefecture: PrefectureNode) -> None:
    person = notice(name="検索　一郎", name_kana="ケンサク　イチロウ", birth_date="19700707")
    prefecture.send(SASEBO, person)
    prefecture.send(SASEBO, notice())

    by_code = answer_query(query(by="resident_code", resident_code=person["resident_code"]), SASEBO)
    by_number = answer_query(
        query(by="individual_number", individual_number=person["individual_number"]), SASEBO
    )
    by_name = answer_query(query(name="検索一郎", birth_date="19700707"), SASEBO)
    by_kana = answer_query(query(name_kana="ケンサクイチロウ", address="長崎県佐世保市"), SASEBO)

    for answer in (by_code, by_number, by_name, by_kana):
        assert answer["records"] == [person]
        assert answer["truncated"] is False
    entries = AuditEntry.objects.filter(action="prefecture:identity:query")
    assert entries.count() == 4
    assert {e.purpose for e in entries} == {"本人確認情報検索"}
    assert person["individual_number"] not in " ".join(e.reason + e.query_summary for e in entries)


def test_removed_people_are_found_only_when_asked(prefecture: PrefectureNode) -> None:
    person = notice()
    prefecture.send(SASEBO, person)
    prefecture.send(SASEBO, {**person, "change_reason": "死亡", "removed": True, "update_seq": 2})

    assert (
        answer_query(query(by="resident_code", resident_code=person["resident_code"]), SASEBO)["records"]
        == []
    )
    found = answer_query(
        query(by="resident_code", resident_code=person["resident_code"], include_removed=True), SASEBO
    )
    assert found["records"][0]["removed"] is True


def test_a_search_with_one_item_is_refused(prefecture: PrefectureNode) -> None:
    with pytest.raises(DomainError):
        answer_query(query(name="検索一郎"), SASEBO)


def test_a_municipality_outside_the_prefecture_may_not_ask(prefecture: PrefectureNode) -> None:
    with pytest.raises(DomainError) as caught:
        answer_query(query(by="resident_code", resident_code=notice()["resident_code"]), CHIYODA)
    assert caught.value.code == "jukinet.prefecture.outside_prefecture"


def test_more_than_fifty_matches_are_truncated(prefecture: PrefectureNode) -> None:
    for _ in range(51):
        prefecture.send(SASEBO, notice(name="同名　太郎", birth_date="20000101"))

    answer = answer_query(query(name="同名太郎", birth_date="20000101"), SASEBO)

    assert len(answer["records"]) == 50
    assert answer["truncated"] is True


def test_the_selectors_return_the_28_items(prefecture: PrefectureNode) -> None:
    person = notice(name="選択　花", birth_date="19991231")
    prefecture.send(SASEBO, person)

    items = find_by_resident_code(person["resident_code"])
    assert items is not None
    assert len([f for f in items.__dataclass_fields__ if f != "record_id"]) == 28
    assert items.individual_number == ""  # only when asked for
    with_number = find_by_individual_number(person["individual_number"], with_individual_number=True)
    assert with_number is not None
    assert with_number.individual_number == person["individual_number"]
    assert with_number.received_on
    found, truncated = search_four_items(name="選択 花", birth_date="19991231")
    assert [f.resident_code for f in found] == [person["resident_code"]]
    assert truncated is False


def test_the_cs_asks_through_the_signed_query(federation: TestFederation) -> None:
    person = notice()
    with federation.acting_as(PREFECTURE), transaction.atomic():
        apply_identity_update(
            new_envelope(
                type=IDENTITY_UPDATE, sender=SASEBO, receiver=PREFECTURE, subject="s", seq=1, payload=person
            )
        )
    with federation.acting_as(SASEBO):
        answer = services.query(
            query_type=QUERY_IDENTITY,
            receiver=PREFECTURE,
            payload=query(by="resident_code", resident_code=person["resident_code"]),
        )
    assert answer == {"records": [person], "truncated": False}
