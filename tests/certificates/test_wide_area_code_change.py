"""A 個人番号カード issued before a 住民票コードの変更 routes to its holder by the new code: the CS card
check answers the holder's current code, and 広域交付 at another municipality asks the registering
municipality for that code (issue 8; docs/jukinet.md Flow 12)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Issuance, IssuanceSubject
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import cards
from jumin.jukinet.cs.models import WideAreaIssuance
from jumin.jukinet.cs.wide_area import WideAreaRequest
from jumin.messaging.testing import TestFederation
from jumin.registry.services import DraftRecorded
from tests.certificates.test_wide_area import (
    PIN,
    SASEBO,
    ask,
    assert_nothing_issued,
    card_of,
    code_pool,
    family,
    nagasaki_clerk,
)
from tests.registry.conftest import PURPOSE, current
from tests.registry.test_code_change_cards import change_code

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family", "nagasaki_clerk"]  # the fixtures, imported for use here


def test_the_card_check_answers_the_holder_under_the_new_code(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    reviewer: User,
    make_clerk: Callable[..., User],
) -> None:
    head = family.atena_numbers[0]
    card = card_of(head)
    old = card["resident_code"]
    new = change_code(federation, clerk, reviewer, head)
    assert new != old
    operator = make_clerk("sasebo-check", Permission.CS_IDENTITY_CHECK)
    with federation.acting_as(SASEBO):
        check = cards.verify_with_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN)
    assert card["resident_code"] == old  # the card itself is not rewritten
    assert (check.resident_code, check.municipality_code) == (new, SASEBO.code)
    assert check.record is not None  # shown masked: the operator has no 住民票コード field grant


def test_a_wide_area_copy_with_a_card_from_before_the_change_routes_by_the_new_code(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    clerk: User,
    reviewer: User,
) -> None:
    head = family.atena_numbers[0]
    card = card_of(head)
    new = change_code(federation, clerk, reviewer, head)

    copy = ask(federation, nagasaki_clerk, card, WideAreaRequest(scope="self"))

    assert copy.registering_municipality == SASEBO.code
    record = WideAreaIssuance.objects.get()
    assert record.resident_code == new
    assert list(IssuanceSubject.objects.values_list("atena_number", flat=True)) == [head]
    assert Issuance.objects.get().channel == Issuance.Channel.WIDE_AREA
    assert current(head).juminhyo_code == new


def test_a_card_never_of_that_person_is_still_refused(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    nagasaki_clerk: User,
    clerk: User,
    reviewer: User,
) -> None:
    head, wife = family.atena_numbers[:2]
    old = card_of(head)["resident_code"]
    change_code(federation, clerk, reviewer, head)
    # The wife's card made to claim the head's former code (its key re-sealed to that code).
    forged = {
        **card_of(wife),
        "resident_code": old,
        "sealed_key": cards.seal_key(Ed25519PrivateKey.generate(), PIN, old),
    }
    with pytest.raises(DomainError) as refused:
        ask(federation, nagasaki_clerk, forged, WideAreaRequest(scope="self"))
    assert refused.value.code == "jukinet.card.unknown"
    assert AuditEntry.objects.filter(
        action="cs:wide_area:issue", outcome="refused", outcome_reason="jukinet.card.unknown"
    ).exists()
    assert_nothing_issued()
