"""個人番号カード管理システム: issue, events and their transition table, 本人確認, expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from jumin.accounts.clock import today
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import CARD_EVENT, IDENTITY_UPDATE, QUERY_CARD_ISSUE, QUERY_VERIFY_CARD
from jumin.jukinet.national.models import Card, CardEvent, UsedNonce
from jumin.jukinet.national.services._common import add_years
from jumin.jukinet.national.services.cards import (
    SIGNATURE_WINDOW,
    TRANSITIONS,
    apply_card_event,
    expire_cards,
    issue_card,
    purge_used_nonces,
    valid_until_for,
    verify_card,
)
from jumin.jukinet.national.services.identity import apply_identity_update
from tests.jukinet.national.helpers import (
    MUNICIPALITY,
    OTHER_MUNICIPALITY,
    PREFECTURE,
    CardKey,
    envelope,
    notice,
)

pytestmark = pytest.mark.django_db


def issue(key: CardKey, resident_code: str, birth_date: str = "19800102") -> dict[str, Any]:
    payload = {
        "resident_code": resident_code,
        "public_key": key.public_b64,
        "birth_date": birth_date,
        "operator_id": "clerk01",
        "terminal_id": "T001",
    }
    with transaction.atomic():
        return issue_card(envelope(QUERY_CARD_ISSUE, payload, sender=MUNICIPALITY))


def verify(payload: dict[str, Any]) -> dict[str, Any]:
    with transaction.atomic():
        return verify_card(envelope(QUERY_VERIFY_CARD, payload, sender=MUNICIPALITY))


def event(serial: str, resident_code: str, name: str, sender=MUNICIPALITY) -> None:
    payload = {
        "card_serial": serial,
        "resident_code": resident_code,
        "event": name,
        "event_date": today().isoformat(),
        "municipality_code": sender.code,
        "reason": "",
        "operator_id": "clerk01",
        "terminal_id": "T001",
    }
    with transaction.atomic():
        apply_card_event(envelope(CARD_EVENT, payload, sender=sender))


@pytest.fixture
def person() -> dict[str, Any]:
    payload = notice()
    with transaction.atomic():
        apply_identity_update(envelope(IDENTITY_UPDATE, payload, sender=PREFECTURE))
    return payload


def refused_code(payload: dict[str, Any]) -> str:
    with pytest.raises(DomainError) as caught:
        verify(payload)
    return caught.value.code


def test_validity_is_ten_years_or_five_under_eighteen() -> None:
    issued = date(2026, 4, 1)
    assert valid_until_for("19800102", issued) == date(2036, 3, 31)
    assert valid_until_for("20100402", issued) == date(2031, 3, 31)  # 15 years old on the day
    assert valid_until_for("20080401", issued) == date(2036, 3, 31)  # 18 today
    assert valid_until_for("00000000", issued) == date(2036, 3, 31)  # wholly unknown: adult rule


def test_an_issued_card_verifies_and_answers_the_current_record(person: dict[str, Any]) -> None:
    key = CardKey()
    answer = issue(key, person["resident_code"])
    card = Card.objects.get(serial=answer["card_serial"])
    assert card.status == "active"
    assert answer["valid_until"] == card.valid_until.isoformat()
    assert card.valid_until == add_years(today(), 10) - timedelta(days=1)
    result = verify(key.verify_payload(person["resident_code"], card.serial))
    assert result["result"] == "valid"
    assert result["card_status"] == "active"
    assert result["record"] == person
    entry = AuditEntry.objects.filter(action="national:card:verify").latest("seq")
    assert entry.outcome == "done"
    assert entry.terminal_id == "T001"


def test_a_card_of_someone_not_on_file_verifies_with_no_record() -> None:
    key = CardKey()
    code = notice()["resident_code"]
    serial = issue(key, code)["card_serial"]
    assert verify(key.verify_payload(code, serial))["record"] is None


def test_a_forged_signature_is_refused_and_audited(person: dict[str, Any]) -> None:
    key = CardKey()
    serial = issue(key, person["resident_code"])["card_serial"]
    forged = CardKey().verify_payload(person["resident_code"], serial)
    assert refused_code(forged) == "jukinet.card.forged"


def test_a_replayed_answer_is_refused(person: dict[str, Any]) -> None:
    key = CardKey()
    serial = issue(key, person["resident_code"])["card_serial"]
    payload = key.verify_payload(person["resident_code"], serial)
    verify(payload)
    assert refused_code(payload) == "jukinet.card.replay"


def test_used_nonces_go_after_twice_the_signature_window(person: dict[str, Any]) -> None:
    key = CardKey()
    serial = issue(key, person["resident_code"])["card_serial"]
    verify(key.verify_payload(person["resident_code"], serial))
    used = UsedNonce.objects.get()
    assert purge_used_nonces(now=used.used_at + 2 * SIGNATURE_WINDOW) == 0  # still able to catch a replay
    assert UsedNonce.objects.exists()
    assert purge_used_nonces(now=used.used_at + 2 * SIGNATURE_WINDOW + timedelta(seconds=1)) == 1
    assert not UsedNonce.objects.exists()


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_stale_signature_is_refused(person: dict[str, Any], minutes: int) -> None:
    key = CardKey()
    serial = issue(key, person["resident_code"])["card_serial"]
    moment = datetime.now(UTC) + timedelta(minutes=minutes)
    assert (
        refused_code(key.verify_payload(person["resident_code"], serial, signed_at=moment))
        == "jukinet.card.stale"
    )


def test_unknown_cards_and_other_holders_are_refused(person: dict[str, Any]) -> None:
    key = CardKey()
    serial = issue(key, person["resident_code"])["card_serial"]
    assert refused_code(key.verify_payload(person["resident_code"], "ZZZZZZZZZZZZ")) == "jukinet.card.unknown"
    other = notice()["resident_code"]
    assert refused_code(key.verify_payload(other, serial)) == "jukinet.card.unknown"


def test_a_suspended_card_is_refused_until_released(person: dict[str, Any]) -> None:
    key = CardKey()
    code = person["resident_code"]
    serial = issue(key, code)["card_serial"]
    event(serial, code, "suspend")
    assert refused_code(key.verify_payload(code, serial)) == "jukinet.card.suspended"
    event(serial, code, "release")
    assert verify(key.verify_payload(code, serial))["result"] == "valid"


def test_an_expired_card_is_refused_and_expire_cards_marks_it(person: dict[str, Any]) -> None:
    key = CardKey()
    code = person["resident_code"]
    serial = issue(key, code)["card_serial"]
    Card.objects.filter(serial=serial).update(valid_until=today() - timedelta(days=1))
    assert refused_code(key.verify_payload(code, serial)) == "jukinet.card.expired"
    assert expire_cards() == 1
    assert Card.objects.get(serial=serial).status == "expired"
    assert refused_code(key.verify_payload(code, serial)) == "jukinet.card.not_active"
    assert expire_cards() == 0
    last = CardEvent.objects.filter(card_serial=serial).latest("pk")
    assert (last.event, last.status_before, last.status_after) == ("expire", "active", "expired")


def test_the_transition_table_drives_events(person: dict[str, Any]) -> None:
    key = CardKey()
    code = person["resident_code"]
    serial = issue(key, code)["card_serial"]
    event(serial, code, "suspend")
    event(serial, code, "continue_use")  # not allowed while suspended
    card = Card.objects.get(serial=serial)
    assert card.status == "suspended"
    refused = CardEvent.objects.filter(card_serial=serial, outcome="refused").get()
    assert (refused.event, refused.refusal_code) == ("continue_use", "jukinet.card.illegal_transition")
    entry = AuditEntry.objects.filter(action="national:card_event:record").latest("seq")
    assert (entry.outcome, entry.outcome_reason) == ("refused", "jukinet.card.illegal_transition")
    event(serial, code, "abolish")
    event(serial, code, "collect")
    assert Card.objects.get(serial=serial).status == "collected"
    history = list(
        CardEvent.objects.filter(card_serial=serial).order_by("pk").values_list("event", "outcome")
    )
    assert history == [
        ("issue", "applied"),
        ("suspend", "applied"),
        ("continue_use", "refused"),
        ("abolish", "applied"),
        ("collect", "applied"),
    ]
    assert all(after in set(Card.Status) for after in TRANSITIONS.values())


def test_an_event_from_another_municipality_or_for_another_holder_is_refused(person: dict[str, Any]) -> None:
    key = CardKey()
    code = person["resident_code"]
    serial = issue(key, code)["card_serial"]
    payload = {
        "card_serial": serial,
        "resident_code": code,
        "event": "suspend",
        "event_date": today().isoformat(),
        "municipality_code": MUNICIPALITY.code,
        "reason": "",
        "operator_id": "c",
        "terminal_id": "t",
    }
    with transaction.atomic():
        apply_card_event(envelope(CARD_EVENT, payload, sender=OTHER_MUNICIPALITY))
    event(serial, notice()["resident_code"], "suspend")
    assert Card.objects.get(serial=serial).status == "active"
    codes = list(
        CardEvent.objects.filter(card_serial=serial, outcome="refused").values_list("refusal_code", flat=True)
    )
    assert codes == ["jukinet.card.sender", "jukinet.card.unknown"]


def test_a_new_card_abolishes_the_live_one(person: dict[str, Any]) -> None:
    code = person["resident_code"]
    old = issue(CardKey(), code)["card_serial"]
    new = issue(CardKey(), code)["card_serial"]
    assert Card.objects.get(serial=old).status == "abolished"
    assert Card.objects.get(serial=new).status == "active"


def test_the_expire_cards_command(person: dict[str, Any]) -> None:
    serial = issue(CardKey(), person["resident_code"])["card_serial"]
    Card.objects.filter(serial=serial).update(valid_until=today() - timedelta(days=1))
    out = StringIO()
    call_command("expire_cards", stdout=out)
    assert "EXPIRED 1" in out.getvalue()
    assert AuditEntry.objects.filter(action="national:card:expire").latest("seq").result_count == 1
