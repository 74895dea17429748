"""A 住民票コードの変更 notice the national node refuses changes nothing: the record, its 個人番号
register rows and the person's cards stay under the old code, and the refusal is audited (issue 8;
docs/jukinet.md Flow 12)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from jumin.audit.models import AuditEntry
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE, QUERY_CARD_ISSUE
from jumin.jukinet.national.models import (
    Card,
    CardEvent,
    IdentityHistory,
    IdentityRecord,
    IndividualNumberRegister,
    UpdateRefusal,
)
from jumin.jukinet.national.services.numbers import new_resident_code
from jumin.messaging import services
from jumin.messaging.testing import TestFederation
from tests.jukinet.national.helpers import MUNICIPALITY, NATIONAL, PREFECTURE, CardKey, notice

pytestmark = pytest.mark.django_db


def send(federation: TestFederation, payload: dict[str, Any]) -> None:
    """The prefecture forwards the notice (ordered, one subject) and the national node applies it."""
    with federation.acting_as(PREFECTURE), transaction.atomic():
        services.enqueue(message_type=IDENTITY_UPDATE, receiver=NATIONAL, subject="p1", payload=payload)
    federation.pump()


def person_with_card(federation: TestFederation) -> tuple[dict[str, Any], str]:
    """A person on file (更新順番号 1) holding one card; their notice and the card's serial."""
    first = notice()
    send(federation, first)
    payload = {
        "resident_code": first["resident_code"],
        "public_key": CardKey().public_b64,
        "birth_date": first["birth_date"],
        "operator_id": "clerk01",
        "terminal_id": "T001",
    }
    with federation.acting_as(MUNICIPALITY):
        answer = services.query(query_type=QUERY_CARD_ISSUE, receiver=NATIONAL, payload=payload)
    serial = str(answer["card_serial"])
    return first, serial


def code_change(first: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        **first,
        "resident_code": new_resident_code(),
        "former_resident_code": first["resident_code"],
        "change_reason": "住民票コードの変更",
        "update_seq": 2,
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        # Seen only once the record is found under the new code: the re-keying must come first.
        ({"update_seq": 1}, "jukinet.national.out_of_order"),
        ({"municipality_code": "131016"}, "jukinet.national.outside_prefecture"),
    ],
)
def test_a_refused_code_change_leaves_record_numbers_and_cards_under_the_old_code(
    federation: TestFederation, changes: dict[str, Any], code: str
) -> None:
    first, serial = person_with_card(federation)
    old = first["resident_code"]
    record_before = IdentityRecord.objects.values().get()
    changed = code_change(first, **changes)

    send(federation, changed)

    assert UpdateRefusal.objects.get().code == code
    assert IdentityRecord.objects.values().get() == record_before
    assert list(IdentityHistory.objects.values_list("resident_code", flat=True)) == [old]
    assert set(IndividualNumberRegister.objects.values_list("resident_code", flat=True)) == {old}
    card = Card.objects.get(serial=serial)
    assert (card.resident_code, card.status) == (old, Card.Status.ACTIVE)
    assert not CardEvent.objects.filter(event="code_change").exists()
    assert not AuditEntry.objects.filter(action="national:card:rekey").exists()
    refused = AuditEntry.objects.get(action="national:identity:update", outcome="refused")
    assert refused.outcome_reason == code


def test_an_accepted_code_change_still_moves_record_and_cards(federation: TestFederation) -> None:
    first, serial = person_with_card(federation)
    changed = code_change(first)

    send(federation, changed)

    assert not UpdateRefusal.objects.exists()
    assert IdentityRecord.objects.get().resident_code == changed["resident_code"]
    assert Card.objects.get(serial=serial).resident_code == changed["resident_code"]
    assert CardEvent.objects.get(event="code_change").former_resident_code == first["resident_code"]
    assert AuditEntry.objects.filter(action="national:card:rekey").count() == 1
