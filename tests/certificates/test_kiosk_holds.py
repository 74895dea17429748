"""コンビニ交付 holds (standard 7.2.5-a; system.md F11c): a 転出予定者's household and the day of the 転入.

The family moved in to 佐世保市 today. On that day the kiosk refuses them; from the next day it issues,
until a 転出 of one of them is committed with a date still to come: then the whole household is refused,
at the municipality, and the centre logs only the refusal code. A 転出 still in draft refuses too (4.0.8-a).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Certifier, Issuance
from jumin.jukinet.national.models import KioskRequest
from jumin.messaging.testing import TestFederation
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.certificates.test_kiosk import at_kiosk, backdate_commit, kiosk_payload
from tests.certificates.test_wide_area import SASEBO, card_of, code_pool, family
from tests.registry.conftest import PURPOSE

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family"]  # fixtures, imported for use here


def move_out(clerk: User, atena_number: str, days_ahead: int) -> DraftRecorded:
    return record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=MoveOut(
            atena_numbers=[atena_number],
            planned_date=clock.today() + timedelta(days=days_ahead),
            destination="東京都千代田区千代田１番１号",
            notification_date=clock.today(),
            destination_municipality_code="131016",
        ),
    )


def test_the_kiosk_refuses_on_the_day_of_the_move_in_and_issues_from_the_next_day(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
) -> None:
    card = card_of(family.atena_numbers[1])
    refused = at_kiosk(federation, kiosk_payload(card))
    assert (refused.issued, refused.refusal_code) == (False, "certificates.kiosk_moved_in_today")
    assert not Issuance.objects.exists()
    log = KioskRequest.objects.get()
    assert (log.municipality_code, log.refusal_code) == (SASEBO.code, "certificates.kiosk_moved_in_today")
    centre = AuditEntry.objects.get(action="national:kiosk:request")
    assert centre.outcome_reason == "certificates.kiosk_moved_in_today"
    assert "青木" not in centre.reason

    backdate_commit(family.change_id)
    assert at_kiosk(federation, kiosk_payload(card)).issued


def test_a_planned_move_out_refuses_the_whole_household_and_a_draft_one_refuses_its_mover(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
    clerk: User,
    reviewer: User,
) -> None:
    backdate_commit(family.change_id)
    head, wife, child = family.atena_numbers
    head_card, wife_card = card_of(head), card_of(wife)
    with federation.acting_as(SASEBO):
        draft = move_out(clerk, child, days_ahead=10)
    # A draft holds certificates of its mover until the review (4.0.8-a); the others are not held yet.
    assert at_kiosk(federation, kiosk_payload(head_card, scope="household")).refusal_code == (
        "certificates.pending_draft"
    )
    assert at_kiosk(federation, kiosk_payload(wife_card)).issued

    with federation.acting_as(SASEBO):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    for card, scope in ((head_card, "household"), (wife_card, "self")):
        outcome = at_kiosk(federation, kiosk_payload(card, scope=scope))
        assert (outcome.issued, outcome.refusal_code) == (False, "certificates.kiosk_moving_out")
    assert Issuance.objects.count() == 1
    refusals = KioskRequest.objects.exclude(refusal_code="").values_list("refusal_code", flat=True)
    assert sorted(refusals) == [
        "certificates.kiosk_moving_out",
        "certificates.kiosk_moving_out",
        "certificates.pending_draft",
    ]
