"""A 個人番号カード issued before a 住民票コードの変更 keeps working: the national card record follows the
person to the new code, keeps the former one, and is not reissued (issue 8 item 6; docs/jukinet.md
Flow 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet.cs import cards, relays
from jumin.jukinet.national.models import Card, CardEvent
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from jumin.registry.numbering import load_code_pool
from jumin.registry.services import commit_change, record_move_in
from jumin.registry.workflows.number_changes import (
    ChangeBasis,
    NumberChangeRequest,
    record_resident_code_change,
)
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, family_move_in

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
PIN = "1234"


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop01")
    grant_permissions(
        user, [Permission.CS_IDENTITY_CHECK, Permission.CS_CARD, Permission.FIELD_JUMINHYO_CODE_VIEW]
    )
    return user


def moved_in(federation: TestFederation, clerk: User, reviewer: User) -> str:
    """One person moved in at 佐世保市 and known to the prefecture and the national node; their 宛名番号."""
    with federation.acting_as(SASEBO):
        load_code_pool(relays.fetch_resident_codes(5, actor=clerk, purpose="registry_batch"))
        draft = record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=family_move_in().members[:1])
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    return draft.atena_numbers[0]


def change_code(federation: TestFederation, clerk: User, reviewer: User, atena: str) -> str:
    """Commit a 住民票コードの変更 on request and deliver it; the new code."""
    asked = NumberChangeRequest(
        atena_number=atena, basis=ChangeBasis.REQUEST, requested_on=timezone.localdate() - timedelta(days=1)
    )
    with federation.acting_as(SASEBO):
        draft = record_resident_code_change(actor=clerk, purpose=PURPOSE, request=asked)
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    return current(atena).juminhyo_code


def test_a_card_issued_before_a_code_change_still_checks_the_person(
    federation: TestFederation, clerk: User, reviewer: User, operator: User
) -> None:
    atena = moved_in(federation, clerk, reviewer)
    old = current(atena).juminhyo_code
    with federation.acting_as(SASEBO):
        card = cards.issue_card(actor=operator, purpose="cs_operator", resident_code=old, pin=PIN)
    new = change_code(federation, clerk, reviewer, atena)
    assert new != old
    stored = Card.objects.get()  # the same card, not reissued
    assert (stored.serial, stored.resident_code, stored.status) == (
        card["card_serial"],
        new,
        Card.Status.ACTIVE,
    )
    rekeyed = CardEvent.objects.get(card=stored, event="code_change")
    assert (rekeyed.former_resident_code, rekeyed.status_before, rekeyed.status_after) == (
        old,
        "active",
        "active",
    )
    entry = AuditEntry.objects.get(action="national:card:rekey")
    assert entry.subject_id == str(stored.pk)
    assert [s.subject_id for s in entry.result_subjects.all()] == [
        str(NationalRecord.objects.get(resident_code=new).pk)
    ]
    # The card file still carries the old code; the national node finds the person under the new one.
    assert card["resident_code"] == old
    with federation.acting_as(SASEBO):
        check = cards.verify_with_card(actor=operator, purpose="cs_operator", card_json=card, pin=PIN)
    assert check.card_status == "active"
    assert check.record is not None
    assert check.record.resident_code == new
    assert AuditEntry.objects.filter(action="national:card:verify", outcome="done").count() == 1


def test_a_card_event_naming_the_former_code_applies_and_another_code_is_refused(
    federation: TestFederation, clerk: User, reviewer: User, operator: User
) -> None:
    atena = moved_in(federation, clerk, reviewer)
    old = current(atena).juminhyo_code
    with federation.acting_as(SASEBO):
        card = cards.issue_card(actor=operator, purpose="cs_operator", resident_code=old, pin=PIN)
    change_code(federation, clerk, reviewer, atena)
    serial = card["card_serial"]
    with federation.acting_as(SASEBO):
        # The card's former code (what the card file says) is still the card's.
        cards.send_card_event(
            actor=operator, purpose="cs_operator", card_serial=serial, resident_code=old, event="suspend"
        )
        # A code the card never had is refused, recorded and audited.
        cards.send_card_event(
            actor=operator,
            purpose="cs_operator",
            card_serial=serial,
            resident_code=resident_code(77),
            event="release",
        )
    federation.pump()
    assert Card.objects.get(serial=serial).status == Card.Status.SUSPENDED
    refused = CardEvent.objects.get(card_serial=serial, outcome="refused")
    assert (refused.event, refused.refusal_code, refused.card_id) == ("release", "jukinet.card.unknown", None)
    assert AuditEntry.objects.filter(
        action="national:card_event:record", outcome="refused", outcome_reason="jukinet.card.unknown"
    ).exists()
