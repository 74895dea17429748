"""The national node inside a federation: ordered messages through the outbox, queries signed both ways."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common import catalogue
from jumin.jukinet.national.models import Card, IdentityRecord, UpdateRefusal
from jumin.jukinet.national.services.identity import apply_identity_update
from jumin.messaging import services
from jumin.messaging.envelope import NodeRef, decode_verified
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from tests.jukinet.national.helpers import (
    MUNICIPALITY,
    NATIONAL,
    OTHER_PREFECTURE,
    PREFECTURE,
    CardKey,
    envelope,
    notice,
)

pytestmark = pytest.mark.django_db


def send_update(
    federation: TestFederation, payload: dict[str, Any], *, sender: NodeRef = PREFECTURE, subject: str = "p1"
) -> None:
    with federation.acting_as(sender), transaction.atomic():
        services.enqueue(
            message_type=catalogue.IDENTITY_UPDATE, receiver=NATIONAL, subject=subject, payload=payload
        )
    federation.pump()


def ask(
    federation: TestFederation, query_type: str, payload: dict[str, Any], sender: NodeRef = MUNICIPALITY
) -> dict[str, Any]:
    # No transaction around the question: in the shared test database a refusal would roll back the
    # answering node's audit entry too (separate databases in a real federation).
    with federation.acting_as(sender):
        return services.query(query_type=query_type, receiver=NATIONAL, payload=payload)


def rejections(receiver: NodeRef) -> list[dict[str, Any]]:
    rows = OutboxMessage.objects.filter(
        sender_kind="national",
        receiver_kind=receiver.kind,
        receiver_code=receiver.code,
        type=catalogue.IDENTITY_UPDATE_REJECTED,
    )
    return [decode_verified(row.token).payload for row in rows.order_by("id")]


def test_a_prefecture_update_reaches_the_national_file(federation: TestFederation) -> None:
    payload = notice()
    send_update(federation, payload)
    record = IdentityRecord.objects.get(resident_code=payload["resident_code"])
    assert record.sender_code == PREFECTURE.code
    assert record.municipality_code == payload["municipality_code"]


def test_a_replayed_refused_update_is_refused_once_and_changes_nothing(federation: TestFederation) -> None:
    message = envelope(catalogue.IDENTITY_UPDATE, notice(), sender=OTHER_PREFECTURE)
    with federation.acting_as(NATIONAL), transaction.atomic():
        apply_identity_update(message)
        apply_identity_update(message)  # a restored backup replays it: no IntegrityError, no second answer
    assert UpdateRefusal.objects.filter(message_id=message.id).count() == 1
    assert AuditEntry.objects.filter(action="national:identity:update", outcome="refused").count() == 1
    assert len(rejections(OTHER_PREFECTURE)) == 1


def test_an_update_for_another_prefectures_municipality_is_rejected_back(federation: TestFederation) -> None:
    payload = notice()
    send_update(federation, payload, sender=OTHER_PREFECTURE, subject="tokyo1")
    assert not IdentityRecord.objects.filter(resident_code=payload["resident_code"]).exists()
    (rejection,) = rejections(OTHER_PREFECTURE)
    assert rejection["code"] == "jukinet.national.outside_prefecture"
    assert rejection["rejected_subject"] == "tokyo1"
    assert rejection["update_seq"] == 1
    assert payload["resident_code"] not in str(rejection)
    refusal = UpdateRefusal.objects.get()
    assert refusal.code == "jukinet.national.outside_prefecture"
    entry = AuditEntry.objects.filter(action="national:identity:update", outcome="refused").get()
    assert entry.outcome_reason == "jukinet.national.outside_prefecture"


def test_an_out_of_order_update_is_rejected_and_the_record_kept(federation: TestFederation) -> None:
    payload = notice(update_seq=5)
    send_update(federation, payload)
    send_update(
        federation, {**payload, "address": "長崎県試験市別町", "change_reason": "転居", "update_seq": 4}
    )
    assert IdentityRecord.objects.get(resident_code=payload["resident_code"]).address == payload["address"]
    assert [r["code"] for r in rejections(PREFECTURE)] == ["jukinet.national.out_of_order"]


def test_a_municipality_cannot_update_the_national_file_directly(federation: TestFederation) -> None:
    payload = notice()
    send_update(federation, payload, sender=MUNICIPALITY)
    assert not IdentityRecord.objects.filter(resident_code=payload["resident_code"]).exists()
    assert [r["code"] for r in rejections(MUNICIPALITY)] == ["jukinet.national.sender_not_prefecture"]


def query_payload(**changes: Any) -> dict[str, Any]:
    payload = {
        "by": "four_items",
        "resident_code": "",
        "individual_number": "",
        "name": "",
        "name_kana": "",
        "birth_date": "",
        "sex": "",
        "address": "",
        "include_removed": False,
        "purpose": "本人確認",
        "operator_id": "clerk01",
        "terminal_id": "T001",
    }
    payload.update(changes)
    return payload


def test_query_identity_by_code_number_and_four_items(federation: TestFederation) -> None:
    person, namesake = notice(), notice(birth_date="19900303", address="長崎県別市一丁目")
    send_update(federation, person, subject="a")
    send_update(federation, namesake, subject="b")
    by_code = ask(
        federation,
        catalogue.QUERY_IDENTITY,
        query_payload(by="resident_code", resident_code=person["resident_code"]),
    )
    assert by_code == {"records": [person], "truncated": False}
    number = query_payload(by="individual_number", individual_number=person["individual_number"])
    assert ask(federation, catalogue.QUERY_IDENTITY, number)["records"] == [person]
    four = query_payload(name="試験 太郎", birth_date="19800102")  # spaces do not matter
    assert ask(federation, catalogue.QUERY_IDENTITY, four)["records"] == [person]
    kana = query_payload(name_kana="シケンタロウ", address="長崎県別市")
    assert ask(federation, catalogue.QUERY_IDENTITY, kana)["records"] == [namesake]
    both = query_payload(name="試験太郎", address="長崎県")
    assert len(ask(federation, catalogue.QUERY_IDENTITY, both)["records"]) == 2
    entry = AuditEntry.objects.filter(action="national:identity:query").latest("seq")
    assert entry.purpose == "本人確認"
    assert entry.result_count == 2
    assert entry.query_summary == "name+address"
    assert "municipality:422029" in entry.reason
    assert "clerk01" in entry.reason
    assert entry.terminal_id == "T001"


def test_removed_people_only_on_request_and_at_most_fifty(federation: TestFederation) -> None:
    gone = notice(removed=True, change_reason="死亡")
    send_update(federation, gone, subject="gone")
    by_code = query_payload(by="resident_code", resident_code=gone["resident_code"])
    assert ask(federation, catalogue.QUERY_IDENTITY, by_code)["records"] == []
    assert ask(federation, catalogue.QUERY_IDENTITY, {**by_code, "include_removed": True})["records"] == [
        gone
    ]
    for index in range(51):
        send_update(federation, notice(name="同名　花子", sex="female"), subject=f"many{index}")
    answer = ask(federation, catalogue.QUERY_IDENTITY, query_payload(name="同名花子", address="長崎県"))
    assert len(answer["records"]) == 50
    assert answer["truncated"] is True


def test_a_four_item_query_with_one_item_is_refused(federation: TestFederation) -> None:
    with pytest.raises(DomainError) as caught:
        ask(federation, catalogue.QUERY_IDENTITY, query_payload(name="試験太郎", sex="male"))
    assert caught.value.code == "jukinet.query.too_few_items"


def test_codes_number_card_and_verification_end_to_end(federation: TestFederation) -> None:
    operator = {"operator_id": "clerk01", "terminal_id": "T001"}
    (code,) = ask(federation, catalogue.QUERY_RESIDENT_CODES, {"count": 1, **operator})["codes"]
    number = ask(
        federation, catalogue.QUERY_INDIVIDUAL_NUMBER, {"resident_code": code, "change": False, **operator}
    )
    person = notice(resident_code=code, individual_number=number["individual_number"])
    send_update(federation, person)
    key = CardKey()
    issued = ask(
        federation,
        catalogue.QUERY_CARD_ISSUE,
        {"resident_code": code, "public_key": key.public_b64, "birth_date": "19800102", **operator},
    )
    answer = ask(federation, catalogue.QUERY_VERIFY_CARD, key.verify_payload(code, issued["card_serial"]))
    assert answer["record"] == person
    assert answer["valid_until"] == issued["valid_until"]


def test_a_refused_verification_reaches_the_asker_and_is_audited_at_the_national_node(
    federation: TestFederation,
) -> None:
    operator = {"operator_id": "clerk01", "terminal_id": "T001"}
    code = notice()["resident_code"]
    key = CardKey()
    issued = ask(
        federation,
        catalogue.QUERY_CARD_ISSUE,
        {"resident_code": code, "public_key": key.public_b64, "birth_date": "19800102", **operator},
    )
    with pytest.raises(DomainError) as caught:
        ask(federation, catalogue.QUERY_VERIFY_CARD, CardKey().verify_payload(code, issued["card_serial"]))
    assert caught.value.code == "jukinet.card.forged"
    entry = AuditEntry.objects.filter(action="node:query:answer", outcome="refused").latest("seq")
    assert entry.outcome_reason == "jukinet.card.forged"


def test_card_events_travel_in_order(federation: TestFederation) -> None:
    operator = {"operator_id": "clerk01", "terminal_id": "T001"}
    code = notice()["resident_code"]
    issued = ask(
        federation,
        catalogue.QUERY_CARD_ISSUE,
        {"resident_code": code, "public_key": CardKey().public_b64, "birth_date": "19800102", **operator},
    )
    with federation.acting_as(MUNICIPALITY), transaction.atomic():
        for name in ("suspend", "release", "suspend"):
            services.enqueue(
                message_type=catalogue.CARD_EVENT,
                receiver=NATIONAL,
                subject="card1",
                payload={
                    "card_serial": issued["card_serial"],
                    "resident_code": code,
                    "event": name,
                    "event_date": "2026-02-01",
                    "municipality_code": MUNICIPALITY.code,
                    "reason": "紛失",
                    **operator,
                },
            )
    federation.pump()
    assert Card.objects.get(serial=issued["card_serial"]).status == "suspended"


def test_a_number_registered_to_someone_else_is_rejected(federation: TestFederation) -> None:
    first = notice()
    send_update(federation, first, subject="first")
    other = notice(individual_number=first["individual_number"])
    send_update(federation, other, subject="other")
    assert not IdentityRecord.objects.filter(resident_code=other["resident_code"]).exists()
    assert [r["code"] for r in rejections(PREFECTURE)] == ["jukinet.national.number_conflict"]
    assert first["individual_number"] not in str(rejections(PREFECTURE))
