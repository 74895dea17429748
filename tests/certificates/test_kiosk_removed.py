"""コンビニ交付 refused for a deceased or removed (除票) card holder (std 7.2.5-a; system.md F11c).

Until the 本人確認情報 update of the 死亡 or 転出 reaches the 機構, the 証明書交付センター still relays the
card's request; the registering municipality refuses it with its own code (never a 除票 at a kiosk), and
both nodes audit the refusal. Once the 機構 has the update, the centre refuses by itself. Fixtures are the
広域交付 tests' (hence this directory).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Certifier, Issuance
from jumin.jukinet.national.models import KioskRequest
from jumin.messaging.testing import TestFederation
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.move_out import record_move_out
from tests.certificates.test_kiosk import at_kiosk, backdate_commit, kiosk_payload
from tests.certificates.test_removed_record_notes import died
from tests.certificates.test_wide_area import SASEBO, card_of, code_pool, family
from tests.registry.conftest import PURPOSE
from tests.registry.test_move_out import move_out

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family"]  # fixtures, imported for use here


def refused_here(code: str) -> bool:
    """The municipality audited its refusal of the centre's query with ``code``."""
    return AuditEntry.objects.filter(
        action="node:query:answer", outcome="refused", outcome_reason=code
    ).exists()


def test_a_deceased_holders_card_is_refused_with_its_own_code_then_by_the_centre(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
    clerk: User,
    reviewer: User,
) -> None:
    backdate_commit(family.change_id)  # not on the 転入's day (test_kiosk_holds)
    child = family.atena_numbers[2]
    card_json = card_of(child)
    with federation.acting_as(SASEBO):
        died(clerk, reviewer, child)
    # The 機構 has not heard yet: the municipality refuses.
    outcome = at_kiosk(federation, kiosk_payload(card_json))
    assert outcome.refusal_code == "certificates.kiosk_deceased"
    assert KioskRequest.objects.get().refusal_code == "certificates.kiosk_deceased"
    assert refused_here("certificates.kiosk_deceased")
    assert AuditEntry.objects.filter(action="national:kiosk:request", outcome="refused").count() == 1
    assert not Issuance.objects.exists()
    # The 本人確認情報 update reaches the 機構: the centre refuses before asking.
    federation.pump()
    later = at_kiosk(federation, kiosk_payload(card_json))
    assert later.refusal_code == "jukinet.national.kiosk.not_registered"
    assert not Issuance.objects.exists()


def test_a_removed_holders_card_gets_no_juhyo_at_a_kiosk(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
    clerk: User,
    reviewer: User,
) -> None:
    backdate_commit(family.change_id)
    head = family.atena_numbers[0]
    card_json = card_of(head)
    with federation.acting_as(SASEBO):
        draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([head]))
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    outcome = at_kiosk(federation, kiosk_payload(card_json))
    assert outcome.refusal_code == "certificates.kiosk_removed"
    assert refused_here("certificates.kiosk_removed")
    assert not Issuance.objects.exists()
